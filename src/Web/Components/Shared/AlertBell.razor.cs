using Microsoft.AspNetCore.Components;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Shared;

/// <summary>The app bar's bell: how many alerts are open (red when one is critical), and the list of them, live.</summary>
public partial class AlertBell
{
    [Inject] public required IAlertActions Alerts { get; init; }

    private List<AlertView> _alerts = [];
    private bool _open;
    private string? _message;

    protected override async Task LoadAsync(CancellationToken cancellationToken) =>
        _alerts = [.. await Alerts.OpenAsync(cancellationToken)];

    protected override bool Apply(LiveChange change)
    {
        if (change is not AlertChanged { Alert: var alert })
        {
            return false;
        }

        _alerts.RemoveAll(a => a.Id == alert.Id);
        if (alert.State == "open")
        {
            _alerts.Insert(0, alert);
        }

        return true;
    }

    private void Toggle()
    {
        _open = !_open;
        _message = null;
    }

    private async Task AcknowledgeAsync(AlertView alert)
    {
        var result = await Alerts.AcknowledgeAsync(alert.Id, alert.Subject, Closed);
        if (result.Kind == ResultKind.Ok)
        {
            _alerts.RemoveAll(a => a.Id == alert.Id);
            _message = null;
        }
        else
        {
            _message = result.Message;
        }
    }

    private static string Title(AlertView alert) => alert.Rule switch
    {
        AlertService.HostOffline => $"Host {alert.Subject} offline",
        AlertService.MachineError => $"{alert.Subject} in Error",
        AlertService.MachineLost => $"{alert.Subject} lost",
        AlertService.OperationFailed => $"Failed: {alert.Subject}",
        _ => alert.Subject,
    };

    private static string? Link(AlertView alert) =>
        alert.OperationId is { } operation ? $"/operations/{operation}"
        : alert.MachineId is { } machine ? $"/machines/{machine}"
        : alert.HostId is not null ? "/hosts"
        : null;
}
