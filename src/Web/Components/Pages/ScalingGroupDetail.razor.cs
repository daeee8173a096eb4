using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Services.Scaling;

namespace Ringmaster.Web.Components.Pages;

public partial class ScalingGroupDetail
{
    private const string Example = """
        // Grow when the members are busy, shrink when they idle.
        const cpu = metric('cpu', 60);
        log('cpu', cpu, 'members', group.running);
        if (cpu !== null && cpu > 70) scaleBy(1);
        else if (cpu !== null && cpu < 20) scaleBy(-1);
        """;

    private ScalingGroupView? _group;
    private bool _missing;
    private string? _error;
    private List<BreadcrumbItem> _crumbs = [];
    private List<ScalingPolicyView> _policies = [];
    private List<ScalingScriptView> _scripts = [];
    private List<ScalingScriptVersionView> _versions = [];
    private bool _countsLoaded;
    private (int Min, int Desired, int Max) _taken;
    private int _min;
    private int _desired;
    private int _max;
    private List<string>? _countProblems;

    private string? _policyName;
    private string _policyKind = "metric";
    private string? _metric = "cpu";
    private string _operator = "above";
    private double _threshold = 70;
    private int _duration = 60;
    private int _adjustment = 1;
    private string? _cron = "0 8 * * 1-5";
    private string _target = "desired";
    private int _value = 1;
    private List<string>? _policyProblems;

    private Guid? _scriptId;
    private int _currentVersion;
    private string? _scriptName;
    private string _source = Example;
    private string? _syntax;
    private int _interval = 30;
    private List<string>? _scriptProblems;
    private ScriptRunView? _dryRun;

    private string? _message;
    private Severity _messageSeverity = Severity.Info;
    private Guid? _messageOperation;

    [Parameter] public required string Name { get; set; }

    [Inject] public required IDialogService Dialogs { get; init; }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            _crumbs = [new("Scaling", "/scaling"), new(Name, null, disabled: true)];
            _group = await ScalingData.GroupAsync(Name, cancellationToken);
            _missing = _group is null;
            if (_group is null)
            {
                return;
            }

            // The form follows the group (a script or policy changes desired) unless the user is editing it.
            if (!_countsLoaded || !EditingCounts)
            {
                TakeCounts(_group);
            }

