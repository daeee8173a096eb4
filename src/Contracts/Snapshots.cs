namespace Ringmaster.Contracts;

/// <summary>Server → agent: take a snapshot with this id and name.</summary>
public sealed record SnapshotRequest(Guid SnapshotId, string Name, string? Description, bool IncludeMemory);

/// <summary>A snapshot as the agent keeps it.</summary>
/// <param name="SizeBytes">What the snapshot holds on disk (memory state plus the frozen disk layer).</param>
/// <param name="PauseMilliseconds">How long a running guest stood still while it was taken.</param>
/// <param name="Note">What the user should know about how it was taken (a disk-only snapshot of a running guest: consistent, its filesystems frozen, or only crash-consistent).</param>
public sealed record SnapshotInfo(
    Guid Id,
    string Name,
    string? Description,
    Guid? ParentId,
    bool IncludesMemory,
    DateTimeOffset CreatedAt,
    long SizeBytes,
    double PauseMilliseconds = 0,
    string? Note = null);

/// <summary>Server → agent: make <see cref="Definition"/> as a copy of the command's machine.</summary>
/// <param name="Linked">Share the source's disk layers (instant) instead of copying its disk.</param>
/// <param name="IncludeMemory">From a running source: the clone continues from the source's memory (a fork).</param>
public sealed record CloneRequest(GuestDefinition Definition, bool Linked, bool IncludeMemory);

/// <summary>Server → agent: back the machine up into the backup store.</summary>
/// <param name="PreviousBackupId">The backup this one is incremental to (null: a full backup).</param>
public sealed record BackupRequest(Guid BackupId, bool IncludeMemory, Guid? PreviousBackupId);

/// <summary>Server → agent: restore a backup as <see cref="Definition"/> (a new machine, or the same id to replace it).</summary>
public sealed record RestoreRequest(Guid BackupId, GuestDefinition Definition, bool Start);

/// <summary>Server → agents: copy the archives of these backups from the source host's store to the target's through a relay transfer.</summary>
public sealed record BackupArchiveOrder(Guid TransferId, IReadOnlyList<Guid> BackupIds);

/// <summary>Server → agent: check a backup's archive chain, optionally boot it aside until the console prompt.</summary>
public sealed record VerifyRequest(Guid BackupId, bool TestBoot);

/// <summary>What the agent reports about a backup it wrote.</summary>
public sealed record BackupInfo(
    Guid Id,
    Guid MachineId,
    string MachineName,
    MachineKind Kind,
    Guid? PreviousBackupId,
    bool IncludesMemory,
    DateTimeOffset CreatedAt,
    long SizeBytes,
    long DiskBytes,
    long StoredBlocks,
    string File);

/// <summary>How a verification went.</summary>
public sealed record VerifyReport(bool Ok, IReadOnlyList<string> Checks, string? BootOutput);

/// <summary>The body of <c>POST /api/v1/machines/{id}/snapshots</c>.</summary>
public sealed record TakeSnapshotRequest(string? Name, string? Description = null, bool? IncludeMemory = null);

/// <summary>A snapshot in a machine's tree, with its children.</summary>
public sealed record SnapshotView(
    Guid Id,
    string Name,
    string? Description,
    Guid? ParentId,
    bool IncludesMemory,
    DateTimeOffset CreatedAt,
    IReadOnlyList<SnapshotView> Children);

/// <summary>The body of <c>POST /api/v1/machines/{id}/clone</c>.</summary>
/// <param name="Linked">Share the source's disk layers (instant; default) or copy the disk.</param>
/// <param name="Host">Where the clone runs; the source's host by default.</param>
/// <param name="IncludeMemory">From a running VM: the clone continues from the source's memory (a fork).</param>
public sealed record CloneMachineRequest(string? Name, bool? Linked = null, string? Host = null, bool? IncludeMemory = null);

/// <summary>The body of <c>POST /api/v1/machines/{id}/backups</c> (optional).</summary>
/// <param name="Full">Store everything instead of what changed since the machine's previous backup.</param>
public sealed record BackupMachineRequest(bool? IncludeMemory = null, bool? Full = null);

/// <summary>A backup as the API and the dashboard show it.</summary>
/// <param name="VerifyMessage">Why its last verification failed; null when it passed or never ran.</param>
public sealed record BackupView(
    Guid Id,
    Guid MachineId,
    string MachineName,
    MachineKind Kind,
    Guid HostId,
    string? Host,
    Guid? PreviousBackupId,
    bool IncludesMemory,
    DateTimeOffset CreatedAt,
    long SizeBytes,
    long DiskBytes,
    long StoredBlocks,
    DateTimeOffset? VerifiedAt,
    bool? VerifyOk,
    string Project = "default",
    string? VerifyMessage = null)
{
    public bool Incremental => PreviousBackupId is not null;
}

/// <summary>The body of <c>POST /api/v1/backups/{id}/restore</c>: no name replaces the machine the backup was taken of.</summary>
public sealed record RestoreBackupRequest(string? Host = null, string? Name = null, bool? Start = null);

/// <summary>The body of <c>POST /api/v1/backups/{id}/verify</c> (optional).</summary>
public sealed record VerifyBackupRequest(bool? TestBoot = null);

/// <summary>A schedule as the API shows it.</summary>
public sealed record ScheduleView(
    Guid Id,
    string Name,
    string Job,
    string Cron,
    Guid? MachineId,
    string? Selector,
    bool IncludeMemory,
    int KeepLast,
    int KeepDaily,
    int KeepWeekly,
    bool Enabled,
    DateTimeOffset? LastRunAt,
    DateTimeOffset? NextRunAt,
    string Project = "default");

/// <summary>The body of <c>POST /api/v1/schedules</c>: a job (snapshot or backup), a cron expression (UTC), one machine or a label selector, retention.</summary>
public sealed record CreateScheduleRequest(
    string? Name,
    string? Job,
    string? Cron,
    string? Machine = null,
    string? Selector = null,
    bool? IncludeMemory = null,
    int? KeepLast = null,
    int? KeepDaily = null,
    int? KeepWeekly = null,
    bool? Enabled = null,
    string? Project = null);
