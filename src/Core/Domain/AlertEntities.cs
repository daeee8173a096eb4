namespace Ringmaster.Core.Domain;

/// <summary>
/// Something an operator should know about: a host offline, a machine in Error or Lost, a backup,
/// verify, schedule or migration that failed. Open until its cause is gone (resolved) or someone
/// acknowledges it; at most one open alert per <see cref="Key"/>.
/// </summary>
public sealed class AlertEntity
{
    public Guid Id { get; set; }
    /// <summary>What the alert is about, e.g. <c>host-offline:{hostId}</c>: a second one is not opened while one is.</summary>
    public required string Key { get; set; }
    /// <summary><c>host.offline</c>, <c>machine.error</c>, <c>machine.lost</c>, <c>operation.failed</c>, <c>quota.near-limit</c>, <c>metric.threshold</c> (an <see cref="AlertRuleEntity"/>).</summary>
    public required string Rule { get; set; }
    public required string Severity { get; set; }
    /// <summary>The host, machine or operation it names, as the operator knows it.</summary>
    public required string Subject { get; set; }
    public required string Message { get; set; }
    /// <summary>The project of the machine it is about; null for what belongs to no project (hosts).</summary>
    public string? Project { get; set; }
    public Guid? HostId { get; set; }
    public Guid? MachineId { get; set; }
    public Guid? OperationId { get; set; }
    public DateTime OpenedAt { get; set; }
    public DateTime? ResolvedAt { get; set; }
    public DateTime? AcknowledgedAt { get; set; }
    public string? AcknowledgedBy { get; set; }
}

/// <summary>A receiver of alerts: each opened or resolved alert is POSTed to it as JSON, signed with its secret.</summary>
public sealed class WebhookEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string Url { get; set; }
    /// <summary>The shared secret the body's HMAC-SHA256 is computed with (the receiver has it too, so it is kept as given).</summary>
    public required string Secret { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTime CreatedAt { get; set; }
}

public enum DeliveryState
{
    Pending,
    Delivered,
    Failed,
}

/// <summary>One event for one webhook: tried until the receiver answers 2xx or the attempts run out, each attempt logged.</summary>
public sealed class WebhookDeliveryEntity
{
    public Guid Id { get; set; }
    public Guid WebhookId { get; set; }
    public Guid? AlertId { get; set; }
    /// <summary><c>alert.opened</c>, <c>alert.resolved</c> or <c>webhook.test</c>.</summary>
    public required string Event { get; set; }
    /// <summary>The exact body sent on every attempt, so that a retry carries the same signature.</summary>
    public required string Body { get; set; }
    public DeliveryState State { get; set; }
    public int Attempts { get; set; }
    public int? LastStatus { get; set; }
    public string? LastError { get; set; }
    /// <summary>One line per attempt: when, and what the receiver answered.</summary>
    public string Log { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime? NextAttemptAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
}

/// <summary>What an alert rule watches: one machine, one host, every machine of its project, or every host.</summary>
public enum AlertRuleTarget
{
    Machine = 1,
    Host = 2,
    AllMachines = 3,
    AllHosts = 4,
}

/// <summary>
/// A user's rule on the metrics history: when <see cref="Metric"/> of a target stays above (or
/// below) <see cref="Threshold"/> for <see cref="ForSeconds"/>, an alert opens for that target; it
/// resolves when the newest sample is back on the other side or the target stops reporting.
/// </summary>
public sealed class AlertRuleEntity
{
    public Guid Id { get; set; }
    /// <summary>Unique within its project.</summary>
    public required string Name { get; set; }
    public string Project { get; set; } = ProjectEntity.Default;
    /// <summary>A name of <see cref="Services.AlertRuleService.Metrics"/>, e.g. <c>cpuPercent</c>.</summary>
    public required string Metric { get; set; }
    public AlertRuleTarget Target { get; set; }
    /// <summary>The machine or host of a <see cref="AlertRuleTarget.Machine"/> or <see cref="AlertRuleTarget.Host"/> rule.</summary>
    public Guid? TargetId { get; set; }
    /// <summary><c>&gt;</c> or <c>&lt;</c>.</summary>
    public required string Comparison { get; set; }
    public double Threshold { get; set; }
    public int ForSeconds { get; set; }
    public required string Severity { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    /// <summary>When the leader last compared the rule with the history (null: not yet).</summary>
    public DateTime? EvaluatedAt { get; set; }
}
