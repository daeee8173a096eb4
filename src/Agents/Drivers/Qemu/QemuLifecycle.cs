using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;
using Ringmaster.Agents.Drivers.Qemu.Qmp;
using Ringmaster.Contracts;
using Ringmaster.Shared;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// What every QEMU VM does: create (a copy-on-write layer on the image's disk, or a blank disk),
/// start, a graceful stop (the ACPI power button, then QEMU quits after the timeout), pause, resume,
/// delete, list, its serial console and its figures.
/// </summary>
public sealed partial class QemuLifecycle(QemuGuests guests, QemuImages images, QemuDriverOptions options, QemuDiskImport disks, ILogger<QemuLifecycle> logger) : IGuestDriver, IGuestRemovableMedia
{
    public MachineKind Kind => MachineKind.Vm;

    public GuestEngineKey Engine => GuestEngineKey.Qemu;

    /// <summary>60 s: a whole operating system stops its services before it powers off, slower still under TCG on a busy host.</summary>
    public TimeSpan DefaultStopTimeout => TimeSpan.FromSeconds(60);

    public async Task<DriverAvailability> CheckAsync(CancellationToken cancellationToken)
    {
        if (guests.Problem() is { } problem)
        {
            return new DriverAvailability(false, problem);
        }

        var decision = await guests.AcceleratorAsync().ConfigureAwait(false);
        return new DriverAvailability(true, $"QEMU ({options.Binary}), {decision.Reason}");
    }

