namespace Ringmaster.Agents.Drivers;

/// <summary>A driver whose guests have a graphical console (QEMU's VNC server).</summary>
public interface IGuestDisplay : IGuestCapability
{
    /// <summary>
    /// Connects to the running guest's graphical console: an RFB (VNC) byte stream both ways, one per
    /// viewer. Throws <see cref="GuestException"/> when the guest does not run or its display does not answer.
    /// </summary>
    Task<Stream> ConnectDisplayAsync(Guid id, CancellationToken cancellationToken);
}
