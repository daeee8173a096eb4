using Ringmaster.Contracts;

namespace Ringmaster.Core.Domain;

/// <summary>A backup archive in a host's backup store; it outlives the machine it was taken of.</summary>
public sealed class BackupEntity
{
    public Guid Id { get; set; }
    public Guid MachineId { get; set; }
    public required string MachineName { get; set; }
    /// <summary>The project of the machine it was taken of; the backup stays in it when the machine is gone.</summary>
    public string Project { get; set; } = ProjectEntity.Default;
    public MachineKind Kind { get; set; }
    /// <summary>The host whose agent wrote it (its store holds the archive).</summary>
    public Guid HostId { get; set; }
    /// <summary>The backup this one is incremental to; null for a full backup.</summary>
    public Guid? PreviousBackupId { get; set; }
    public bool IncludesMemory { get; set; }
    public DateTime CreatedAt { get; set; }
    public long SizeBytes { get; set; }
    public long DiskBytes { get; set; }
    public long StoredBlocks { get; set; }
    public string File { get; set; } = "";
    public MachineSpec? Spec { get; set; }
    public string Image { get; set; } = "";
    public Guid? ScheduleId { get; set; }
    public DateTime? VerifiedAt { get; set; }
    public bool? VerifyOk { get; set; }
    /// <summary>Why the last verification failed (the check that failed); null when it passed or never ran.</summary>
    public string? VerifyMessage { get; set; }
}

public enum ScheduleJob
{
    Snapshot,
    Backup,
}

/// <summary>A snapshot or backup job on a cron schedule, for one machine or every machine matching a label selector, with retention.</summary>
public sealed class ScheduleEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The project it belongs to: it runs only on that project's machines.</summary>
    public string Project { get; set; } = ProjectEntity.Default;
    public ScheduleJob Job { get; set; }
    public required string Cron { get; set; }
    public Guid? MachineId { get; set; }
    /// <summary><c>key</c> or <c>key=value</c>: every machine with that label.</summary>
    public string? Selector { get; set; }
    public bool IncludeMemory { get; set; }
    public int KeepLast { get; set; }
    public int KeepDaily { get; set; }
    public int KeepWeekly { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    public DateTime? LastRunAt { get; set; }
    public DateTime? NextRunAt { get; set; }
}
