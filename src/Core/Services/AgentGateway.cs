using System.Collections.Concurrent;
using Ringmaster.Contracts;

namespace Ringmaster.Core.Services;

/// <summary>How the core reaches the agents; the web implements it over the agent hub.</summary>
public interface IAgentGateway
{
    bool IsConnected(Guid hostId);

    /// <summary>Asks the host's agent to register again (with what it holds now); nothing when it is not connected here.</summary>
    Task AskToRegisterAgainAsync(Guid hostId);

    /// <summary>
    /// Sends a command to the host's agent and waits for its outcome. Throws
    /// <see cref="AgentUnavailableException"/> when the agent is not connected or does not answer in
    /// time, and <see cref="AgentCommandException"/> when the agent reports a failure.
    /// </summary>
    Task<CommandResult> ExecuteAsync(Guid hostId, AgentCommand command, TimeSpan timeout, CancellationToken cancellationToken);

    Task<IReadOnlyList<GuestInfo>> ListGuestsAsync(Guid hostId, CancellationToken cancellationToken);

    Task OpenConsoleAsync(Guid hostId, Guid machineId, CancellationToken cancellationToken);

    Task SendConsoleInputAsync(Guid hostId, ConsoleChunk chunk, CancellationToken cancellationToken);

    Task ResizeConsoleAsync(Guid hostId, ConsoleSize size, CancellationToken cancellationToken);

    /// <summary>Asks the agent to connect a guest's graphical console to the stream's transfers; throws <see cref="AgentCommandException"/> with its reason when it cannot.</summary>
    Task OpenDisplayAsync(Guid hostId, DisplayStream stream, CancellationToken cancellationToken);
}

public sealed class AgentUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

public sealed class AgentCommandException(CommandResult result)
    : Exception(result.Error ?? "The agent reported a failure without a reason.")
{
    public CommandResult Result { get; } = result;
}

/// <summary>Commands sent to agents that wait for their outcome, matched by command id.</summary>
public sealed class PendingCommands
{
    private readonly ConcurrentDictionary<Guid, (Guid HostId, TaskCompletionSource<CommandResult> Completion)> _pending = new();

    public Task<CommandResult> Register(Guid hostId, Guid commandId)
    {
        var completion = new TaskCompletionSource<CommandResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[commandId] = (hostId, completion);
        return completion.Task;
    }

    /// <summary>Hands an outcome to the request waiting for it; false when none waits (its server stopped after sending the command).</summary>
    public bool Complete(CommandResult result)
    {
        if (_pending.TryRemove(result.CommandId, out var entry))
        {
            entry.Completion.TrySetResult(result);
            return true;
        }

        return false;
    }

    public void Forget(Guid commandId) => _pending.TryRemove(commandId, out _);

    /// <summary>Fails every command waiting on a host whose agent went away.</summary>
    public void FailHost(Guid hostId, string reason)
    {
        foreach (var (id, entry) in _pending)
        {
            if (entry.HostId == hostId && _pending.TryRemove(id, out _))
            {
                entry.Completion.TrySetException(new AgentUnavailableException(reason));
            }
        }
    }
}
