using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>Changes a VM's spec.</summary>
public sealed class EmulatorSpecUpdater(EmulatorGuests guests, ILogger<EmulatorSpecUpdater> logger) : IGuestSpecUpdater
{
    /// <summary>
    /// Keeps the new spec in the VM's definition: its vCPUs and memory take effect at its next start
    /// (a running emulated board keeps its harts and RAM); a bigger disk grows <c>disk.img</c> (sparse),
    /// which needs the VM stopped.
    /// </summary>
    public async Task<GuestInfo> UpdateSpecAsync(Guid id, MachineSpec spec, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        VmLimits.Check(spec);
        var diskBytes = (long)Math.Max(1, spec.DiskGiB) << 30;
        var disk = new FileInfo(vm.DiskPath);
        if (disk.Exists && diskBytes > disk.Length)
        {
            if (vm.Machine is not null)
            {
                throw new GuestException($"Stop VM {vm.Definition.Name} to grow its disk.");
            }

            await using var stream = new FileStream(disk.FullName, FileMode.Open, FileAccess.Write);
            stream.SetLength(diskBytes);
        }

        vm.Definition = vm.Definition with { Spec = spec };
        await EmulatorGuests.SaveDefinitionAsync(vm, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("VM {Name} ({Id}) now has {Vcpus} vCPUs and {Memory} MiB from its next start", vm.Definition.Name, id, spec.Vcpus, spec.MemoryMiB);
        return vm.Info();
    }
}
