namespace Ringmaster.Contracts;

/// <summary>Sent by an agent when it (re)connects: who it is, what its host can do, every guest it runs, and what else it holds.</summary>
/// <param name="Unlisted">The kinds of guest the agent could not list this time (an engine that did not answer): their absence from <paramref name="Guests"/> says nothing.</param>
public sealed record AgentRegistration(
    Guid HostId,
    string HostName,
    string AgentVersion,
    HostCapabilities Capabilities,
    IReadOnlyList<GuestInfo> Guests,
    AgentHoldings? Holdings = null,
    IReadOnlyList<MachineKind>? Unlisted = null);

/// <summary>
/// What an agent holds besides its guests, sent with every registration so that the server can
/// settle what a crash interrupted: finish an operation whose work is done, undo one whose work is
/// not, and adopt what it does not know.
/// </summary>
/// <param name="Running">Commands under way when the agent registered: their outcome comes later with <see cref="IAgentHub.CommandCompleted"/>.</param>
/// <param name="Snapshots">The snapshots of each guest whose snapshots could be listed (a guest missing here is not known, not without snapshots).</param>
/// <param name="Backups">The complete archives in the agent's backup store; null when the store could not be read.</param>
/// <param name="Discarded">What interrupted commands left half made, which the agent removed when it started.</param>
public sealed record AgentHoldings(
    IReadOnlyList<CommandUnderWay> Running,
    IReadOnlyList<GuestSnapshots> Snapshots,
    IReadOnlyList<HeldBackup>? Backups,
    IReadOnlyList<DiscardedLeftover> Discarded);

/// <summary>A command an agent is carrying out.</summary>
public sealed record CommandUnderWay(Guid CommandId, Guid OperationId, AgentCommandKind Kind, Guid MachineId);

/// <summary>The snapshots an agent keeps of one guest.</summary>
public sealed record GuestSnapshots(Guid MachineId, IReadOnlyList<SnapshotInfo> Snapshots);

/// <summary>A complete backup archive in an agent's store, with what a restore needs to know of its machine.</summary>
public sealed record HeldBackup(BackupInfo Info, MachineSpec? Spec, string Image);

/// <summary>Something an interrupted command left half made (a partial file or folder), removed by the agent when it started.</summary>
/// <param name="What">In words: what it was and where.</param>
/// <param name="MachineId">The guest it belonged to, when known.</param>
/// <param name="BackupId">The backup it was to become, for an unfinished archive.</param>
public sealed record DiscardedLeftover(string What, Guid? MachineId, long Bytes, Guid? BackupId = null);

/// <summary>The server's answer to a registration.</summary>
/// <param name="Credential">The agent's own credential, issued when it joined with a join token: keep it and present it from then on.</param>
public sealed record RegistrationResult(Guid HostId, int HeartbeatSeconds, string? Credential = null);

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

    /// <summary>Take the medium out of a QEMU VM's CD-ROM (running or not) and drop it from the VM's definition: the next start boots from its disk.</summary>
    Eject,
}

/// <summary>What a command asks the agent to do.</summary>
public enum AgentCommandKind
{
    Create,
    Act,
    Delete,

    /// <summary>Change a guest's spec (<see cref="AgentCommand.Definition"/> carries the new one): live where the engine can, else at its next start.</summary>
    UpdateSpec,
    Snapshot,
    RevertSnapshot,
    DeleteSnapshot,
    Clone,
    Backup,
    Restore,
    VerifyBackup,
    DeleteBackup,

    /// <summary>Send the guest away through <see cref="AgentCommand.Migration"/>'s transfer (source side).</summary>
    MigrateOut,

    /// <summary>Receive a guest from <see cref="AgentCommand.Migration"/>'s transfer (target side; <see cref="AgentCommand.Definition"/> says what).</summary>
    MigrateIn,

    /// <summary>The migration failed: the source puts its guest back as it was (running guests run on).</summary>
    MigrateAbort,

