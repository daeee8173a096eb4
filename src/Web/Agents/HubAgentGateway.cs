using Microsoft.AspNetCore.SignalR;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Agents;

/// <summary>
/// Reaches agents through the hub: commands are acknowledged at once, their outcome awaited. An agent
/// connected to another web node is reached through the backplane (<see cref="IAgentRoutes"/>).
/// </summary>
public sealed class HubAgentGateway(IHubContext<AgentHub, IAgentClient> hub, AgentConnections connections, PendingCommands pending, IAgentRoutes routes) : IAgentGateway
{
    private static readonly TimeSpan s_ackTimeout = TimeSpan.FromSeconds(30);

    public bool IsConnected(Guid hostId) => ConnectionOf(hostId) is not null;

    public Task AskToRegisterAgainAsync(Guid hostId) =>
        ConnectionOf(hostId) is { } connection ? hub.Clients.Client(connection).Resync() : Task.CompletedTask;

    public async Task<CommandResult> ExecuteAsync(Guid hostId, AgentCommand command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var client = Client(hostId);
        // The agent gives up when the server does: a backup or a move may take 30 minutes.
        command = command with { TimeoutSeconds = command.TimeoutSeconds ?? (int)Math.Ceiling(Math.Min(timeout.TotalSeconds, int.MaxValue)) };
        if (connections.ConnectionOf(hostId) is null)
        {
            await routes.ExpectOutcomeAsync(command.CommandId, timeout, cancellationToken);
        }

        var outcome = pending.Register(hostId, command.CommandId);
        var sent = System.Diagnostics.Stopwatch.GetTimestamp();
        CommandAck ack;
        try
        {
            using var ackTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ackTimeout.CancelAfter(s_ackTimeout);
            ack = await client.Execute(command, ackTimeout.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            pending.Forget(command.CommandId);
            throw new AgentUnavailableException($"The host's agent did not accept the command: {ex.Message}", ex);
        }

        if (!ack.Accepted)
        {
            pending.Forget(command.CommandId);
            throw new AgentCommandException(new CommandResult(command.CommandId, false, null, ack.Error));
        }

        CommandResult result;
        try
        {
            result = await outcome.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            pending.Forget(command.CommandId);
            RecordLatency(command, "timeout", sent);
            throw new AgentUnavailableException($"The host's agent did not finish within {timeout.TotalSeconds:0} s.");
        }

        RecordLatency(command, result.Succeeded ? "succeeded" : "failed", sent);
        return result.Succeeded ? result : throw new AgentCommandException(result);
    }

    private static void RecordLatency(AgentCommand command, string outcome, long sent) =>
        RingmasterMeter.AgentCommandDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(sent).TotalSeconds,
            new KeyValuePair<string, object?>("command", command.Kind.ToString().ToLowerInvariant()), new KeyValuePair<string, object?>("outcome", outcome));

    public async Task<IReadOnlyList<GuestInfo>> ListGuestsAsync(Guid hostId, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_ackTimeout);
        return await Client(hostId).ListGuests(timeout.Token);
    }

    public async Task OpenConsoleAsync(Guid hostId, Guid machineId, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_ackTimeout);
        var ack = await Client(hostId).OpenConsole(machineId, timeout.Token);
        if (!ack.Accepted)
        {
            throw new AgentCommandException(new CommandResult(Guid.Empty, false, null, ack.Error));
        }
    }

    public async Task OpenDisplayAsync(Guid hostId, DisplayStream stream, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_ackTimeout);
        var ack = await Client(hostId).OpenDisplay(stream, timeout.Token);
        if (!ack.Accepted)
        {
            throw new AgentCommandException(new CommandResult(Guid.Empty, false, null, ack.Error));
        }
    }

    public Task SendConsoleInputAsync(Guid hostId, ConsoleChunk chunk, CancellationToken cancellationToken) => Client(hostId).ConsoleInput(chunk);

    public Task ResizeConsoleAsync(Guid hostId, ConsoleSize size, CancellationToken cancellationToken) => Client(hostId).ConsoleResize(size);

    private string? ConnectionOf(Guid hostId) => connections.ConnectionOf(hostId) ?? routes.RemoteConnectionOf(hostId);

    private IAgentClient Client(Guid hostId) =>
        ConnectionOf(hostId) is { } connectionId
            ? hub.Clients.Client(connectionId)
            : throw new AgentUnavailableException("The host's agent is not connected.");
}
