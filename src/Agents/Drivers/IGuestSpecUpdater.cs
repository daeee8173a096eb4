using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>A driver that can change an existing guest's spec (vCPUs, memory, disk).</summary>
public interface IGuestSpecUpdater : IGuestCapability
{
    /// <summary>
    /// Applies <paramref name="spec"/>: live where the engine can (containers' CPU and memory limits),
    /// else from the guest's next start (a VM's vCPUs and memory). Returns the guest as it is now.
    /// </summary>
    Task<GuestInfo> UpdateSpecAsync(Guid id, MachineSpec spec, CancellationToken cancellationToken);
}
