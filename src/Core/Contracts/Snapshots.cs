namespace Ringmaster.Core.Contracts;

/// <summary>Server → agent: take a snapshot with this id and name.</summary>
public sealed record SnapshotRequest(Guid SnapshotId, string Name, string? Description, bool IncludeMemory);

/// <summary>A snapshot as the agent keeps it.</summary>
/// <param name="SizeBytes">What the snapshot holds on disk (memory state plus the frozen disk layer).</param>
/// <param name="PauseMilliseconds">How long a running guest stood still while it was taken.</param>
public sealed record SnapshotInfo(
    Guid Id,
    string Name,
    string? Description,
    Guid? ParentId,
    bool IncludesMemory,
    DateTimeOffset CreatedAt,
    long SizeBytes,
    double PauseMilliseconds = 0);

/// <summary>Server → agent: make <see cref="Definition"/> as a copy of the command's machine.</summary>
/// <param name="Linked">Share the source's disk layers (instant) instead of copying its disk.</param>
/// <param name="IncludeMemory">From a running source: the clone continues from the source's memory (a fork).</param>
public sealed record CloneRequest(GuestDefinition Definition, bool Linked, bool IncludeMemory);

/// <summary>Server → agent: back the machine up into the backup store.</summary>
/// <param name="PreviousBackupId">The backup this one is incremental to (null: a full backup).</param>
public sealed record BackupRequest(Guid BackupId, bool IncludeMemory, Guid? PreviousBackupId);

/// <summary>Server → agent: restore a backup as <see cref="Definition"/> (a new machine, or the same id to replace it).</summary>
public sealed record RestoreRequest(Guid BackupId, GuestDefinition Definition, bool Start);

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
