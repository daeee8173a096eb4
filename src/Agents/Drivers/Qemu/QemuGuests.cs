using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Qemu.Qmp;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// The QEMU VMs this agent made, one folder each under <see cref="QemuDriverOptions.VmsPath"/>. QEMU
/// runs as a process of its own (daemonized, its own session), so it outlives the agent; an agent that
/// starts again finds each running QEMU from its folder's pidfile and reconnects to its QMP and serial
/// sockets. Shared by the engine's capability classes.
/// </summary>
public sealed class QemuGuests(QemuDriverOptions options, ILogger<QemuGuests> logger) : IAsyncDisposable
{
    /// <summary>The Ringmaster definition of a VM, beside QEMU's <c>machine.json</c>.</summary>
    internal const string DefinitionFile = "guest.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly ConcurrentDictionary<Guid, QemuVm> _vms = new();
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private readonly Lazy<Task<AcceleratorDecision>> _accelerator = new(() => new AcceleratorProbe().DecideAsync(CancellationToken.None));
    private bool _loaded;

    internal string VmsPath => options.VmsPath ?? throw new InvalidOperationException("The QEMU driver has no VM folder.");

    internal QemuVmFolder FolderOf(Guid id) => new(Path.Combine(VmsPath, id.ToString("N")));

    internal ICollection<QemuVm> Vms => _vms.Values;

    /// <summary>Whether QEMU runs guests with KVM or TCG on this host, and why (probed once).</summary>
    public Task<AcceleratorDecision> AcceleratorAsync() => _accelerator.Value;

    /// <summary>Why no QEMU VM can run on this host (QEMU or qemu-img missing), with what fixes it; null when they can.</summary>
    public string? Problem()
    {
        var missing = new[] { options.Binary, "qemu-img" }.Where(p => Common.Programs.Find(p) is null).ToList();
        return missing.Count == 0 ? null
            : $"{string.Join(" and ", missing)} {(missing.Count == 1 ? "is" : "are")} not installed; install Debian's qemu-system-x86 and qemu-utils packages";
    }