    /// <summary>Send backup archives from this host's store through <see cref="AgentCommand.Archives"/>'s transfer.</summary>
    SendBackups,

    /// <summary>Receive backup archives from <see cref="AgentCommand.Archives"/>'s transfer into this host's store.</summary>
    ReceiveBackups,
}

/// <summary>
/// Server → agent: one piece of guest work. The agent acknowledges at once (a client result) and
/// reports the outcome later with <see cref="IAgentHub.CommandCompleted"/>, because the SignalR
/// client runs server calls one at a time and a long create must not hold up console input.
/// </summary>
/// <param name="CommandId">Identifies the command; the outcome carries it back.</param>
/// <param name="OperationId">The operation the work belongs to; progress reports carry it.</param>
/// <param name="MachineId">The guest.</param>
/// <param name="Definition">For <see cref="AgentCommandKind.Create"/>: what to create.</param>
/// <param name="Action">For <see cref="AgentCommandKind.Act"/>: the action.</param>
/// <param name="StopTimeoutSeconds">How long a graceful stop may take before it is forced; null for the engine's default (10 s for containers, as Docker does; 60 s for QEMU VMs).</param>
/// <param name="Snapshot">For <see cref="AgentCommandKind.Snapshot"/>: what to take; for revert and delete: which one (by id).</param>
/// <param name="CloneOf">For <see cref="AgentCommandKind.Clone"/>.</param>
/// <param name="Backup">For <see cref="AgentCommandKind.Backup"/>.</param>
/// <param name="Restore">For <see cref="AgentCommandKind.Restore"/>.</param>
/// <param name="Verify">For <see cref="AgentCommandKind.VerifyBackup"/>.</param>
/// <param name="Archives">For <see cref="AgentCommandKind.SendBackups"/> and <see cref="AgentCommandKind.ReceiveBackups"/>.</param>
/// <param name="TimeoutSeconds">How long the server waits for the outcome, so the agent gives up at the same time (not before); null for the agent's default.</param>
public sealed record AgentCommand(
    Guid CommandId,
    Guid OperationId,
    AgentCommandKind Kind,
    Guid MachineId,
    GuestDefinition? Definition = null,
    GuestAction? Action = null,
    int? StopTimeoutSeconds = null,
    SnapshotRequest? Snapshot = null,
    CloneRequest? CloneOf = null,
    BackupRequest? Backup = null,
    RestoreRequest? Restore = null,
    VerifyRequest? Verify = null,
    MigrationOrder? Migration = null,
    BackupArchiveOrder? Archives = null,
    int? TimeoutSeconds = null)
{
    /// <summary>How long a command without <see cref="TimeoutSeconds"/> may run on the agent.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(15);

    /// <summary>The longest graceful stop a user may ask for: 10 minutes.</summary>
    public const int MaxStopTimeoutSeconds = 600;

    /// <summary>How long the agent lets this command run before it cancels it.</summary>
    public TimeSpan TimeLimit() => TimeoutSeconds is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : DefaultTimeout;
}

/// <summary>The agent's immediate answer to a command: accepted, or refused with a reason.</summary>
public sealed record CommandAck(bool Accepted, string? Error = null);

/// <summary>Agent → server: how a command ended.</summary>
/// <param name="Guest">The guest as it is now (null after a delete or when it does not exist).</param>
/// <param name="NotFound">The guest did not exist on the agent.</param>
/// <param name="Snapshot">The snapshot a snapshot command took.</param>
/// <param name="Backup">The backup a backup command wrote.</param>
/// <param name="Verify">What a verification found.</param>
/// <param name="Migration">For migration commands: what this side moved.</param>
/// <param name="OperationId">The operation the command belonged to, so that an outcome reaching a restarted server (which no longer waits for it) still finds its operation.</param>
public sealed record CommandResult(
    Guid CommandId,
    bool Succeeded,
    GuestInfo? Guest,
    string? Error,
    bool NotFound = false,
    SnapshotInfo? Snapshot = null,
    BackupInfo? Backup = null,
    VerifyReport? Verify = null,
    MigrationFigures? Migration = null,
    Guid? OperationId = null);

