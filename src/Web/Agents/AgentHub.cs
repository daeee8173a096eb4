using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Shared;

namespace Ringmaster.Web.Agents;

/// <summary>
/// Where agents dial in (<c>/hubs/agents</c>, join token required). Every call after
/// <see cref="Register"/> speaks for the host that registered on the same connection.
/// </summary>
[Authorize(AuthenticationSchemes = JoinTokenAuthentication.SchemeName)]
public sealed partial class AgentHub(
    InventoryService inventory,
    AgentConnections connections,
    PendingCommands pending,
    OperationService operations,
    ConsoleBroker consoles,
    LiveFeed feed,
    TransferRelay transfers,
    ILogger<AgentHub> logger,
    AgentCredentials credentials,
    OperationRecovery recovery,
    MetricsHistory history,
    IAgentRoutes routes) : Hub<IAgentClient>, IAgentHub
{
    public async Task<RegistrationResult> Register(AgentRegistration registration)
    {
        if (registration.HostId == Guid.Empty || string.IsNullOrWhiteSpace(registration.HostName) || registration.HostName.Length > 253
            || InputText.HasHiddenCharacters(registration.HostName))
        {
            throw new HubException($"A registration needs a host id and a host name of at most 253 characters; a host name {InputText.HiddenCharacters}.");
        }

        // An agent's own credential speaks for its host only; a join token gets the host a credential, unless it was revoked.
        string? credential = null;
        if (Context.User?.FindFirst(JoinTokenAuthentication.HostClaim)?.Value is { } credentialHost)
        {
            if (credentialHost != registration.HostId.ToString())
            {
                throw new HubException("This agent's credential belongs to another host.");
            }
        }
        else if ((credential = await credentials.IssueAsync(registration.HostId, Context.ConnectionAborted)) is null)
        {
            // Unbound, the connection can do nothing; the agent is told why.
            logger.LogWarning("Refused host {HostId}: its agent credential was revoked", registration.HostId);
            throw new HubException("This host's agent credential was revoked; an admin must remove the host before it can join again.");
        }

        connections.Bind(registration.HostId, Context.ConnectionId);
        credentials.Track(registration.HostId, Context);
        logger.LogInformation("Agent for host {Host} ({HostId}) registered with {Count} guests", registration.HostName, registration.HostId, registration.Guests.Count);
        var result = await inventory.RegisterAsync(registration, Context.ConnectionAborted);

        // What the agent holds settles what a stop of the server interrupted; done in the background,
        // since it may send the agent commands whose outcomes come only once it is registered.
        recovery.HostRegistered(registration.HostId, registration);
        return credential is null ? result : result with { Credential = credential };
    }

    public async Task Heartbeat(AgentHeartbeat heartbeat)
    {
        if (HostOrNull() is { } hostId && await inventory.HeartbeatAsync(heartbeat with { HostId = hostId }, Context.ConnectionAborted))
        {
            logger.LogInformation("Host {HostId} is back after late heartbeats; asking its agent for its whole state", hostId);
            await Clients.Caller.Resync();
        }
    }

    public Task CapabilitiesChanged(HostCapabilities capabilities) =>
        HostOrNull() is { } hostId ? inventory.CapabilitiesChangedAsync(hostId, capabilities, Context.ConnectionAborted) : Task.CompletedTask;

    public async Task CommandCompleted(CommandResult result)
    {
        // Waited for here, or by the node that sent the command to this agent through the backplane.
        var claimed = pending.Complete(result) || await routes.ForwardOutcomeAsync(result);
        if (HostOrNull() is not { } hostId)
        {
            return;
        }

        if (claimed)
        {
            recovery.ClaimedOutcome(hostId, result);
        }
        else
        {
            // Sent by a server that stopped before the outcome came: it settles its operation now.
            recovery.UnclaimedOutcome(hostId, result);
        }
    }

    public Task GuestChanged(GuestInfo guest) =>
        HostOrNull() is { } hostId ? inventory.GuestReportedAsync(hostId, guest, Context.ConnectionAborted) : Task.CompletedTask;

    public Task GuestRemoved(Guid machineId) =>
        HostOrNull() is { } hostId ? inventory.GuestRemovedAsync(hostId, machineId, Context.ConnectionAborted) : Task.CompletedTask;

    public Task OperationProgress(OperationProgressReport report) =>
        operations.ReportProgressAsync(report.OperationId, report.Progress, report.Message);

    public Task Metrics(IReadOnlyList<GuestMetrics> metrics)
    {
        if (HostOrNull() is { } hostId)
        {
            history.RecordGuests(hostId, metrics);
            feed.Publish(new MetricsChanged(hostId, metrics));
        }

        return Task.CompletedTask;
    }

    public Task ConsoleOutput(ConsoleChunk chunk)
    {
        if (HostOrNull() is not null)
        {
            consoles.Publish(chunk.MachineId, chunk.Data);
        }

        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (connections.Unbind(Context.ConnectionId) is { } hostId)
        {
            credentials.Forget(hostId, Context.ConnectionId);
            logger.LogWarning("Agent of host {HostId} disconnected: {Reason}", hostId, exception?.Message ?? "closed");
            pending.FailHost(hostId, "its agent disconnected");
            transfers.FailHost(hostId, "a host's agent disconnected during the transfer");
        }

        return Task.CompletedTask;
    }

    private Guid? HostOrNull() => connections.HostOf(Context.ConnectionId);
}
