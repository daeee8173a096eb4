using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Core.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Shared;

/// <summary>The machine page's Snapshots tab: the tree, take, revert, delete, and clones. Reloads when a snapshot operation on the machine ends.</summary>
public partial class MachineSnapshots
{
    private IReadOnlyList<SnapshotView> _tree = [];
    private string? _name;
    private string? _description;
    private bool _includeMemory;
    private string? _message;
    private Severity _severity = Severity.Info;

    private string? _seen;

    private const string SameHost = "";
    private IReadOnlyList<HostView> _hosts = [];
    private string? _cloneName;
    private string _cloneHost = SameHost;
    private bool _linked = true;
    private bool _cloneMemory;

    [Parameter, EditorRequired] public required MachineView Machine { get; set; }

    /// <summary>The machine's recent operations, kept live by the page.</summary>
    [Parameter] public IReadOnlyList<OperationView> Operations { get; set; } = [];
    [Inject] public required IMachineSavedStates States { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required IDashboardData Data { get; init; }

    private string CloneHint => _cloneHost != SameHost
        ? $"A full copy is made on {Machine.Host}, then moved to {_cloneHost} ({(_cloneMemory ? "live, as a running fork" : "offline")}). It gets a new name and MAC address."
        : _linked
            ? "A linked clone shares this machine's disk layers: ready at once, but it stays on this host."
            : "A full clone copies the disk: independent of this machine.";

    protected override async Task OnInitializedAsync()
    {
        _linked = Machine.Kind == MachineKind.Vm;
        try
        {
            _hosts = await Data.GetHostsAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Say("Could not read the hosts: " + ex.Message, Severity.Warning);
        }
    }

    private void CloneHostChanged(string host)
    {
        _cloneHost = host;
        if (host != SameHost)
        {
            _linked = false;
        }
    }

    private async Task CloneAsync()
    {
        var name = _cloneName;
        var result = await States.CloneAsync(Machine.Id, new CloneMachineRequest(name, _linked, _cloneHost == SameHost ? null : _cloneHost, _cloneMemory));
        if (result.Kind == ResultKind.Ok)
        {
            Say($"Cloning {Machine.Name} as {name}{(_cloneHost == SameHost ? "" : " on " + _cloneHost)}…", Severity.Info);
            _cloneName = null;
        }
        else
        {
            Say("Could not clone: " + Display.Problem(result), Severity.Error);
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken) =>
        _tree = await States.SnapshotsAsync(Machine.Id, cancellationToken);

    /// <summary>
    /// Reloads when an operation of this tab's kinds on the machine ends (the page passes the
    /// machine's operations, which it keeps live), and the first time.
    /// </summary>
    protected override async Task OnParametersSetAsync()
    {
        var finished = Operations.Where(op => op.State is OperationStatus.Succeeded or OperationStatus.Failed && op.Kind.IsSnapshotWork()).ToList();
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
