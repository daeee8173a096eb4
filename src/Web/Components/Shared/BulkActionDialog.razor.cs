using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Shared;

/// <summary>What a bulk action did: one line per machine and a summary.</summary>
public sealed record BulkOutcome(int Started, int Skipped, int Failed)
{
    public string Summary => $"{Started} started, {Skipped} skipped, {Failed} failed.";
}

public sealed record BulkResult(string Name, bool Ok, bool Skipped, string Text);

/// <summary>Previews what a bulk start, stop or delete will do to each machine, does it and reports per machine.</summary>
public partial class BulkActionDialog
{
    private List<BulkResult>? _results;
    private bool _running;

    [CascadingParameter] public required IMudDialogInstance Dialog { get; set; }
    [Parameter, EditorRequired] public string Action { get; set; } = "";
    [Parameter, EditorRequired] public IReadOnlyList<MachineView> Machines { get; set; } = [];
    [Inject] public required IMachineActions Actions { get; init; }

    private string Verb => Action switch { "start" => "Start", "stop" => "Stop", "delete" => "Delete", _ => Action };

    private string Intro => Action == "delete"
        ? $"These {Machines.Count} machines and their disks will be deleted. This cannot be undone."
        : $"This is what will happen to the {Machines.Count} selected machines:";

    /// <summary>What the action will do to each machine; machines it would not change are skipped.</summary>
    internal IEnumerable<(MachineView Machine, (bool Skip, string Text) Plan)> Plan() =>
        Machines.Select(m => (m, PlanFor(m)));

    private (bool Skip, string Text) PlanFor(MachineView m) => (Action, m.State) switch
    {
        (_, MachineState.Creating or MachineState.Deleting or MachineState.Migrating or MachineState.Starting or MachineState.Stopping) => (true, "busy, skipped"),
        ("start", MachineState.Running) => (true, "already running, skipped"),
        ("start", MachineState.Paused) => (true, "paused: resume it instead, skipped"),
        ("start", _) => (false, "will start"),
        ("stop", MachineState.Stopped) => (true, "already stopped, skipped"),
        ("stop", _) => (false, "will stop"),
        ("delete", MachineState.Running or MachineState.Paused) => (false, "will be stopped and deleted"),
        ("delete", _) => (false, "will be deleted"),
        _ => (true, "skipped"),
    };

    private async Task RunAsync()
    {
        _running = true;
        var results = new List<BulkResult>();
        foreach (var (machine, plan) in Plan().ToList())
        {
            if (plan.Skip)
            {
                results.Add(new BulkResult(machine.Name, false, true, plan.Text));
                continue;
            }

            try
            {
                var result = Action == "delete"
                    ? await Actions.DeleteAsync(machine.Id)
                    : await Actions.ActAsync(machine.Id, Action);
                results.Add(result.Kind == Core.Services.ResultKind.Ok
                    ? new BulkResult(machine.Name, true, false, $"{Verb.ToLowerInvariant()} started (operation {result.Value!.Operation.Id.ToString()[..8]})")
                    : new BulkResult(machine.Name, false, false, Display.Problem(result)));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                results.Add(new BulkResult(machine.Name, false, false, ex.Message));
            }
        }

        _results = results;
        _running = false;
    }

    private void Cancel() => Dialog.Cancel();

    private void Close() => Dialog.Close(DialogResult.Ok(new BulkOutcome(
        _results!.Count(r => r.Ok), _results!.Count(r => r.Skipped), _results!.Count(r => !r.Ok && !r.Skipped))));
}
