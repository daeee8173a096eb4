using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Core.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Shared;

/// <summary>The machine page's Snapshots tab: the tree, take, revert, delete. Reloads when a snapshot operation on the machine ends.</summary>
public partial class MachineSnapshots
{
    private IReadOnlyList<SnapshotView> _tree = [];
    private string? _name;
    private string? _description;
    private bool _includeMemory;
    private string? _message;
    private Severity _severity = Severity.Info;

    private string? _seen;

    [Parameter, EditorRequired] public required MachineView Machine { get; set; }

    /// <summary>The machine's recent operations, kept live by the page.</summary>
    [Parameter] public IReadOnlyList<OperationView> Operations { get; set; } = [];
    [Inject] public required IMachineSavedStates States { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }

    private async Task LoadAsync(CancellationToken cancellationToken) =>
        _tree = await States.SnapshotsAsync(Machine.Id, cancellationToken);

    /// <summary>
    /// Reloads when an operation of this tab's kinds on the machine ends (the page passes the
    /// machine's operations, which it keeps live), and the first time.
    /// </summary>
    protected override async Task OnParametersSetAsync()
    {
        var finished = Operations.Where(op => op.State is OperationStatus.Succeeded or OperationStatus.Failed && (op.Kind.StartsWith("snapshot.", StringComparison.Ordinal) || op.Kind == "schedule.snapshot")).ToList();
        var key = string.Join(",", finished.Select(op => $"{op.Id}:{op.State}"));
        if (key == _seen)
        {
            return;
        }

        var failed = _seen is not null ? finished.FirstOrDefault(op => op.State == OperationStatus.Failed && !_seen.Contains(op.Id.ToString(), StringComparison.Ordinal)) : null;
        _seen = key;
        if (failed is not null)
        {
            Say($"{Display.Action(failed.Kind)} failed: {failed.Error}", Severity.Error);
        }

        try
        {
            await LoadAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            Say("Could not read them: " + ex.Message, Severity.Error);
        }
    }

    private async Task TakeAsync()
    {
        var result = await States.TakeSnapshotAsync(Machine.Id, new TakeSnapshotRequest(_name, _description, _includeMemory));
        if (result.Kind == ResultKind.Ok)
        {
            Say($"Taking snapshot {_name}…", Severity.Info);
            _name = null;
            _description = null;
        }
        else
        {
            Say("Could not take the snapshot: " + Display.Problem(result), Severity.Error);
        }
    }

    private async Task RevertAsync(string name)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            $"Revert {Machine.Name} to {name}?",
            $"{Machine.Name} goes back to snapshot {name}; what changed since is lost unless you take a snapshot first.",
            yesText: "Revert", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var result = await States.RevertAsync(Machine.Id, name);
        Say(result.Kind == ResultKind.Ok ? $"Reverting to {name}…" : "Could not revert: " + Display.Problem(result), result.Kind == ResultKind.Ok ? Severity.Info : Severity.Error);
    }

    private async Task DeleteAsync(string name)
    {
        var result = await States.DeleteSnapshotAsync(Machine.Id, name);
        Say(result.Kind == ResultKind.Ok ? $"Deleting snapshot {name}…" : "Could not delete the snapshot: " + Display.Problem(result), result.Kind == ResultKind.Ok ? Severity.Info : Severity.Error);
    }

    private void Say(string message, Severity severity)
    {
        _message = message;
        _severity = severity;
    }
}
