using Ringmaster.Core.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Services;

/// <summary>What the dashboard's bell reads and does: the open alerts the user sees, and taking one.</summary>
public interface IAlertActions
{
    Task<IReadOnlyList<AlertView>> OpenAsync(CancellationToken cancellationToken = default);

    Task<ServiceResult<AlertView>> AcknowledgeAsync(Guid id, string subject, CancellationToken cancellationToken = default);
}

/// <summary>Acknowledging runs in the signed-in user's name and is audited; viewers may only look.</summary>
public sealed class AlertActions(AlertService alerts, DashboardCaller caller) : IAlertActions
{
    public Task<IReadOnlyList<AlertView>> OpenAsync(CancellationToken cancellationToken = default) =>
        alerts.ListAsync(openOnly: true, cancellationToken: cancellationToken);

    public Task<ServiceResult<AlertView>> AcknowledgeAsync(Guid id, string subject, CancellationToken cancellationToken = default) =>
        caller.RunAsync("alert.acknowledge", subject, user => alerts.AcknowledgeAsync(id, user, cancellationToken));
}
