using System.Text.Json;

namespace Ringmaster.Contracts;

/// <summary>The body of <c>POST /api/v1/scaling-groups</c>; <c>name</c> and <c>template</c> are required.</summary>
public sealed record CreateScalingGroupRequest(
    string? Name,
    string? Template,
    int? Min = null,
    int? Max = null,
    int? Desired = null,
    int? CooldownSeconds = null,
    string? Placement = null,
    int? MaxParallel = null,
    Dictionary<string, string>? Labels = null,
    string? Project = null);

/// <summary>The body of <c>PATCH /api/v1/scaling-groups/{id}</c>: only what is given changes.</summary>
public sealed record UpdateScalingGroupRequest(
    int? Min = null,
    int? Max = null,
    int? Desired = null,
    int? CooldownSeconds = null,
    string? Placement = null,
    int? MaxParallel = null);

/// <summary>One decision in a group's history.</summary>
public sealed record ScalingDecisionView(
    long Id,
    DateTimeOffset At,
    string Source,
    string? SourceName,
    int? ScriptVersion,
    JsonElement Inputs,
    int OldDesired,
    int NewDesired,
    string Reason);

/// <summary>A scaling group as the API and the dashboard show it.</summary>
/// <param name="Members">The machine ids of its members (any state).</param>
/// <param name="Running">How many members run.</param>
/// <param name="Status"><c>stable</c>, <c>scaling</c>, <c>short</c> or <c>deleting</c>.</param>
/// <param name="StatusDetail">Why it is not stable, in words.</param>
public sealed record ScalingGroupView(
    Guid Id,
    string Name,
    string Template,
    MachineKind Kind,
    int Min,
    int Max,
    int Desired,
    int CooldownSeconds,
    string Placement,
    int MaxParallel,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<Guid> Members,
    int Running,
    string Status,
    string? StatusDetail,
    string? LastError,
    DateTimeOffset? LastScaledAt,
    DateTimeOffset CreatedAt,
    IReadOnlyList<ScalingDecisionView> History,
    string Project = "default");

/// <summary>The body of <c>POST …/policies</c>: a metric rule (<c>metric</c>, <c>operator</c>, <c>threshold</c>,
/// <c>durationSeconds</c>, <c>adjustment</c>) or a schedule (<c>cron</c>, <c>target</c>, <c>value</c>).</summary>
public sealed record CreateScalingPolicyRequest(
    string? Name,
    string? Kind,
    string? Metric = null,
    string? Operator = null,
    double? Threshold = null,
    int? DurationSeconds = null,
    int? Adjustment = null,
    string? Cron = null,
    string? Target = null,
    int? Value = null,
    bool? Enabled = null);

public sealed record ScalingPolicyView(
    Guid Id,
    string Name,
    string Kind,
    bool Enabled,
    string? Metric,
    string? Operator,
    double Threshold,
    int DurationSeconds,
    int Adjustment,
    string? Cron,
    string? Target,
    int Value,
    DateTimeOffset? LastFiredAt,
    string Description);

/// <summary>The body of <c>POST …/scripts</c> and <c>PUT …/scripts/{id}</c>: each save is a new version.</summary>
public sealed record SaveScalingScriptRequest(string? Name, string? Source, int? IntervalSeconds = null, bool? Enabled = null, string? Note = null);

public sealed record ScalingScriptView(
    Guid Id,
    Guid GroupId,
    string Name,
    int Version,
    int LatestVersion,
    bool Enabled,
    int IntervalSeconds,
    string Source,
    DateTimeOffset? LastRunAt,
    string? LastError,
    DateTimeOffset CreatedAt);

public sealed record ScalingScriptVersionView(int Version, string Source, string User, string? Note, DateTimeOffset CreatedAt);

/// <summary>The body of <c>POST …/scripts/{id}/rollback</c>.</summary>
public sealed record RollbackScalingScriptRequest(int? Version);

/// <summary>The body of <c>POST …/scripts/{id}/dry-run</c> (or <c>POST …/scripts/dry-run</c> for unsaved source).</summary>
public sealed record DryRunRequest(string? Source = null, int? Version = null);

/// <summary>What a script did or would do.</summary>
/// <param name="CurrentDesired">The desired count when it ran.</param>
/// <param name="NewDesired">What it asked for, clamped to the group's bounds; null when it asked for nothing.</param>
/// <param name="Requested">What it asked for before clamping.</param>
/// <param name="Logs">What it passed to <c>log(...)</c>.</param>
/// <param name="Inputs">The metrics it read.</param>
/// <param name="Error">Why it stopped, when it did.</param>
public sealed record ScriptRunView(int CurrentDesired, int? NewDesired, int? Requested, IReadOnlyList<string> Logs, JsonElement Inputs, string? Error, double ElapsedMs);

/// <summary>The body of <c>POST /api/v1/scaling-groups/{id}/metrics</c>: a custom metric's value, for the group or one member.</summary>
public sealed record ReportMetricRequest(string? Name, double? Value, string? Member = null);

/// <summary>One point of a group's recent past, for the dashboard's chart.</summary>
public sealed record ScalingSample(DateTimeOffset At, int Desired, int Running, double? Cpu);
