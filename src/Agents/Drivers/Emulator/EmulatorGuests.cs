using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Emulator;
using static Ringmaster.Agents.Drivers.Emulator.EmulatorFiles;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>
/// The store of the emulator's VMs, shared by its capability classes. Each VM lives in a folder of its
/// own under the agent's data folder: its definition (<c>machine.json</c>) and its disk (<c>disk.img</c>,
/// a sparse raw file, or a chain of layers, see <see cref="EmulatorLayers"/>). A VM runs inside the
/// agent's process, one host thread per running VM, so when the agent process dies its VMs stop; after
/// a restart they are listed as stopped, with their disks. The store starts and powers VMs off, since
/// a start follows a revert, a fork, a restore or a migration as well as a user's start.
/// </summary>
public sealed class EmulatorGuests(EmulatorDriverOptions options, GuestImages images, EmulatorLayers layers, EmulatorNetwork network, ILogger<EmulatorGuests> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, EmulatorVm> _vms = new();
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private bool _loaded;

    internal string VmsPath => options.VmsPath ?? throw new InvalidOperationException("The emulator driver has no VM folder.");

    /// <summary>Where images received from other hosts are kept (searched first, see <see cref="GuestImages"/>).</summary>
    internal string ReceivedImagesPath => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(VmsPath))!, "images");

    internal string FolderOf(Guid id) => Path.Combine(VmsPath, id.ToString("N"));

    internal ICollection<EmulatorVm> Vms => _vms.Values;

    internal bool Contains(Guid id) => _vms.ContainsKey(id);

    internal void Add(EmulatorVm vm) => _vms[vm.Definition.Id] = vm;

    internal bool TryRemove(Guid id) => _vms.TryRemove(id, out _);

    internal EmulatorVm this[Guid id] => _vms[id];

    internal async Task<EmulatorVm> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return _vms.TryGetValue(id, out var vm) ? vm : throw new GuestNotFoundException(id);
    }

    /// <summary>Reads the VMs this agent made from its data folder (once).</summary>
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

            Directory.CreateDirectory(VmsPath);
            foreach (var folder in Directory.EnumerateDirectories(VmsPath))
            {
                var file = Path.Combine(folder, DefinitionFile);
                try
                {
                    var definition = JsonSerializer.Deserialize<GuestDefinition>(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false), Json);
                    if (definition is not null)
                    {
                        _vms[definition.Id] = new EmulatorVm(definition, folder);
                    }
                }
                catch (Exception ex) when (ex is IOException or JsonException)
                {
                    logger.LogWarning("Skipping VM folder {Folder}: {Reason}", folder, ex.Message);
                }
            }

            _loaded = true;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    internal static async Task SaveDefinitionAsync(EmulatorVm vm, CancellationToken cancellationToken)
    {
        var file = Path.Combine(vm.Folder, DefinitionFile);
        var temp = file + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(vm.Definition, Json), cancellationToken).ConfigureAwait(false);
        File.Move(temp, file, overwrite: true);
    }

    internal void TryDeleteFolder(string folder) => EmulatorFiles.TryDeleteFolder(folder, logger);

    internal void TryDeleteFile(string file) => EmulatorFiles.TryDeleteFile(file, logger);

    /// <summary>Starts the VM (from its saved state when a revert, fork or restore left one); a paused VM resumes.</summary>
    internal async Task<GuestInfo> StartAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (vm.Runner is not null)
        {
            return vm.State == MachineState.Paused ? Resume(vm) : vm.Info();
        }

        var image = images.Find(vm.Definition.Image);
        var config = new MachineConfig
        {
            MemoryMiB = vm.Definition.Spec.MemoryMiB,
            Harts = vm.Definition.Spec.Vcpus,
            FirmwarePath = image.Firmware,
            KernelPath = image.Kernel,
            InitrdPath = image.Initrd,
            Bootargs = image.Bootargs,
            Network = network.Connect(vm),
        };
        RiscVMachine machine;
        try
        {
            config = await layers.WithDiskAsync(vm, config, cancellationToken).ConfigureAwait(false);
            machine = await Task.Run(() => EmulatorLayers.BootOrResume(vm, config), cancellationToken).ConfigureAwait(false);
        }
        catch (MachineConfigurationException ex)
        {
            network.Disconnect(vm);
            throw new GuestException($"The VM cannot start: {ex.Message}", ex);
        }

        vm.Detail = null;
        vm.LastSample = default;
        vm.ClearHistory();
        Run(vm, machine, MachineState.Running);
        logger.LogInformation("Started VM {Name} ({Id}): {Memory} MiB, {Harts} harts, image {Image}", vm.Definition.Name, id, config.MemoryMiB, config.Harts, image.Name);
        return vm.Info();
    }

    /// <summary>Gives <paramref name="machine"/> a runner thread and the VM's console; a <see cref="MachineState.Paused"/> VM starts paused.</summary>
    internal void Run(EmulatorVm vm, RiscVMachine machine, MachineState state)
    {
        var runner = new MachineRunner(machine, options.SliceBudget);
        runner.ConsoleOutput += vm.Broadcast;
        runner.StatusChanged += status => OnStatusChanged(vm, runner, status);
        vm.Machine = machine;
        vm.Runner = runner;
        vm.State = state;
        if (state == MachineState.Paused)
        {
            runner.Pause();
        }

        _vms[vm.Definition.Id] = vm;
        runner.Start();
    }

    internal static GuestInfo Resume(EmulatorVm vm)
    {
        if (vm.Runner is not { } runner)
        {
            throw new GuestException($"VM {vm.Definition.Name} is not running.");
        }

        runner.Resume();
        vm.State = MachineState.Running;
        return vm.Info();
    }

    /// <summary>Removes the VM, powered off, with its folder and the layers only it needed; a VM that does not exist is no error.</summary>
    internal async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (!_vms.TryRemove(id, out var vm))
        {
            return;
        }

        await PowerOffAsync(vm).ConfigureAwait(false);
        vm.CompleteConsoles();
        TryDeleteFolder(vm.Folder);
        await layers.CollectLayersAsync().ConfigureAwait(false);
        logger.LogInformation("Deleted VM {Name} ({Id})", vm.Definition.Name, id);
    }

    private void OnStatusChanged(EmulatorVm vm, MachineRunner runner, MachineStatus status)
    {
        switch (status)
        {
            case MachineStatus.Rebooting:
                // The runner resets the machine itself and keeps going; consoles stay attached.
                logger.LogInformation("VM {Name} rebooted itself", vm.Definition.Name);
                break;
            case MachineStatus.PoweredOff:
                _ = Task.Run(() => ReleaseAsync(vm, runner, MachineState.Stopped, "The guest powered itself off."));
                break;
            case MachineStatus.Faulted:
                _ = Task.Run(() => ReleaseAsync(vm, runner, MachineState.Error, "The emulator stopped: " + (vm.Machine?.StopReason ?? "unknown reason")));
                break;
        }
    }

    internal async Task PowerOffAsync(EmulatorVm vm)
    {
        if (vm.Runner is { } runner)
        {
            await ReleaseAsync(vm, runner, MachineState.Stopped, null).ConfigureAwait(false);
        }
    }

    private Task ReleaseAsync(EmulatorVm vm, MachineRunner runner, MachineState state, string? detail)
    {
        lock (vm.Gate)
        {
            if (!ReferenceEquals(vm.Runner, runner))
            {
                return Task.CompletedTask;
            }

            vm.Runner = null;
            vm.Machine = null;
            vm.State = state;
            vm.Detail = detail;
        }

        runner.Stop();
        runner.Dispose();
        network.Disconnect(vm, runner.Machine.Config.Network as SwitchPort);
        if (detail is not null)
        {
            logger.LogInformation("VM {Name}: {Detail}", vm.Definition.Name, detail);
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var vm in _vms.Values)
        {
            await PowerOffAsync(vm).ConfigureAwait(false);
            vm.CompleteConsoles();
        }

        _loadLock.Dispose();
    }
}
