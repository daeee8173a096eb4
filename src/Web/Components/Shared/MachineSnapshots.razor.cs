using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
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
    private FollowedOperation? _pending;
    private FollowedOperation? _made;

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

    /// <summary>Told of every operation the tab starts, so the page keeps it live for the tab.</summary>
    [Parameter] public EventCallback<OperationView> Started { get; set; }
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
        var on = _cloneHost == SameHost ? "" : " on " + _cloneHost;
        var result = await States.CloneAsync(Machine.Id, new CloneMachineRequest(name, _linked, _cloneHost == SameHost ? null : _cloneHost, _cloneMemory));
        await StartedAsync(result, $"Cloning {Machine.Name} as {name}{on}…", "Could not clone", $"Cloned {Machine.Name} as {name}{on}.", $"Cloning {Machine.Name} as {name} failed", makesMachine: true);
        if (result.Kind == ResultKind.Ok)
        {
            _cloneName = null;
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
        if (_pending?.Outcome(Operations) is { } outcome)
        {
            _made = _pending;
            _pending = null;
            Say(outcome.Text, outcome.Severity);
        }

        var finished = Operations.Where(op => op.State is OperationStatus.Succeeded or OperationStatus.Failed && op.Kind.IsSnapshotWork()).ToList();
        var key = string.Join(",", finished.Select(op => $"{op.Id}:{op.State}"));
        if (key == _seen)
        {
            return;
        }

        var failed = _seen is not null ? finished.FirstOrDefault(op => op.State == OperationStatus.Failed && op.Id != _made?.Id && !_seen.Contains(op.Id.ToString(), StringComparison.Ordinal)) : null;
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
        var name = _name;
        var result = await States.TakeSnapshotAsync(Machine.Id, new TakeSnapshotRequest(name, _description, _includeMemory));
        await StartedAsync(result, $"Taking snapshot {name}…", "Could not take the snapshot", $"Snapshot {name} taken.", $"Taking snapshot {name} failed");
        if (result.Kind == ResultKind.Ok)
        {
            _name = null;
            _description = null;
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

        await StartedAsync(await States.RevertAsync(Machine.Id, name), $"Reverting to {name}…", "Could not revert", $"{Machine.Name} reverted to {name}.", $"Reverting to {name} failed");
    }

    private async Task DeleteAsync(string name)
    {
        await StartedAsync(await States.DeleteSnapshotAsync(Machine.Id, name), $"Deleting snapshot {name}…", "Could not delete the snapshot", $"Snapshot {name} deleted.", $"Deleting snapshot {name} failed");
    }

    private void Say(string message, Severity severity)
    {
        _message = message;
        _severity = severity;
    }

    /// <summary>Says an operation started (or why it did not) and follows it until it ends.</summary>
    private async Task StartedAsync(ServiceResult<OperationAccepted> result, string starting, string refused, string success, string failure, bool makesMachine = false)
    {
        if (result.Kind != ResultKind.Ok)
        {
            Say($"{refused}: {Display.Problem(result)}", Severity.Error);
            return;
        }

        var operation = result.Value!.Operation;
        var made = makesMachine ? result.Value.Machine : null;
        _pending = new FollowedOperation(operation.Id, success, failure, made?.Id, made?.Name);
        _made = null;
        Say(starting, Severity.Info);
        await Started.InvokeAsync(operation);
    }
}
