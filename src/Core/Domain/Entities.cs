using Ringmaster.Contracts;

namespace Ringmaster.Core.Domain;

/// <summary>A host that runs an agent. Its id is the agent's own, kept in the agent's data folder.</summary>
public sealed class HostEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public bool Online { get; set; }
    public DateTime RegisteredAt { get; set; }
    public DateTime? LastSeenAt { get; set; }
    public string AgentVersion { get; set; } = "";
    public HostCapabilities? Capabilities { get; set; }
    public double CpuPercent { get; set; }
    public long MemoryUsedBytes { get; set; }

    /// <summary>True when <paramref name="idOrName"/> names this host: its id, or its name in any case.</summary>
    public bool IsNamed(string? idOrName) =>
        idOrName is not null && (string.Equals(Name, idOrName, StringComparison.OrdinalIgnoreCase) || Id.ToString() == idOrName);
}

/// <summary>A guest: what should run (spec, image, host) and what was last reported (state).</summary>
public sealed class MachineEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public MachineKind Kind { get; set; }
    /// <summary>The engine a VM runs on (null for containers, and for VMs made before QEMU: the emulator).</summary>
    public VmEngine? Engine { get; set; }
    public required string Template { get; set; }
    public required string Image { get; set; }
    public IReadOnlyList<string> Command { get; set; } = [];
    public required MachineSpec Spec { get; set; }
    public Guid? HostId { get; set; }
    /// <summary>The project the machine belongs to (<see cref="ProjectEntity.Default"/> unless said otherwise).</summary>
    public string Project { get; set; } = ProjectEntity.Default;
    public MachineState State { get; set; }
    /// <summary>The state before the host went offline, so <see cref="MachineState.Unknown"/> can say what it was.</summary>
    public MachineState? LastKnownState { get; set; }
    public IReadOnlyDictionary<string, string> Labels { get; set; } = new Dictionary<string, string>();
    public string? Detail { get; set; }
    /// <summary>The ISO image in a QEMU VM's CD-ROM (an install from an ISO) until it is ejected; null when the VM has no CD.</summary>
    public string? Iso { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    /// <summary>When the guest last started running (UTC), as its engine reported it; null while it is not running or not known.</summary>
    public DateTime? StartedAt { get; set; }

    /// <summary>Changes whenever the name, spec or labels change (bumped on save); the API's ETag.</summary>
    public long Version { get; set; }
}

/// <summary>
/// One label of a machine as a row, so that a label filter is an indexed lookup on every database
/// (the machine's <see cref="MachineEntity.Labels"/> stays what is read; these rows follow it on every save).
/// </summary>
public sealed class MachineLabelEntity
{
    public Guid MachineId { get; set; }
    public required string Key { get; set; }
    public required string Value { get; set; }
}

/// <summary>What a new machine is made from: kind, image and default spec.</summary>
public sealed class TemplateEntity
{
    public required string Name { get; set; }
    public MachineKind Kind { get; set; }
    /// <summary>The engine its VMs run on (null for containers, and for VM templates made before QEMU: the emulator).</summary>
    public VmEngine? Engine { get; set; }
    public required string Image { get; set; }
    public required string Description { get; set; }
    public IReadOnlyList<string> Command { get; set; } = [];
    public int Vcpus { get; set; }
    public int MemoryMiB { get; set; }
    public int DiskGiB { get; set; }
}

/// <summary>An image a template refers to.</summary>
public sealed class ImageEntity
{
    public required string Name { get; set; }
    public ImageKind Kind { get; set; }
    public required string Source { get; set; }
    public string? Sha256 { get; set; }
    public long SizeBytes { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A named point in a machine's history; snapshots form a tree through <see cref="ParentId"/>.</summary>
public sealed class SnapshotEntity
{
    public Guid Id { get; set; }
    public Guid MachineId { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public Guid? ParentId { get; set; }
    public bool IncludesMemory { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A long action: written before the work starts, updated as it goes.</summary>
public sealed class OperationEntity
{
    public Guid Id { get; set; }
    public OperationKind Kind { get; set; }
    public Guid? MachineId { get; set; }
    public required string Target { get; set; }
    public required string User { get; set; }
    /// <summary>The project whose objects the work touches (its work runs with that project's scope); null for work across projects, which only admins see.</summary>
    public string? Project { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? EndedAt { get; set; }
    public OperationStatus State { get; set; }
    public int Progress { get; set; }
    public string? Message { get; set; }
    public string? Error { get; set; }
    public string? ResultJson { get; set; }
    public string Log { get; set; } = "";

    /// <summary>The web node (its <see cref="Ringmaster.Core.Services.NodeInstance.Id"/>) that runs the work: when that node dies, the leader settles it.</summary>
    public string? RunBy { get; set; }

    /// <summary>What the work set out to do, recorded before a step that could leave something behind; how a crash is settled.</summary>
    public OperationIntent? Intent { get; set; }
}

/// <summary>
/// What an operation set out to do, in enough detail to settle it after the server stopped in the
/// middle: the hosts it works on, the machine record it made before its work began, the snapshot or
/// backup it takes. Each field is written before the step that could leave its thing behind.
/// </summary>
public sealed record OperationIntent
{
    /// <summary>The host the work runs on (a migration's source).</summary>
    public Guid? HostId { get; init; }

    /// <summary>A migration's target; where a clone is placed.</summary>
    public Guid? TargetHostId { get; init; }

    /// <summary>A machine record made for this operation when it was asked for (create, clone, restore as a new machine).</summary>
    public Guid? NewMachineId { get; init; }

    /// <summary>Whether a create starts the machine it makes.</summary>
    public bool Start { get; init; }

    public Guid? SnapshotId { get; init; }

    public string? SnapshotName { get; init; }

    public Guid? BackupId { get; init; }

    /// <summary>The schedule a backup or snapshot was taken for.</summary>
    public Guid? ScheduleId { get; init; }

    /// <summary>For an action (start, stop, …): which.</summary>
    public GuestAction? Action { get; init; }

    /// <summary>The machine's state before the work changed it (a delete, a migration).</summary>
    public MachineState? PreviousState { get; init; }
}

/// <summary>Something that happened: a state change, a host going offline, an adopted guest.</summary>
public sealed class EventEntity
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public required string Type { get; set; }
    public Guid? MachineId { get; set; }
    public Guid? HostId { get; set; }
    public required string Message { get; set; }
}

/// <summary>An <c>Idempotency-Key</c> a client sent with a POST, and the operation that request started.</summary>
public sealed class IdempotencyEntity
{
    public required string Key { get; set; }
    public required string Fingerprint { get; set; }
    public Guid OperationId { get; set; }
    public DateTime CreatedAt { get; set; }
}
