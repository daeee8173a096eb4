using Ringmaster.Contracts;

namespace Ringmaster.Web.Agents;

/// <summary>
/// How a command reaches a host's agent whichever web node holds its connection, and how its outcome
/// comes back to the node that waits for it. One node alone needs none of it (<see cref="SingleNodeRoutes"/>);
/// with a backplane the nodes tell each other (<see cref="Cluster.RedisBackplane"/>).
/// </summary>
public interface IAgentRoutes
{
    /// <summary>The hub connection of the host's agent when another node holds it.</summary>
    string? RemoteConnectionOf(Guid hostId);

    /// <summary>Called before a command goes to an agent on another node: its outcome will reach that node, which hands it here.</summary>
    Task ExpectOutcomeAsync(Guid commandId, TimeSpan within, CancellationToken cancellationToken);

    /// <summary>An outcome no request of this node waits for: hands it to the live node that sent the command; false when there is none.</summary>
    Task<bool> ForwardOutcomeAsync(CommandResult result);

    /// <summary>
    /// Where to send an agent's request for a transfer (<see cref="Core.Services.TransferRelay"/>) that
    /// another node opened: that node's address; null when no other node has it.
    /// </summary>
    Task<Uri?> TransferNodeAsync(Guid transferId, CancellationToken cancellationToken);
}

/// <summary>One web node: every agent it can reach is connected to it.</summary>
public sealed class SingleNodeRoutes : IAgentRoutes
{
    public string? RemoteConnectionOf(Guid hostId) => null;

    public Task ExpectOutcomeAsync(Guid commandId, TimeSpan within, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<bool> ForwardOutcomeAsync(CommandResult result) => Task.FromResult(false);

    public Task<Uri?> TransferNodeAsync(Guid transferId, CancellationToken cancellationToken) => Task.FromResult<Uri?>(null);
}