    public async Task<GuestInfo> CreateAsync(GuestDefinition definition, IProgress<int> progress, CancellationToken cancellationToken)
    {
        await guests.LoadAsync(cancellationToken).ConfigureAwait(false);
        if (guests.Vms.Any(v => v.Definition.Id == definition.Id))
        {
            throw new GuestException($"A VM with id {definition.Id} already exists on this host.");
        }

        if (guests.Vms.Any(v => v.Definition.Name == definition.Name))
        {
            throw new GuestException($"A VM named '{definition.Name}' already exists on this host.");
        }

        CheckLimits(definition.Spec);
        // An install from an ISO boots the firmware from the ISO onto an empty disk; otherwise the image's kernel boots its disk.
        var iso = definition.Iso is { } isoSource ? QemuIsoImport.PathOf(options, isoSource) : null;
        if (iso is not null && !File.Exists(iso))
        {
            throw new GuestException($"This host does not hold the ISO '{definition.Iso!.Name}' (looked for {iso}).");
        }

        // A disk imported from another hypervisor: the firmware boots the VM's own qcow2 copy of it.
        var imported = definition.ImageSource is { Kind: ImageKind.Disk } diskSource
            ? await disks.InspectAsync(File.Exists(disks.PathOf(diskSource)) ? disks.PathOf(diskSource)
                : throw new GuestException($"This host does not hold the disk '{diskSource.Name}' (looked for {disks.PathOf(diskSource)})."), cancellationToken).ConfigureAwait(false)
            : null;
        if (imported is not null && options.MachineType == QemuMachineType.Microvm)
        {
            throw new GuestException("A microvm has no firmware to boot an imported disk; set Ringmaster:Qemu:MachineType to pc or q35.");
        }

        var image = iso is null && imported is null ? images.Find(definition.Image) : null;
        var folder = guests.FolderOf(definition.Id);
        folder.EnsureSocketPathsFit();
        // an imported disk keeps at least its own size, and grows to the asked size
        var diskGiB = Math.Max(Math.Max(1, definition.Spec.DiskGiB), imported is null ? 0 : (int)Math.Ceiling(imported.VirtualSizeBytes / (double)(1L << 30)));
        CheckFreeSpace(guests.VmsPath, diskGiB);
        progress.Report(10);
        var spec = definition.Spec with
        {
            Disks = imported is null || definition.Spec.Disks.Count != 1 ? definition.Spec.Disks : [definition.Spec.Disks[0] with { SizeGiB = diskGiB }],
            Networks = definition.Spec.Networks.Count == 0
                ? [new NetworkSpec("net0", MacOf(definition.Id, 0))]
                : [.. definition.Spec.Networks.Select((n, i) => n with { Mac = n.Mac ?? MacOf(definition.Id, i) })],
        };
        var disk = Path.Combine(folder.Path, "disk.qcow2");
        try
        {
            Directory.CreateDirectory(folder.Path);
            if (image?.Disk is { } baseDisk)
            {
                // a layer over the image's disk: a new VM costs almost nothing; the guest sees at least the image's size
                var size = Math.Max(diskGiB, (int)Math.Ceiling(await VirtualSizeAsync(baseDisk, cancellationToken).ConfigureAwait(false) / (double)(1L << 30)));
                await QemuImg.RunAsync(cancellationToken, "create", "-q", "-f", "qcow2", "-b", baseDisk, "-F", image!.DiskFormat == QemuDiskFormat.Raw ? "raw" : "qcow2", disk, $"{size}G").ConfigureAwait(false);
            }
            else if (imported is not null)
            {
                await ConvertImportedAsync(imported, disk, diskGiB, progress, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await QemuImg.RunAsync(cancellationToken, "create", "-q", "-f", "qcow2", disk, $"{diskGiB}G").ConfigureAwait(false);
            }

            progress.Report(50);
            var seed = definition.CloudInit is { } cloudInit
                ? await CloudInitSeed.WriteAsync(definition, cloudInit, folder.Path, cancellationToken).ConfigureAwait(false)
                : null;
            progress.Report(60);
            var machine = new QemuMachine
            {
                Name = definition.Name,
                Uuid = definition.Id,
                MachineType = options.MachineType,
                MemoryMiB = spec.MemoryMiB,
                Vcpus = spec.Vcpus,
                Kernel = image is null ? null : new QemuKernelBoot(image.Kernel, image.Initrd, image.Bootargs),
                Disks = [new QemuDisk("disk0", disk, BootIndex: 1, Serial: "disk0")],
                Cdrom = iso is not null ? new QemuCdrom(iso, BootIndex: 0) : seed is null ? null : new QemuCdrom(seed),
                FirmwareLog = image is null && options.MachineType != QemuMachineType.Microvm,
                EmulatedDevices = spec.Devices == GuestDevices.Emulated,
                Nics = [.. spec.Networks.Select((n, i) => new QemuNic($"net{i}", n.Mac, n.Forwards is { Count: > 0 } forwards
                    ? [.. forwards.Select(f => new QemuPortForward(f.HostPort, f.GuestPort, f.Protocol == "udp" ? QemuProtocol.Udp : QemuProtocol.Tcp))]
                    : null))],
                Vnc = true,
            };
            QemuCommandLine.Validate(machine);
            await folder.SaveAsync(machine, cancellationToken).ConfigureAwait(false);
            // The seed holds the first boot's settings; the definition the agent keeps holds no password.
            var vm = new QemuVm(definition with { Image = image?.Name ?? definition.Image, Spec = spec, Engine = VmEngine.Qemu, CloudInit = definition.CloudInit is { } c ? c with { Password = null } : null }, folder);
            await QemuGuests.SaveDefinitionAsync(vm, cancellationToken).ConfigureAwait(false);
            guests.Add(vm);
            progress.Report(100);
            logger.LogInformation("Created QEMU VM {Name} ({Id}) from {Image}", definition.Name, definition.Id,
                image?.Name ?? (imported is not null ? $"imported {imported.Format.QemuName()} disk {definition.ImageSource!.Name}" : $"ISO {definition.Iso!.Name}"));
            return Info(vm);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OperationCanceledException or ArgumentException or GuestException)
        {
            GuestFolders.TryDelete(folder.Path, logger);
            throw ex as GuestException ?? new GuestException($"Could not create the VM's files: {ex.Message}", ex);
        }
    }

    public async Task<GuestInfo> StartAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        await vm.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!await guests.RefreshAsync(vm).ConfigureAwait(false))
            {
                await guests.StartAsync(vm, cancellationToken).ConfigureAwait(false);
            }