/// <summary>Agent → server: progress of an operation the agent is working on.</summary>
public sealed record OperationProgressReport(Guid OperationId, int Progress, string? Message);

/// <summary>Bytes written to or read from a guest's console.</summary>
public sealed record ConsoleChunk(Guid MachineId, byte[] Data);

/// <summary>A console's terminal size.</summary>
public sealed record ConsoleSize(Guid MachineId, int Columns, int Rows);

/// <summary>
/// A graphical console session (QEMU's VNC, RFB bytes both ways): the agent connects to the guest's
/// VNC socket, sends what it reads to transfer <paramref name="OutputTransferId"/> and writes what it
/// reads from transfer <paramref name="InputTransferId"/> (both opened by the server on the
/// <c>TransferRelay</c>, the server being the other end of each). Either side closing ends both.
/// </summary>
public sealed record DisplayStream(Guid MachineId, Guid OutputTransferId, Guid InputTransferId);

/// <summary>
/// Methods the server calls on an agent. Those returning a value are SignalR client results,
/// awaited by the server with a timeout; they must answer quickly.
/// </summary>
public interface IAgentClient
{
    Task<CommandAck> Execute(AgentCommand command, CancellationToken cancellationToken);

    Task<IReadOnlyList<GuestInfo>> ListGuests(CancellationToken cancellationToken);

    /// <summary>Ask the agent to stream the guest's console to the server (idempotent).</summary>
    Task<CommandAck> OpenConsole(Guid machineId, CancellationToken cancellationToken);

    Task ConsoleInput(ConsoleChunk chunk);

    Task ConsoleResize(ConsoleSize size);

    /// <summary>Connect the guest's graphical console to the two transfers of <paramref name="stream"/>; answers once the guest's display accepted the connection.</summary>
    Task<CommandAck> OpenDisplay(DisplayStream stream, CancellationToken cancellationToken);

    /// <summary>The server took the host for offline while its connection stayed up: send the whole state again (register).</summary>
    Task Resync();

    /// <summary>Pre-flight of a migration: the source tells its image, the target whether it can take the guest.</summary>
    Task<MigrationProbe> ProbeMigration(MigrationProbeRequest request, CancellationToken cancellationToken);
}

/// <summary>Methods an agent calls on the server (hub at <see cref="AgentHubPaths.Hub"/>).</summary>
public interface IAgentHub
{
    Task<RegistrationResult> Register(AgentRegistration registration);

    Task Heartbeat(AgentHeartbeat heartbeat);

    /// <summary>What the host can do changed since it registered (a container engine appeared or went away, an image was built).</summary>
    Task CapabilitiesChanged(HostCapabilities capabilities);

    Task CommandCompleted(CommandResult result);

    Task GuestChanged(GuestInfo guest);

    Task GuestRemoved(Guid machineId);

    Task OperationProgress(OperationProgressReport report);

    Task Metrics(IReadOnlyList<GuestMetrics> metrics);

    Task ConsoleOutput(ConsoleChunk chunk);

    /// <summary>Streams the bytes of a host-to-host transfer (source side); see <c>TransferRelay</c>.</summary>
    Task UploadTransfer(Guid transferId, IAsyncEnumerable<byte[]> chunks);

    /// <summary>Bytes of a transfer handed on to its target so far.</summary>
    Task<long> TransferDelivered(Guid transferId);

    /// <summary>Reads the bytes of a host-to-host transfer (target side).</summary>
    System.Threading.Channels.ChannelReader<byte[]> DownloadTransfer(Guid transferId, CancellationToken cancellationToken);
}

public static class AgentHubPaths
{
    public const string Hub = "/hubs/agents";
}
