using Microsoft.Extensions.Logging;
using Ringmaster.Core.Contracts;
using Ringmaster.Emulator;

namespace Ringmaster.Agents.Drivers.Emulator;

public sealed partial class EmulatorDriver
{
    public async Task<GuestInfo> StartAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (vm.Runner is not null)
        {
            return vm.State == MachineState.Paused ? await ResumeAsync(id, cancellationToken).ConfigureAwait(false) : Info(vm);
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
            Network = ConnectNetwork(vm),
        };
        RiscVMachine machine;
        try
        {
            config = WithDisk(vm, config);
            machine = await Task.Run(() => BootOrResume(vm, config), cancellationToken).ConfigureAwait(false);
        }
        catch (MachineConfigurationException ex)
        {
            DisconnectNetwork(vm);
            throw new GuestException($"The VM cannot start: {ex.Message}", ex);
        }

        var runner = new MachineRunner(machine, options.SliceBudget);
        runner.ConsoleOutput += vm.Broadcast;
        runner.StatusChanged += status => OnStatusChanged(vm, runner, status);
        vm.Machine = machine;
        vm.Runner = runner;
        vm.State = MachineState.Running;
        vm.Detail = null;
        vm.LastSample = default;
        vm.ClearHistory();
        runner.Start();
        logger.LogInformation("Started VM {Name} ({Id}): {Memory} MiB, {Harts} harts, image {Image}", vm.Definition.Name, id, config.MemoryMiB, config.Harts, image.Name);
        return Info(vm);
    }

    /// <summary>The emulated machine has no shutdown request a guest listens to yet: a stop powers the VM off at once, like pulling its plug.</summary>
    public async Task<GuestInfo> StopAsync(Guid id, TimeSpan timeout, bool force, CancellationToken cancellationToken)
    {
        var vm = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        await PowerOffAsync(vm).ConfigureAwait(false);
        return Info(vm);
    }

    public async Task<GuestInfo> PauseAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (vm.Runner is not { } runner)
        {
            throw new GuestException($"VM {vm.Definition.Name} is not running.");
        }

        runner.Pause();
        vm.State = MachineState.Paused;
        return Info(vm);
    }

    public async Task<GuestInfo> ResumeAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (vm.Runner is not { } runner)
        {
            throw new GuestException($"VM {vm.Definition.Name} is not running.");
        }

        runner.Resume();
        vm.State = MachineState.Running;
        return Info(vm);
    }

    private void OnStatusChanged(Vm vm, MachineRunner runner, MachineStatus status)
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

    private async Task PowerOffAsync(Vm vm)
    {
        if (vm.Runner is { } runner)
        {
            await ReleaseAsync(vm, runner, MachineState.Stopped, null).ConfigureAwait(false);
        }
    }

    private Task ReleaseAsync(Vm vm, MachineRunner runner, MachineState state, string? detail)
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
        DisconnectNetwork(vm, runner.Machine.Config.Network as SwitchPort);
        if (detail is not null)
        {
            logger.LogInformation("VM {Name}: {Detail}", vm.Definition.Name, detail);
        }

        return Task.CompletedTask;
    }
}
