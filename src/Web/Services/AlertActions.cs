using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Services;

/// <summary>What the dashboard's bell reads and does: the open alerts the user sees, and taking one.</summary>
public interface IAlertActions
{
    Task<IReadOnlyList<AlertView>> OpenAsync(CancellationToken cancellationToken = default);

    Task<ServiceResult<AlertView>> AcknowledgeAsync(Guid id, string subject, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AlertRuleView>> RulesAsync(CancellationToken cancellationToken = default);

    Task<ServiceResult<AlertRuleView>> CreateRuleAsync(CreateAlertRuleRequest request, CancellationToken cancellationToken = default);

    Task<bool> DeleteRuleAsync(Guid id, string name, CancellationToken cancellationToken = default);
}

/// <summary>Acknowledging and changing alert rules run in the signed-in user's name and are audited; viewers may only look.</summary>
public sealed class AlertActions(AlertService alerts, AlertRuleService rules, DashboardCaller caller) : IAlertActions
{
    public Task<IReadOnlyList<AlertView>> OpenAsync(CancellationToken cancellationToken = default) =>
        alerts.ListAsync(openOnly: true, cancellationToken: cancellationToken);

    public Task<ServiceResult<AlertView>> AcknowledgeAsync(Guid id, string subject, CancellationToken cancellationToken = default) =>
        caller.RunAsync("alert.acknowledge", subject, user => alerts.AcknowledgeAsync(id, user, cancellationToken));

    public Task<IReadOnlyList<AlertRuleView>> RulesAsync(CancellationToken cancellationToken = default) => rules.ListAsync(cancellationToken);

    public Task<ServiceResult<AlertRuleView>> CreateRuleAsync(CreateAlertRuleRequest request, CancellationToken cancellationToken = default) =>
        caller.RunAsync("alert-rule.create", request.Name ?? "", _ => rules.CreateAsync(request, cancellationToken),
            $"{request.Metric} {request.Comparison} {request.Threshold} for {request.ForSeconds} s on {request.Target} {request.TargetName}".TrimEnd());

    public Task<bool> DeleteRuleAsync(Guid id, string name, CancellationToken cancellationToken = default) =>
        caller.RunAsync("alert-rule.delete", name, () => rules.DeleteAsync(id, cancellationToken));
}
