namespace Ringmaster.Contracts;

/// <summary>An alert as the API, the dashboard's bell and webhook receivers see it.</summary>
/// <param name="State"><c>open</c>, <c>resolved</c> (its cause went away) or <c>acknowledged</c> (someone took it).</param>
public sealed record AlertView(
    Guid Id,
    string Rule,
    string Severity,
    string State,
    string Subject,
    string Message,
    string? Project,
    Guid? HostId,
    Guid? MachineId,
    Guid? OperationId,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy);

/// <summary>The body of <c>POST /api/v1/webhooks</c>. Without a secret, one is made and shown once.</summary>
public sealed record CreateWebhookRequest(string? Name, string? Url, string? Secret = null, bool Enabled = true);

/// <summary>A webhook as listed: its secret is never shown again after it is made.</summary>
public sealed record WebhookView(Guid Id, string Name, string Url, bool Enabled, DateTimeOffset CreatedAt, DeliverySummary LastDelivery);

/// <summary>A new webhook, with the secret its receiver checks signatures with (shown this once when it was generated).</summary>
public sealed record WebhookCreated(Guid Id, string Name, string Url, bool Enabled, DateTimeOffset CreatedAt, string Secret);

/// <summary>How the newest delivery went (all null when there was none).</summary>
public sealed record DeliverySummary(string? Event, string? State, int? Status, DateTimeOffset? At);

/// <summary>One event sent (or being sent) to one webhook, with every attempt's outcome.</summary>
public sealed record WebhookDeliveryView(
    Guid Id,
    Guid WebhookId,
    Guid? AlertId,
    string Event,
    string State,
    int Attempts,
    int? LastStatus,
    string? LastError,
    IReadOnlyList<string> Log,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? DeliveredAt);

/// <summary>
/// What a receiver gets, as JSON: the event and the alert. The body's HMAC-SHA256 with the webhook's
/// secret is in the <c>X-Ringmaster-Signature</c> header as <c>sha256=&lt;hex&gt;</c>.
/// </summary>
public sealed record WebhookPayload(Guid Delivery, string Event, DateTimeOffset At, AlertView? Alert);

/// <summary>
/// A metric rule as the API shows it. <paramref name="Target"/> is <c>machine</c>, <c>host</c>,
/// <c>all-machines</c> (of its project) or <c>all-hosts</c>; <paramref name="State"/> is
/// <c>firing</c> (an alert is open for at least one target), <c>ok</c>, <c>disabled</c> or
/// <c>pending</c> (not evaluated yet).
/// </summary>
public sealed record AlertRuleView(
    Guid Id,
    string Name,
    string Project,
    string Metric,
    string Target,
    Guid? TargetId,
    string? TargetName,
    string Comparison,
    double Threshold,
    int ForSeconds,
    string Severity,
    bool Enabled,
    string State,
    int Firing,
    DateTimeOffset CreatedAt,
    DateTimeOffset? EvaluatedAt);

/// <summary>
/// The body of <c>POST /api/v1/alert-rules</c>: an alert opens for a target when its
/// <paramref name="Metric"/> compares (<c>&gt;</c> or <c>&lt;</c>) to <paramref name="Threshold"/>
/// in every sample of the last <paramref name="ForSeconds"/>. <paramref name="TargetName"/> (a name or
/// id) names the machine or host of a <c>machine</c> or <c>host</c> rule.
/// </summary>
public sealed record CreateAlertRuleRequest(
    string? Name,
    string? Metric,
    string? Comparison,
    double? Threshold,
    int? ForSeconds,
    string? Target = null,
    string? TargetName = null,
    string? Severity = null,
    bool? Enabled = null,
    string? Project = null);

/// <summary>The body of <c>PATCH /api/v1/alert-rules/{id}</c>: what is given changes, the rest stays.</summary>
public sealed record UpdateAlertRuleRequest(
    string? Name = null,
    string? Metric = null,
    string? Comparison = null,
    double? Threshold = null,
    int? ForSeconds = null,
    string? Severity = null,
    bool? Enabled = null);
