using Ringmaster.Contracts;

namespace Ringmaster.Core.Domain;

/// <summary>A scaling group: N identical machines from one template, kept between a minimum and a maximum.</summary>
public sealed class ScalingGroupEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The project it belongs to: its members are made in it and count against its quotas.</summary>
    public string Project { get; set; } = ProjectEntity.Default;
    public required string Template { get; set; }
    public MachineKind Kind { get; set; }
    public int Min { get; set; }
    public int Max { get; set; }
    public int Desired { get; set; }
    public int CooldownSeconds { get; set; }
    /// <summary><c>spread</c> (fewest members per host first) or <c>pack</c> (fill a host before the next).</summary>
    public string Placement { get; set; } = "spread";
    /// <summary>How many members are provisioned at once.</summary>
    public int MaxParallel { get; set; } = 10;
    /// <summary>Labels every member gets, beside the group's own marker label.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; set; } = new Dictionary<string, string>();
    public string Status { get; set; } = "scaling";
    public string? StatusDetail { get; set; }
    /// <summary>The last thing that went wrong (a provision, a script), shown until something works again.</summary>
    public string? LastError { get; set; }
    public DateTime? LastScaledAt { get; set; }
    public bool Deleting { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A rule of a group: a metric threshold held for a while, or a cron schedule.</summary>
public sealed class ScalingPolicyEntity
{
    public Guid Id { get; set; }
    public Guid GroupId { get; set; }
    public required string Name { get; set; }
    /// <summary><c>metric</c> or <c>schedule</c>.</summary>
    public required string Kind { get; set; }
    public bool Enabled { get; set; } = true;
    /// <summary>For metric rules: <c>cpu</c>, <c>memory</c> or a custom metric's name.</summary>
    public string? Metric { get; set; }
    /// <summary>For metric rules: <c>above</c> or <c>below</c>.</summary>
    public string? Operator { get; set; }
    public double Threshold { get; set; }
    public int DurationSeconds { get; set; }
    /// <summary>For metric rules: members to add (positive) or remove (negative).</summary>
    public int Adjustment { get; set; }
    /// <summary>For schedules: five-field cron, UTC.</summary>
    public string? Cron { get; set; }
    /// <summary>For schedules: <c>desired</c> or <c>min</c>.</summary>
    public string? Target { get; set; }
    public int Value { get; set; }
    public DateTime? LastFiredAt { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A user script that decides a group's size; its source lives in numbered versions.</summary>
public sealed class ScalingScriptEntity
{
    public Guid Id { get; set; }
    public Guid GroupId { get; set; }
    public required string Name { get; set; }
    /// <summary>The version that runs.</summary>
    public int Version { get; set; }
    public int LatestVersion { get; set; }
    public bool Enabled { get; set; } = true;
    public int IntervalSeconds { get; set; } = 30;
    public DateTime? LastRunAt { get; set; }
    public string? LastError { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>One saved version of a script's source; versions are never changed, only added.</summary>
public sealed class ScalingScriptVersionEntity
{
    public Guid ScriptId { get; set; }
    public int Version { get; set; }
    public required string Source { get; set; }
    public required string User { get; set; }
    public string? Note { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A decision about a group's size (or a script failing): when, who, on what inputs, from what to what, why.</summary>
public sealed class ScalingDecisionEntity
{
    public long Id { get; set; }
    public Guid GroupId { get; set; }
    public DateTime At { get; set; }
    /// <summary><c>user</c>, <c>policy</c>, <c>schedule</c>, <c>script</c> or <c>controller</c>.</summary>
    public required string Source { get; set; }
    public string? SourceName { get; set; }
    public int? ScriptVersion { get; set; }
    public string Inputs { get; set; } = "{}";
    public int OldDesired { get; set; }
    public int NewDesired { get; set; }
    public required string Reason { get; set; }
}
