using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Access;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

/// <summary>Snapshot and backup schedules: list, add, delete (operators and admins; viewers read).</summary>
public partial class Schedules
{
    [Inject] public required IMachineSavedStates States { get; init; }
    [Inject] public required IDashboardData Data { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [CascadingParameter] public Task<AuthenticationState>? AuthenticationState { get; set; }

    private List<ScheduleView>? _schedules;
    private Dictionary<Guid, string> _machineNames = [];
    private AccessRole _role = AccessRole.Viewer;
    private string? _name;
    private string _job = "backup";
    private string? _cron = "0 3 * * *";
    private string? _target;
    private bool _includeMemory;
    private int _keepLast = 3;
    private int _keepDaily = 7;
    private int _keepWeekly = 4;
    private bool _busy;
    private string? _message;
    private Severity _severity = Severity.Info;

    private bool CanChange => _role >= AccessRole.Operator;

    private string TargetHint => _target?.Contains('=', StringComparison.Ordinal) == true
        ? "every machine with this label"
        : "a machine's name; key=value for a label";

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
            _schedules = [.. await States.SchedulesAsync()];
            foreach (var id in _schedules.Select(s => s.MachineId).OfType<Guid>().Distinct().Where(id => !_machineNames.ContainsKey(id)))
            {
                if (await Data.GetMachineAsync(id) is { } machine)
                {
                    _machineNames[id] = machine.Name;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _schedules ??= [];
            Say("Could not read the schedules: " + ex.Message, Severity.Error);
        }
    }

    private string For(ScheduleView s) => s.MachineId is { } id
        ? _machineNames.GetValueOrDefault(id, id.ToString()[..8])
        : $"label {s.Selector}";

    private static string Keeps(ScheduleView s)
    {
        var parts = new List<string>();
        if (s.KeepLast > 0)
        {
            parts.Add($"last {s.KeepLast}");
        }

        if (s.KeepDaily > 0)
        {
            parts.Add($"{s.KeepDaily} daily");
        }

        if (s.KeepWeekly > 0)
        {
            parts.Add($"{s.KeepWeekly} weekly");
        }

        return parts.Count == 0 ? "all" : string.Join(" · ", parts);
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
            var target = _target?.Trim();
            var bySelector = target?.Contains('=', StringComparison.Ordinal) == true;
            var request = new CreateScheduleRequest(_name?.Trim(), _job, _cron?.Trim(), bySelector ? null : target, bySelector ? target : null,
                _includeMemory, _keepLast, _keepDaily, _keepWeekly);
            var result = await States.CreateScheduleAsync(request);
            if (result.Kind == ResultKind.Ok)
            {
                Say($"Schedule {result.Value!.Name} added; next run {result.Value.NextRunAt?.ToString("u") ?? "-"}.", Severity.Success);
                _name = null;
                await LoadAsync();
            }
            else
            {
                Say("Could not add the schedule: " + Display.Problem(result), Severity.Error);
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task DeleteAsync(ScheduleView schedule)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete schedule {schedule.Name}?",
            "No more runs; the snapshots and backups it already made stay.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        Say(await States.DeleteScheduleAsync(schedule.Id) ? $"Schedule {schedule.Name} deleted." : $"Schedule {schedule.Name} was already gone.", Severity.Info);
        await LoadAsync();
    }

    private void Say(string message, Severity severity)
    {
        _message = message;
        _severity = severity;
    }
}
