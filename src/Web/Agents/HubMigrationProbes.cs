using Microsoft.AspNetCore.SignalR;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Agents;

/// <summary>Asks agents the pre-flight questions of a migration through the hub (a client result), on whichever node they are connected to.</summary>
public sealed class HubMigrationProbes(IHubContext<AgentHub, IAgentClient> hub, AgentConnections connections, IAgentRoutes routes) : IMigrationProbes
{
    public Task<MigrationProbe> ProbeAsync(Guid hostId, MigrationProbeRequest request, CancellationToken cancellationToken) =>
        (connections.ConnectionOf(hostId) ?? routes.RemoteConnectionOf(hostId)) is { } connectionId
            ? hub.Clients.Client(connectionId).ProbeMigration(request, cancellationToken)
            : throw new AgentUnavailableException("The host's agent is not connected.");
}
