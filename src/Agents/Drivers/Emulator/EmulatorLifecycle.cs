using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;
using Ringmaster.Contracts;
using Ringmaster.Emulator;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>What every VM of the RISC-V emulator does: create, start, stop, pause, resume, delete, list, its console and its figures.</summary>
public sealed class EmulatorLifecycle(EmulatorGuests guests, GuestImages images, ILogger<EmulatorLifecycle> logger) : IGuestDriver
{
    public MachineKind Kind => MachineKind.Vm;

    public Task<DriverAvailability> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var image = images.Find("default");
            return Task.FromResult(new DriverAvailability(true, $"RISC-V emulator {EmulatorInfo.Version} ({EmulatorInfo.Isa}); default image at {image.Directory}"));
        }
        catch (GuestException ex)
        {
            return Task.FromResult(new DriverAvailability(true, $"RISC-V emulator {EmulatorInfo.Version}; {ex.Message}"));
        }
    }

    public async Task<GuestInfo> CreateAsync(GuestDefinition definition, IProgress<int> progress, CancellationToken cancellationToken)
    {
        await guests.LoadAsync(cancellationToken).ConfigureAwait(false);
        if (guests.Contains(definition.Id))
        {
            throw new GuestException($"A VM with id {definition.Id} already exists on this host.");
        }

        if (guests.Vms.Any(v => v.Definition.Name == definition.Name))
        {
            throw new GuestException($"A VM named '{definition.Name}' already exists on this host.");
        }

        VmLimits.Check(definition.Spec);
        var image = await images.FindOrBuildAsync(definition.Image, progress, cancellationToken).ConfigureAwait(false);
        var spec = EmulatorNetwork.AssignMacs(definition);
        progress.Report(10);
        var folder = guests.FolderOf(definition.Id);
        try
        {
            Directory.CreateDirectory(folder);
            var diskBytes = (long)Math.Max(1, definition.Spec.DiskGiB) << 30;
            await using (var disk = new FileStream(Path.Combine(folder, EmulatorFiles.DiskFile), FileMode.CreateNew, FileAccess.Write))
            {
                disk.SetLength(diskBytes);
            }

            progress.Report(60);
            var vm = new EmulatorVm(definition with { Image = image.Name, Spec = spec }, folder);
            await EmulatorGuests.SaveDefinitionAsync(vm, cancellationToken).ConfigureAwait(false);
            guests.Add(vm);
            progress.Report(100);
            logger.LogInformation("Created VM {Name} ({Id}) from image {Image}", definition.Name, definition.Id, image.Name);
            return vm.Info();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            guests.TryDeleteFolder(folder);
            throw new GuestException($"Could not create the VM's files: {ex.Message}", ex);
        }
    }

    public Task<GuestInfo> StartAsync(Guid id, CancellationToken cancellationToken) => guests.StartAsync(id, cancellationToken);

    /// <summary>The emulated machine has no shutdown request a guest listens to yet: a stop powers the VM off at once, like pulling its plug.</summary>
    public async Task<GuestInfo> StopAsync(Guid id, TimeSpan timeout, bool force, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        await guests.PowerOffAsync(vm).ConfigureAwait(false);
        return vm.Info();
    }

    public async Task<GuestInfo> PauseAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (vm.Runner is not { } runner)
        {
            throw new GuestException($"VM {vm.Definition.Name} is not running.");
        }

        runner.Pause();
        vm.State = MachineState.Paused;
        return vm.Info();
    }

    public async Task<GuestInfo> ResumeAsync(Guid id, CancellationToken cancellationToken) =>
        EmulatorGuests.Resume(await guests.GetAsync(id, cancellationToken).ConfigureAwait(false));

    public Task DeleteAsync(Guid id, CancellationToken cancellationToken) => guests.DeleteAsync(id, cancellationToken);

    public async Task<IReadOnlyList<GuestInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await guests.LoadAsync(cancellationToken).ConfigureAwait(false);
        return [.. guests.Vms.Select(v => v.Info()).OrderBy(g => g.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The VM's serial console: first what it printed since this boot began, then what follows. It
    /// stays attached across guest reboots and stop/start.
    /// </summary>
    public async Task<IGuestConsole> AttachConsoleAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (vm.Gate)
        {
            foreach (var chunk in vm.History)
            {
                channel.Writer.TryWrite(chunk);
            }

            vm.Consoles.Add(channel);
        }

        return new SerialConsole(vm, channel);
    }

    /// <summary>CPU is the share of one host core the VM's thread was busy since the last sample; MIPS is the emulator's own figure.</summary>
    public async Task<GuestMetrics?> GetMetricsAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (vm.Machine is not { } machine)
        {
            return null;
        }

        var now = Stopwatch.GetTimestamp();
        var busy = machine.BusyTime;
        var (lastBusy, lastStamp) = vm.LastSample;
        vm.LastSample = (busy, now);
        var cpu = lastStamp == 0 ? 0 : 100 * (busy - lastBusy).TotalSeconds / Stopwatch.GetElapsedTime(lastStamp, now).TotalSeconds;
        var memory = (long)vm.Definition.Spec.MemoryMiB << 20;
        return new GuestMetrics(id, DateTimeOffset.UtcNow, Math.Clamp(cpu, 0, 100 * vm.Definition.Spec.Vcpus), memory, memory, 0, 0, 0, 0, machine.Mips);
    }

    /// <summary>One attachment to a VM's serial line.</summary>
    private sealed class SerialConsole(EmulatorVm vm, Channel<byte[]> channel) : IGuestConsole
    {
        public ChannelReader<byte[]> Output => channel.Reader;

        public ValueTask WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
        {
            var machine = vm.Machine ?? throw new GuestException($"VM {vm.Definition.Name} is not running.");
            machine.WriteConsoleInput(input.Span);
            return ValueTask.CompletedTask;
        }

        /// <summary>A serial line has no window size.</summary>
        public ValueTask ResizeAsync(int columns, int rows, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync()
        {
            lock (vm.Gate)
            {
                vm.Consoles.Remove(channel);
            }

            channel.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }
    }
}