    internal async Task<QemuVm> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return _vms.TryGetValue(id, out var vm) ? vm : throw new GuestNotFoundException(id);
    }

    internal void Add(QemuVm vm) => _vms[vm.Definition.Id] = vm;

    internal bool TryRemove(Guid id) => _vms.TryRemove(id, out _);

    /// <summary>Reads the VMs from the data folder (once), and reattaches to each QEMU that still runs.</summary>
    internal async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }

        await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_loaded)
            {
                return;
            }

            if (Directory.Exists(VmsPath))
            {
                foreach (var directory in Directory.EnumerateDirectories(VmsPath))
                {
                    var file = Path.Combine(directory, DefinitionFile);
                    if (!File.Exists(file))
                    {
                        continue;
                    }

                    try
                    {
                        var definition = JsonSerializer.Deserialize<GuestDefinition>(await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false), Json)
                            ?? throw new InvalidDataException("empty definition");
                        var vm = new QemuVm(definition, new QemuVmFolder(directory));
                        _vms[definition.Id] = vm;
                        if (QemuProcess.Attach(vm.Folder) is { } running)
                        {
                            await ConnectAsync(vm, running, cancellationToken).ConfigureAwait(false);
                            logger.LogInformation("Reattached to QEMU VM {Name} (pid {Pid})", definition.Name, running.Pid);
                        }
                    }
                    catch (Exception ex) when (ex is IOException or JsonException or InvalidDataException or QmpException or System.Net.Sockets.SocketException)
                    {
                        logger.LogWarning("Could not load the QEMU VM in {Folder}: {Reason}", directory, ex.Message);
                    }
                }
            }

            _loaded = true;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    internal static async Task SaveDefinitionAsync(QemuVm vm, CancellationToken cancellationToken)
    {
        var file = Path.Combine(vm.Folder.Path, DefinitionFile);
        await File.WriteAllBytesAsync(file + ".new", JsonSerializer.SerializeToUtf8Bytes(vm.Definition, Json), cancellationToken).ConfigureAwait(false);
        File.Move(file + ".new", file, overwrite: true);
    }

    /// <summary>Starts the VM's QEMU (paused until its console is connected, so the console misses nothing) and lets it run.</summary>
    /// <param name="beforeRun">What to do through QMP while the guest has not run yet (load a snapshot's memory).</param>
    internal async Task StartAsync(QemuVm vm, CancellationToken cancellationToken, Func<QmpClient, Task>? beforeRun = null)
    {
        var decision = await AcceleratorAsync().ConfigureAwait(false);
        var machine = await vm.Folder.LoadAsync(cancellationToken).ConfigureAwait(false) with { Accelerator = decision.Accelerator };
        // console.log holds this boot only: the scrollback a console gets is what this boot printed
        File.Delete(vm.Folder.ConsoleLog);
        QemuProcess process;
        try
        {
            process = await QemuProcess.StartAsync(vm.Folder, QemuCommandLine.Build(machine, vm.Folder, startPaused: true), options.Binary, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (QemuStartException ex)
        {
            throw new GuestException($"VM {vm.Definition.Name} did not start. {ex.Message}", ex);
        }

        try
        {
            await ConnectAsync(vm, process, cancellationToken).ConfigureAwait(false);
            if (beforeRun is not null)
            {
                await beforeRun(vm.Qmp!).ConfigureAwait(false);
            }

            await vm.Qmp!.ContAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            process.Kill();
            await DisconnectAsync(vm).ConfigureAwait(false);
            throw;
        }

        vm.StopReason = null;
        vm.Stopping = false;
        logger.LogInformation("Started QEMU VM {Name} (pid {Pid}) with {Accelerator}", vm.Definition.Name, process.Pid, decision.Accelerator);
    }

    private async Task ConnectAsync(QemuVm vm, QemuProcess process, CancellationToken cancellationToken)
    {
        vm.Process = process;
        vm.Qmp = await QmpClient.ConnectAsync(vm.Folder.QmpSocket, cancellationToken).ConfigureAwait(false);
        vm.Serial = await SerialLine.ConnectAsync(vm, cancellationToken).ConfigureAwait(false);
        var events = vm.Qmp.Subscribe();
        _ = WatchAsync(vm, events);
        vm.Accelerator ??= (await AcceleratorAsync().ConfigureAwait(false)).Reason;
    }

    /// <summary>Keeps why QEMU ended: the guest powered off or reset, the host asked, or a signal.</summary>
    private static async Task WatchAsync(QemuVm vm, QmpEventSubscription events)
    {
        using (events)
        {
            try
            {
                await foreach (var e in events.Reader.ReadAllAsync().ConfigureAwait(false))
                {
                    if (e.Name == QmpEvents.Shutdown && !vm.Stopping)
                    {
                        var data = e.ShutdownData;
                        vm.StopReason = data.Reason switch
                        {
                            "guest-shutdown" => "The guest powered off.",
                            "host-qmp-quit" or "host-qmp-system-reset" => vm.StopReason,
                            "host-signal" => "QEMU was stopped by a signal.",
                            "guest-panic" => "The guest's kernel panicked.",
                            "guest-reset" => "The guest reset.",
                            { } other => $"QEMU shut down ({other}).",
                            null => "QEMU shut down.",
                        };
                    }
                    else if (e.Name == QmpEvents.GuestPanicked)
                    {
                        vm.StopReason = "The guest's kernel panicked.";
                    }
                }
            }
            catch (Exception ex) when (ex is QmpException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // the connection ended
            }
        }
    }

    /// <summary>Drops the connections of a VM whose QEMU ended (or is to be left running when the agent stops).</summary>
    internal static async Task DisconnectAsync(QemuVm vm)
    {
        if (vm.Qmp is { } qmp)
        {
            vm.Qmp = null;
            await qmp.DisposeAsync().ConfigureAwait(false);
        }

        if (vm.Serial is { } serial)
        {
            vm.Serial = null;
            await serial.DisposeAsync().ConfigureAwait(false);
        }

        vm.Process = null;
    }

    /// <summary>Notices a QEMU that ended on its own (the guest powered off, it crashed, it was killed) and drops its connections.</summary>
    internal async Task<bool> RefreshAsync(QemuVm vm)
    {
        if (vm.Process is not null && !vm.Process.IsRunning)
        {
            vm.StopReason ??= "QEMU exited (it was killed or crashed); see qemu.log in the VM's folder.";
            logger.LogInformation("QEMU VM {Name} stopped: {Reason}", vm.Definition.Name, vm.StopReason);
            await DisconnectAsync(vm).ConfigureAwait(false);
        }

        return vm.Runs;
    }

    /// <summary>Leaves every QEMU running: the agent only lets go of its connections (QEMU outlives the agent).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var vm in _vms.Values)
        {
            await DisconnectAsync(vm).ConfigureAwait(false);
        }

        _loadLock.Dispose();
    }
}
