using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>
/// A driver whose guests move between hosts as a stream of frames (see <c>Migration/MigrationFrames.cs</c>).
/// The source keeps its guest until the server says the target has it: a live VM stays paused
/// (state <see cref="MachineState.Migrating"/>) after <see cref="SendAsync"/>, then is deleted or resumed.
/// </summary>
public interface IMigratableDriver : IGuestCapability
{
    /// <summary>Pre-flight: on the source (no manifest in the request) the image's checksums; on the target whether the guest can come.</summary>
    Task<MigrationProbe> ProbeAsync(MigrationProbeRequest request, CancellationToken cancellationToken);

    /// <summary>Sends the guest. On failure the guest is as it was (running guests keep running).</summary>
    Task<MigrationFigures> SendAsync(Guid id, MigrationOrder order, Transfers.TransferSink output, IProgress<int> progress, CancellationToken cancellationToken);

    /// <summary>Receives a guest and (when it ran on the source) runs it. On failure nothing is left behind.</summary>
    Task<(GuestInfo Guest, MigrationFigures Figures)> ReceiveAsync(GuestDefinition definition, MigrationOrder order, IAsyncEnumerable<byte[]> input, CancellationToken cancellationToken);

    /// <summary>After a failed migration: the source's guest back as it was before <see cref="SendAsync"/>.</summary>
    Task<GuestInfo> AbortSendAsync(Guid id, CancellationToken cancellationToken);
}
