using System.Diagnostics;
using Ringmaster.Core.Contracts;

namespace Ringmaster.Agents.Drivers.Emulator;

public sealed partial class EmulatorDriver
{
    /// <summary>CPU is the share of one host core the VM's thread was busy since the last sample; MIPS is the emulator's own figure.</summary>
    public async Task<GuestMetrics?> GetMetricsAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await GetAsync(id, cancellationToken).ConfigureAwait(false);
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
}