            return await InfoAsync(vm, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            vm.Gate.Release();
        }
    }

    /// <summary>
    /// A graceful stop presses the ACPI power button and waits for the guest to power off; after
    /// <paramref name="timeout"/> (or at once when <paramref name="force"/>) QEMU quits, and is killed
    /// when it does not answer.
    /// </summary>
    public async Task<GuestInfo> StopAsync(Guid id, TimeSpan timeout, bool force, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        await vm.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!await guests.RefreshAsync(vm).ConfigureAwait(false))
            {
                return Info(vm);
            }

            var process = vm.Process!;
            vm.Stopping = true;
            vm.StopReason = null;
            if (!force && timeout > TimeSpan.Zero && vm.Qmp is { } qmp)
            {
                try
                {
                    // First the ACPI power button; a guest that does not act on it (no acpid or logind) is
                    // asked by its guest agent, if it has one; QEMU quits when neither works in time.
                    var deadline = DateTime.UtcNow + timeout;
                    await qmp.SystemPowerdownAsync(cancellationToken).ConfigureAwait(false);
                    if (await ExitsWithinAsync(process, ButtonWait(timeout), cancellationToken).ConfigureAwait(false))
                    {
                        vm.StopReason = "The guest shut down when asked.";
                    }
                    else if (await GuestAgentClient.ShutdownAsync(vm.Folder.GuestAgentSocket, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false)
                        && await ExitsWithinAsync(process, deadline - DateTime.UtcNow, cancellationToken).ConfigureAwait(false))
                    {
                        vm.StopReason = "The guest shut down when its guest agent asked (it did not act on the power button).";
                    }
                    else if (await ExitsWithinAsync(process, deadline - DateTime.UtcNow, cancellationToken).ConfigureAwait(false))
                    {
                        vm.StopReason = "The guest shut down when asked.";
                    }
                    else
                    {
                        logger.LogInformation("QEMU VM {Name} did not power off within {Timeout}; stopping it", vm.Definition.Name, timeout);
                        vm.StopReason = $"The guest did not power off within {timeout.TotalSeconds:0} s of the power button and its guest agent; it was stopped.";
                    }
                }
                catch (Exception ex) when (ex is QmpException or IOException or ObjectDisposedException)
                {
                    // QEMU went away meanwhile
                }
            }

            await QuitAsync(vm, process).ConfigureAwait(false);
            vm.StopReason ??= force ? "Stopped at once (forced)." : null;
            await QemuGuests.DisconnectAsync(vm).ConfigureAwait(false);
            return Info(vm);
        }
        finally
        {
            vm.Gate.Release();
        }
    }

    /// <summary>How long the power button alone is given before the guest agent is asked: a third of the stop timeout, at most 15 s.</summary>
    internal static TimeSpan ButtonWait(TimeSpan timeout) => TimeSpan.FromTicks(Math.Min(timeout.Ticks / 3, TimeSpan.FromSeconds(15).Ticks));

    private static async Task<bool> ExitsWithinAsync(QemuProcess process, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.Zero)
        {
            return !process.IsRunning;
        }

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(wait);
        try
        {
            await process.WaitForExitAsync(bounded.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Asks QEMU to quit and waits for it; kills it when it does not go within 10 s.</summary>
    internal static async Task QuitAsync(QemuVm vm, QemuProcess process)
    {
        if (!process.IsRunning)
        {
            return;
        }

        try
        {
            if (vm.Qmp is { IsConnected: true } qmp)
            {
                await qmp.QuitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(quit.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is QmpException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            process.Kill();
            using var killed = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(killed.Token).ConfigureAwait(false);
        }
    }

    public async Task<GuestInfo> PauseAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await RunningAsync(id, cancellationToken).ConfigureAwait(false);
        await Qmp(vm).StopAsync(cancellationToken).ConfigureAwait(false);
        return await InfoAsync(vm, cancellationToken).ConfigureAwait(false);
    }

    public async Task<GuestInfo> ResumeAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await RunningAsync(id, cancellationToken).ConfigureAwait(false);
        await Qmp(vm).ContAsync(cancellationToken).ConfigureAwait(false);
        return await InfoAsync(vm, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await guests.LoadAsync(cancellationToken).ConfigureAwait(false);
        if (guests.Vms.FirstOrDefault(v => v.Definition.Id == id) is not { } vm)
        {
            GuestFolders.TryDelete(guests.FolderOf(id).Path, logger);
            return;
        }

        await vm.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (vm.Process is { } process)
            {
                await QuitAsync(vm, process).ConfigureAwait(false);
            }
            else if (QemuProcess.Attach(vm.Folder) is { } orphan)
            {
                orphan.Kill();
                await orphan.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }

            await QemuGuests.DisconnectAsync(vm).ConfigureAwait(false);
            vm.DetachAll();
            guests.TryRemove(id);
            GuestFolders.TryDelete(vm.Folder.Path, logger);
            logger.LogInformation("Deleted QEMU VM {Name} ({Id})", vm.Definition.Name, id);
        }
        finally
        {
            vm.Gate.Release();
        }
    }

    public async Task<IReadOnlyList<GuestInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await guests.LoadAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<GuestInfo>();
        foreach (var vm in guests.Vms)
        {
            await guests.RefreshAsync(vm).ConfigureAwait(false);
            list.Add(await InfoAsync(vm, cancellationToken).ConfigureAwait(false));
        }

        return [.. list.OrderBy(g => g.Name, StringComparer.Ordinal)];
    }

    /// <summary>The VM's serial console: what this boot printed so far, then what follows, across stops and starts.</summary>
    public async Task<IGuestConsole> AttachConsoleAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        vm.Attach(channel);
        return new SerialConsole(vm, channel);
    }

    /// <summary>CPU from QEMU's process (user + system time, 100 = one host core), memory it holds, disk I/O from QMP.</summary>
    public async Task<GuestMetrics?> GetMetricsAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (!await guests.RefreshAsync(vm).ConfigureAwait(false) || vm.Process is not { } process)
        {
            return null;
        }

        var (busy, resident) = process.Figures();
        var now = Stopwatch.GetTimestamp();
        var (lastBusy, lastStamp) = vm.LastSample;
        vm.LastSample = (busy, now);
        var cpu = lastStamp == 0 ? 0 : 100 * (busy - lastBusy).TotalSeconds / Stopwatch.GetElapsedTime(lastStamp, now).TotalSeconds;
        long read = 0, written = 0;
        if (vm.Qmp is { IsConnected: true } qmp)
        {
            try
            {
                foreach (var stats in await qmp.QueryBlockStatsAsync(cancellationToken).ConfigureAwait(false))
                {
                    read += stats.Stats.ReadBytes;
                    written += stats.Stats.WriteBytes;
                }
            }
            catch (Exception ex) when (ex is QmpException or IOException)
            {
                // figures without disk I/O this time
            }
        }

        var limit = (long)vm.Definition.Spec.MemoryMiB << 20;
        return new GuestMetrics(id, DateTimeOffset.UtcNow, Math.Clamp(cpu, 0, 100 * vm.Definition.Spec.Vcpus), Math.Min(resident, limit), limit, read, written, 0, 0, null);
    }

    private async Task<QemuVm> RunningAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return await guests.RefreshAsync(vm).ConfigureAwait(false) ? vm : throw new GuestException($"VM {vm.Definition.Name} is not running.");
    }

    private static QmpClient Qmp(QemuVm vm) => vm.Qmp ?? throw new GuestException($"VM {vm.Definition.Name} is not running.");

    internal async Task<GuestInfo> InfoAsync(QemuVm vm, CancellationToken cancellationToken)
    {
        var state = MachineState.Stopped;
        if (vm.Runs && vm.Qmp is { } qmp)
        {
            try
            {
                var status = await qmp.QueryStatusAsync(cancellationToken).ConfigureAwait(false);
                state = status.Running ? MachineState.Running : status.Status == QmpRunStates.Paused ? MachineState.Paused : MachineState.Running;
            }
            catch (Exception ex) when (ex is QmpException or IOException or ObjectDisposedException)
            {
                await guests.RefreshAsync(vm).ConfigureAwait(false);
                state = vm.Runs ? MachineState.Running : MachineState.Stopped;
            }
        }

        return Info(vm, state);
    }

    private static GuestInfo Info(QemuVm vm, MachineState? state = null)
    {
        var now = state ?? (vm.Runs ? MachineState.Running : MachineState.Stopped);
        var detail = now == MachineState.Stopped ? vm.StopReason : vm.Accelerator;
        var d = vm.Definition;
        return new GuestInfo(d.Id, d.Name, MachineKind.Vm, now, d.Image, d.Spec, d.Labels, detail, VmEngine.Qemu,
            now is MachineState.Running or MachineState.Paused ? vm.Process?.StartedAt : null);
    }

    private void CheckLimits(MachineSpec spec)
    {
        if (spec.MemoryMiB < 64 || spec.MemoryMiB > options.MaxMemoryMiB)
        {
            throw new GuestException($"A QEMU VM needs between 64 and {options.MaxMemoryMiB} MiB of memory.");
        }

        if (spec.Vcpus < 1 || spec.Vcpus > options.MaxVcpus)
        {
            throw new GuestException($"A QEMU VM has between 1 and {options.MaxVcpus} vCPUs.");
        }
    }

    /// <summary>A disk may grow to its size: refuse one larger than the free space of the VMs' filesystem.</summary>
    private static void CheckFreeSpace(string path, int diskGiB)
    {
        Directory.CreateDirectory(path);
        var free = new DriveInfo(Path.GetFullPath(path)).AvailableFreeSpace;
        if ((long)diskGiB << 30 > free)
        {
            throw new GuestException($"A disk of {diskGiB} GiB does not fit: this host has {free / (double)(1L << 30):0.0} GiB free for VMs.");
        }
    }

    /// <summary>The VM's own qcow2 from an imported disk, converted with qemu-img's progress as the create's (10–50 %), then grown to <paramref name="diskGiB"/>.</summary>
    private async Task ConvertImportedAsync(QemuImportedDisk imported, string disk, int diskGiB, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var note = $"Converting the {imported.Format.QemuName()} disk to qcow2";
        progress.Report(10, note);
        var last = -1;
        await disks.ConvertAsync(imported, disk, percent =>
        {
            var step = 10 + (int)(percent * 0.4);
            if (step != last)
            {
                last = step;
                progress.Report(step, $"{note}: {percent:0} %");
            }
        }, cancellationToken).ConfigureAwait(false);
        if ((long)diskGiB << 30 > imported.VirtualSizeBytes)
        {
            await QemuImg.RunAsync(cancellationToken, "resize", "-q", "-f", "qcow2", disk, $"{diskGiB}G").ConfigureAwait(false);
        }
    }

    private static async Task<long> VirtualSizeAsync(string disk, CancellationToken cancellationToken)
    {
        var output = await QemuImg.RunAsync(cancellationToken, "info", "--output=json", "-U", disk).ConfigureAwait(false);
        using var info = System.Text.Json.JsonDocument.Parse(output);
        return info.RootElement.GetProperty("virtual-size").GetInt64();
    }

    /// <summary>A stable, locally administered MAC in QEMU's range for NIC <paramref name="index"/> of a machine.</summary>
    internal static string MacOf(Guid id, int index)
    {
        var bytes = id.ToByteArray();
        return string.Create(CultureInfo.InvariantCulture, $"52:54:00:{bytes[0]:x2}:{bytes[1]:x2}:{(byte)(bytes[2] + index):x2}");
    }

    /// <summary>One attachment to a VM's serial line.</summary>
    private sealed class SerialConsole(QemuVm vm, Channel<byte[]> channel) : IGuestConsole
    {
        public ChannelReader<byte[]> Output => channel.Reader;

        public ValueTask WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken) =>
            vm.Serial is { } serial ? serial.WriteAsync(input, cancellationToken) : throw new GuestException($"VM {vm.Definition.Name} is not running.");

        /// <summary>A serial line has no window size.</summary>
        public ValueTask ResizeAsync(int columns, int rows, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync()
        {
            vm.Detach(channel);
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Runs Debian's <c>qemu-img</c> (package <c>qemu-utils</c>) and says what it said when it fails.</summary>
internal static class QemuImg
{
    public static Task<string> RunAsync(CancellationToken cancellationToken, params string[] arguments) =>
        HostTool.RunAsync("qemu-img", "qemu-utils", cancellationToken, arguments);
}
