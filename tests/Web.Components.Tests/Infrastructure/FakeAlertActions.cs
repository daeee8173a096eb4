using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>The open alerts a test sets; acknowledging takes one away, or is refused as the test says.</summary>
public sealed class FakeAlertActions : IAlertActions
{
    public List<AlertView> Open { get; } = [];

    public List<Guid> Acknowledged { get; } = [];

    /// <summary>When set, acknowledging is refused with this message.</summary>
    public string? RefuseWith { get; set; }

    public Task<IReadOnlyList<AlertView>> OpenAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AlertView>>([.. Open]);

    public Task<ServiceResult<AlertView>> AcknowledgeAsync(Guid id, string subject, CancellationToken cancellationToken = default)
    {
        if (RefuseWith is { } message)
        {
            return Task.FromResult(ServiceResult<AlertView>.Conflict(message));
        }

        var alert = Open.Single(a => a.Id == id);
        Open.Remove(alert);
        Acknowledged.Add(id);
        return Task.FromResult(ServiceResult<AlertView>.Ok(alert with { State = "acknowledged", AcknowledgedAt = DateTimeOffset.UtcNow, AcknowledgedBy = "admin" }));
    }

    public List<AlertRuleView> Rules { get; } = [];

    /// <summary>What the page asked of the rules, one line each.</summary>
    public List<string> RuleCalls { get; } = [];

    /// <summary>When set, answers a new rule instead of adding it.</summary>
    public Func<CreateAlertRuleRequest, ServiceResult<AlertRuleView>>? OnCreateRule { get; set; }

    public Task<IReadOnlyList<AlertRuleView>> RulesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AlertRuleView>>([.. Rules]);

    public Task<ServiceResult<AlertRuleView>> CreateRuleAsync(CreateAlertRuleRequest request, CancellationToken cancellationToken = default)
    {
        RuleCalls.Add($"create {request.Name} {request.Metric} {request.Comparison} {request.Threshold} for {request.ForSeconds} on {request.Target} {request.TargetName} {request.Severity}");
        if (OnCreateRule is { } answer)
        {
            return Task.FromResult(answer(request));
        }

        var rule = new AlertRuleView(Guid.NewGuid(), request.Name!, "default", request.Metric!, request.Target!, null, request.TargetName, request.Comparison!,
            request.Threshold!.Value, request.ForSeconds!.Value, request.Severity ?? "warning", true, "pending", 0, DateTimeOffset.UtcNow, null);
        Rules.Add(rule);
        return Task.FromResult(ServiceResult<AlertRuleView>.Ok(rule));
    }

    public Task<bool> DeleteRuleAsync(Guid id, string name, CancellationToken cancellationToken = default)
    {
        RuleCalls.Add($"delete {name}");
        return Task.FromResult(Rules.RemoveAll(r => r.Id == id) > 0);
    }

    public static AlertView Alert(string rule, string severity, string subject, string message, Guid? hostId = null, Guid? machineId = null) =>
        new(Guid.NewGuid(), rule, severity, "open", subject, message, null, hostId, machineId, null, DateTimeOffset.UtcNow.AddMinutes(-2), null, null, null);
}
