using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>
/// A driver whose commands write files step by step. When the agent starts, before any command
/// runs, it removes what a command interrupted by a crash left half made (a folder without its
/// definition, a file still under its temporary name) and says what it removed; what is complete
/// stays, for the server to adopt.
/// </summary>
public interface IGuestLeftovers : IGuestCapability
{
    Task<IReadOnlyList<DiscardedLeftover>> DiscardLeftoversAsync(CancellationToken cancellationToken);
}
