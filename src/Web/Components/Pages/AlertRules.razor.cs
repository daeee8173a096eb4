using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Access;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

/// <summary>Metric alert rules: list, add, delete (operators and admins; viewers read).</summary>
public partial class AlertRules
{
    [Inject] public required IAlertActions Alerts { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [CascadingParameter] public Task<AuthenticationState>? AuthenticationState { get; set; }

    private List<AlertRuleView>? _rules;
    private AccessRole _role = AccessRole.Viewer;
    private string? _name;
    private string _metric = "cpuPercent";
    private string _comparison = ">";
    private double _threshold = 90;
    private int _forSeconds = 300;
    private string _target = "all-machines";
    private string? _targetName;
    private string _severity = "warning";
    private bool _busy;
    private string? _message;
    private Severity _messageSeverity = Severity.Info;

    private bool CanChange => _role >= AccessRole.Operator;

    protected override async Task OnInitializedAsync()
    {
        var user = AuthenticationState is null ? null : (await AuthenticationState).User;
        _role = user?.RoleOf() ?? AccessRole.Viewer;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        try
        {
            _rules = [.. await Alerts.RulesAsync()];
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _rules ??= [];
            Say("Could not read the alert rules: " + ex.Message, Severity.Error);
        }
    }

    private static string Condition(AlertRuleView rule)
    {
        var unit = AlertRuleService.MetricOf(rule.Metric)?.Unit ?? "";
        var past = rule.Comparison == ">" ? "above" : "below";
        return string.Create(CultureInfo.InvariantCulture, $"{rule.Metric} {past} {rule.Threshold}{unit} for {rule.ForSeconds} s");
    }

    private async Task CreateAsync()
    {
        if (!CanChange)
        {
            return;
        }

        _busy = true;
        try
        {
            var one = _target is "machine" or "host";
            var request = new CreateAlertRuleRequest(_name?.Trim(), _metric, _comparison, _threshold, _forSeconds, _target, one ? _targetName?.Trim() : null, _severity);
            var result = await Alerts.CreateRuleAsync(request);
            if (result.Kind == ResultKind.Ok)
            {
                Say($"Alert rule {result.Value!.Name} added: {Condition(result.Value)}.", Severity.Success);
                _name = null;
                await LoadAsync();
            }
            else
            {
                Say("Could not add the alert rule: " + Display.Problem(result), Severity.Error);
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task DeleteAsync(AlertRuleView rule)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete alert rule {rule.Name}?",
            "Its open alerts resolve, and no new ones open.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        Say(await Alerts.DeleteRuleAsync(rule.Id, rule.Name) ? $"Alert rule {rule.Name} deleted." : $"Alert rule {rule.Name} was already gone.", Severity.Info);
        await LoadAsync();
    }

    private void Say(string message, Severity severity)
    {
        _message = message;
        _messageSeverity = severity;
    }
}