            _policies = [.. await ScalingData.PoliciesAsync(_group.Id, cancellationToken)];
            _scripts = [.. await ScalingData.ScriptsAsync(_group.Id, cancellationToken)];
            _error = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _error = "The scaling group could not be read: " + ex.Message;
        }
    }

    /// <summary>Whether the user changed the Size form since it last took the group's counts.</summary>
    private bool EditingCounts => (_min, _desired, _max) != _taken;

    private void TakeCounts(ScalingGroupView group)
    {
        _taken = (group.Min, group.Desired, group.Max);
        (_min, _desired, _max, _countsLoaded) = (group.Min, group.Desired, group.Max, true);
    }

    private void DiscardCounts()
    {
        TakeCounts(_group!);
        _countProblems = null;
    }

    private static List<string> ProblemsOf<T>(ServiceResult<T> result) =>
        result.Errors is { } errors ? [.. errors.SelectMany(e => e.Value)] : [result.Message ?? "Refused."];

    private async Task SaveCountsAsync()
    {
        var result = await ScalingData.UpdateAsync(_group!.Id, new UpdateScalingGroupRequest(_min, _max, _desired), Closed);
        _countProblems = result.Kind == ResultKind.Ok ? null : ProblemsOf(result);
        if (result.Value is { } group)
        {
            _group = group;
            TakeCounts(group);
        }
    }

    private async Task AddPolicyAsync()
    {
        var request = _policyKind == "metric"
            ? new CreateScalingPolicyRequest(_policyName, "metric", _metric, _operator, _threshold, _duration, _adjustment)
            : new CreateScalingPolicyRequest(_policyName, "schedule", Cron: _cron, Target: _target, Value: _value);
        var result = await ScalingData.AddPolicyAsync(_group!.Id, request, Closed);
        _policyProblems = result.Kind == ResultKind.Ok ? null : ProblemsOf(result);
        if (result.Kind == ResultKind.Ok)
        {
            _policies = [.. await ScalingData.PoliciesAsync(_group.Id, Closed)];
            _policyName = null;
        }
    }

    private void OnSourceChanged(string value)
    {
        _source = value ?? "";
        _syntax = ScriptSandbox.Validate(_source);
        _dryRun = null;
    }

    private async Task SelectScriptAsync(ScalingScriptView script)
    {
        _scriptId = script.Id;
        _currentVersion = script.Version;
        _interval = script.IntervalSeconds;
        _scriptProblems = null;
        _dryRun = null;
        OnSourceChanged(script.Source);
        _versions = [.. await ScalingData.VersionsAsync(_group!.Id, script.Id, Closed)];
    }

    private void NewScript()
    {
        (_scriptId, _currentVersion, _scriptName, _versions, _dryRun, _scriptProblems) = (null, 0, null, [], null, null);
        OnSourceChanged(Example);
    }

    private async Task DryRunAsync() => _dryRun = await ScalingData.DryRunAsync(_group!.Id, _source, Closed);

    private async Task SaveScriptAsync()
    {
        var result = await ScalingData.SaveScriptAsync(_group!.Id, _scriptId, new SaveScalingScriptRequest(_scriptName, _source, _interval), Closed);
        await AfterScriptChangeAsync(result);
    }

    private async Task RollbackAsync(int version) =>
        await AfterScriptChangeAsync(await ScalingData.RollbackAsync(_group!.Id, _scriptId!.Value, version, Closed));

    private async Task AfterScriptChangeAsync(ServiceResult<ScalingScriptView> result)
    {
        _scriptProblems = result.Kind == ResultKind.Ok ? null : ProblemsOf(result);
        if (result.Value is { } script)
        {
            _scripts = [.. await ScalingData.ScriptsAsync(_group!.Id, Closed)];
            await SelectScriptAsync(script);
        }
    }

    private void Say(string message, Severity severity, Guid? operation = null) =>
        (_message, _messageSeverity, _messageOperation) = (message, severity, operation);

    private async Task DeleteGroupAsync()
    {
        var group = _group!;
        var members = group.Members.Count;
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete scaling group {group.Name}?",
            members == 0
                ? $"The group {group.Name} is deleted with its policies and scripts. This cannot be undone."
                : $"Its {members} member machine(s) are deleted first, with their disks; then the group, its policies and scripts. This cannot be undone.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var result = await ScalingData.DeleteAsync(group.Id, Closed);
        if (result.Kind == ResultKind.Ok)
        {
            Say($"Deleting scaling group {group.Name}{(members == 0 ? "" : $" and its {members} member(s)")}.", Severity.Info, result.Value!.Operation.Id);
            await LoadAsync(Closed);
        }
        else
        {
            Say($"Could not delete scaling group {group.Name}: {Display.Problem(result)}", Severity.Error);
        }
    }

    private async Task DeletePolicyAsync(ScalingPolicyView policy)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete policy {policy.Name}?",
            $"The group stops acting on \"{policy.Description}\"; its desired count stays where it is.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var deleted = await ScalingData.DeletePolicyAsync(_group!.Id, policy.Id, Closed);
        Say(deleted ? $"Policy {policy.Name} deleted." : $"Policy {policy.Name} was already gone.", Severity.Info);
        _policies = [.. await ScalingData.PoliciesAsync(_group.Id, Closed)];
    }

    private async Task DeleteScriptAsync(ScalingScriptView script)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete script {script.Name}?",
            $"The script {script.Name} stops running and all its {script.LatestVersion} version(s) are deleted; the group's desired count stays where it is.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var deleted = await ScalingData.DeleteScriptAsync(_group!.Id, script.Id, Closed);
        Say(deleted ? $"Script {script.Name} deleted." : $"Script {script.Name} was already gone.", Severity.Info);
        _scripts = [.. await ScalingData.ScriptsAsync(_group.Id, Closed)];
        NewScript();
    }
}
