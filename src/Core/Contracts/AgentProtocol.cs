namespace Ringmaster.Core.Contracts;

/// <summary>Sent by an agent when it (re)connects: who it is, what its host can do, and every guest it runs.</summary>
public sealed record AgentRegistration(
    Guid HostId,
    string HostName,
    string AgentVersion,
    HostCapabilities Capabilities,
    IReadOnlyList<GuestInfo> Guests);

/// <summary>The server's answer to a registration.</summary>
public sealed record RegistrationResult(Guid HostId, int HeartbeatSeconds);

/// <summary>A periodic sign of life, with the host's live figures.</summary>
public sealed record AgentHeartbeat(Guid HostId, DateTimeOffset At, double CpuPercent, long MemoryUsedBytes, long DiskFreeBytes);

/// <summary>An action on an existing guest.</summary>
public enum GuestAction
{
    Start,
    Stop,
    ForceStop,
    Restart,
    Pause,
    Resume,
}

/// <summary>Server → agent: do an action on a guest. <paramref name="StopTimeoutSeconds"/> bounds a graceful stop before it is forced.</summary>
public sealed record GuestActionCommand(Guid OperationId, Guid MachineId, GuestAction Action, int StopTimeoutSeconds = 30);

/// <summary>Server → agent: create a guest.</summary>
public sealed record CreateGuestCommand(Guid OperationId, GuestDefinition Definition);

/// <summary>Server → agent: delete a guest and what it stores.</summary>
public sealed record DeleteGuestCommand(Guid OperationId, Guid MachineId);

/// <summary>Agent → server: progress of an operation the agent is working on.</summary>
public sealed record OperationProgressReport(Guid OperationId, int Progress, string? Message);

/// <summary>Bytes written to or read from a guest's console.</summary>
public sealed record ConsoleChunk(Guid MachineId, byte[] Data);

/// <summary>A console's terminal size.</summary>
public sealed record ConsoleSize(Guid MachineId, int Columns, int Rows);

/// <summary>
/// Methods the server calls on an agent. Methods returning a value are SignalR client results:
/// the server awaits the agent's answer with a timeout.
/// </summary>
public interface IAgentClient
{
    Task<GuestInfo> CreateGuest(CreateGuestCommand command);
    Task<GuestInfo> ActOnGuest(GuestActionCommand command);
    Task<bool> DeleteGuest(DeleteGuestCommand command);
    Task<IReadOnlyList<GuestInfo>> ListGuests();
    /// <summary>Ask the agent to stream the guest's console to the server (idempotent).</summary>
    Task<bool> OpenConsole(Guid machineId);
    Task ConsoleInput(ConsoleChunk chunk);
    Task ConsoleResize(ConsoleSize size);
}

/// <summary>Methods an agent calls on the server (hub at <see cref="AgentHubPaths.Hub"/>).</summary>
public interface IAgentHub
{
    Task<RegistrationResult> Register(AgentRegistration registration);
    Task Heartbeat(AgentHeartbeat heartbeat);
    Task GuestChanged(GuestInfo guest);
    Task GuestRemoved(Guid machineId);
    Task OperationProgress(OperationProgressReport report);
    Task Metrics(IReadOnlyList<GuestMetrics> metrics);
    Task ConsoleOutput(ConsoleChunk chunk);
}

public static class AgentHubPaths
{
    public const string Hub = "/hubs/agents";
}
