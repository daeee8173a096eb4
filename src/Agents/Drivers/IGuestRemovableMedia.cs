using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>A driver whose guests have a CD-ROM whose medium can be taken out (a QEMU VM installed from an ISO).</summary>
public interface IGuestRemovableMedia : IGuestCapability
{
    /// <summary>Takes the medium out of the guest's CD-ROM (live when it runs) and drops it from the guest's kept definition, so the next start boots from the disk; does nothing when the drive is already empty (safe to repeat).</summary>
    Task<GuestInfo> EjectAsync(Guid id, CancellationToken cancellationToken);
}
