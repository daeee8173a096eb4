using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>
/// What every guest engine does. One driver per <see cref="MachineKind"/>, registered as a keyed
/// service under its kind. Drivers keep their own record of the guests they made (the engine's
/// labels for containers, the agent's data folder for VMs) so that <see cref="ListAsync"/> answers
/// after an agent restart.
/// </summary>
public interface IGuestDriver : IGuestCapability
{
    MachineKind Kind { get; }

    /// <summary>The engine this driver is (its guests' kind, and for VMs which engine runs them).</summary>
    GuestEngineKey Engine => Kind;

    /// <summary>Whether the driver can run guests on this host, and why not.</summary>
    Task<DriverAvailability> CheckAsync(CancellationToken cancellationToken);

    /// <summary>Creates the guest (stopped). Reports progress 0–100. Throws <see cref="GuestException"/> with a clear message on failure, leaving nothing behind.</summary>
    Task<GuestInfo> CreateAsync(GuestDefinition definition, IProgress<int> progress, CancellationToken cancellationToken);

    Task<GuestInfo> StartAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>How long a graceful stop waits for the guest when the user names no timeout: 10 s, as Docker does.</summary>
    TimeSpan DefaultStopTimeout => TimeSpan.FromSeconds(10);

    /// <summary>Asks the guest to stop; after <paramref name="timeout"/> (or at once when <paramref name="force"/>) it is killed.</summary>
    Task<GuestInfo> StopAsync(Guid id, TimeSpan timeout, bool force, CancellationToken cancellationToken);

    Task<GuestInfo> PauseAsync(Guid id, CancellationToken cancellationToken);

    Task<GuestInfo> ResumeAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Deletes the guest and everything stored for it; deleting a guest that does not exist succeeds.</summary>
    Task DeleteAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Every guest of this kind that this agent made, with its current state.</summary>
    Task<IReadOnlyList<GuestInfo>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Attaches to the guest's console (both ways). Output starts with what the guest prints from now on.</summary>
    Task<IGuestConsole> AttachConsoleAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Current figures of a running guest; null when it does not run.</summary>
    Task<GuestMetrics?> GetMetricsAsync(Guid id, CancellationToken cancellationToken);
}

/// <summary>An attached console: bytes from the guest arrive on <see cref="Output"/>; input is written with <see cref="WriteAsync"/>.</summary>
public interface IGuestConsole : IAsyncDisposable
{
    System.Threading.Channels.ChannelReader<byte[]> Output { get; }

    ValueTask WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken);

    ValueTask ResizeAsync(int columns, int rows, CancellationToken cancellationToken);
}

/// <summary>Whether a driver can run guests here.</summary>
public sealed record DriverAvailability(bool Available, string Detail);

/// <summary>A guest operation failed for a reason the user should read.</summary>
public class GuestException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The guest does not exist on this agent.</summary>
public sealed class GuestNotFoundException(Guid id) : GuestException($"No guest {id} on this host.");
