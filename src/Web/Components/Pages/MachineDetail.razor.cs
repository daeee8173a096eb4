using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

public partial class MachineDetail
{
    private const int HistoryLength = 60;
    private MachineView? _machine;
    private HostView? _host;
    private string? _removedName;
    private bool _loadedOnce;
    private string? _error;
    private List<OperationView> _operations = [];
    private readonly HashSet<Guid> _followed = [];
    private readonly List<GuestRates> _history = [];
    private readonly MetricRates _rates = new();

    [Parameter] public Guid Id { get; set; }

    /// <summary>The history's range, kept in the address (<c>?range=1d</c>).</summary>
    [SupplyParameterFromQuery(Name = "range")] public string? Range { get; set; }
    [Inject] public required IMachineActions Actions { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }

    /// <summary>Only QEMU VMs have a graphical console (QEMU's VNC).</summary>
    private bool HasDisplay => _machine is { Kind: MachineKind.Vm, Engine: VmEngine.Qemu };

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            _machine = await Data.GetMachineAsync(Id, cancellationToken);
            // A QEMU VM's card says which accelerator its host's QEMU uses, and why.
            _host = _machine is { Engine: VmEngine.Qemu, Host: { } hostName }
                ? (await Data.GetHostsAsync(cancellationToken)).FirstOrDefault(h => h.Name == hostName)
                : null;
            _operations = [.. (await Data.QueryOperationsAsync(new OperationQuery(0, 20, MachineId: Id), cancellationToken)).Items];
            if (_history.Count == 0 && Data.LatestMetrics(Id) is { } latest)
            {
                _history.Add(_rates.Add(latest));
            }

            _error = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _error = "The machine could not be read: " + ex.Message;
        }

        _loadedOnce = true;
    }

    protected override bool Apply(LiveChange change)
    {
        switch (change)
        {
            case MachineChanged changed when changed.Machine.Id == Id:
                if (changed.Machine.IsOlderThan(_machine?.UpdatedAt))
                {
                    return false;
                }

                _machine = changed.Machine;
                return true;
            case MachineRemoved removed when removed.MachineId == Id:
                _machine = null;
                _removedName = removed.Name;
                return true;
            case OperationChanged op when op.Operation.MachineId == Id || _followed.Contains(op.Operation.Id):
                var at = _operations.FindIndex(o => o.Id == op.Operation.Id);
                if (at >= 0)
                {
                    _operations[at] = op.Operation;
                }
                else
                {
                    _operations.Insert(0, op.Operation);
                }

                return true;
            case MetricsChanged metrics:
                var mine = metrics.Metrics.FirstOrDefault(m => m.Id == Id);
                if (mine is null)
                {
                    return false;
                }

                _history.Add(_rates.Add(mine));
                if (_history.Count > HistoryLength)
                {
                    _history.RemoveAt(0);
                }

                return true;
            default:
                return false;
        }
    }

    private List<double> Series(Func<GuestRates, double> value) => [.. _history.Select(value)];

    /// <summary>Whether an action makes sense in the machine's state (the server checks again).</summary>
    private bool Can(string action) => (action, _machine!.State) switch
    {
        (_, MachineState.Creating or MachineState.Deleting or MachineState.Migrating or MachineState.Starting or MachineState.Stopping) => false,
        ("delete", _) => true,
        (_, MachineState.Lost) => false,
        ("start", MachineState.Stopped or MachineState.Error or MachineState.Unknown) => true,
        ("stop" or "force-stop", MachineState.Running or MachineState.Paused or MachineState.Unknown or MachineState.Error) => true,
        ("restart", MachineState.Running or MachineState.Paused) => true,
        ("pause", MachineState.Running) => true,
        ("resume", MachineState.Paused) => true,
        ("eject", MachineState.Running or MachineState.Paused or MachineState.Stopped) => _machine.Iso is not null,
        _ => false,
    };

    private async Task ActAsync(string action)
    {
        if (StopWarning(action) is { } warning && !await ConfirmAsync(action, warning))
        {
            return;
        }

        var result = await Actions.ActAsync(Id, action);
        Report(result, $"{Display.Action(action)} {_machine?.Name}");
    }

    /// <summary>What a stop does to the machine, said before it is done; null for actions that need no confirmation.</summary>
    private string? StopWarning(string action) => (action, _machine!.Kind) switch
    {
        ("stop", MachineKind.Container) => $"{_machine.Name}'s processes are asked to end, and are killed if they have not ended in time.",
        ("stop", _) => $"{_machine.Name} is shut down. A VM whose guest cannot be asked to shut down is powered off at once, like pulling its plug: what it has not written to disk is lost.",
        ("force-stop", _) => $"{_machine.Name} is powered off at once, without asking its guest to shut down: what it has not written to disk is lost.",
        _ => null,
    };

    private async Task<bool> ConfirmAsync(string action, string warning)
    {
        var verb = Display.Action(action);
        var button = char.ToUpperInvariant(verb[0]) + verb[1..];
        var confirmed = await Dialogs.ShowMessageBoxAsync($"{button} {_machine!.Name}?", warning, yesText: button, cancelText: "Cancel");
        return confirmed == true;
    }

    private async Task DeleteAsync()
    {
        var name = _machine!.Name;
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            $"Delete {name}?",
            $"{name} will be stopped and deleted with its disks. This cannot be undone.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var result = await Actions.DeleteAsync(Id);
        Report(result, $"delete {name}");
    }

    private void Report(ServiceResult<OperationAccepted> result, string what)
    {
        if (result.Kind == ResultKind.Ok)
        {
            Snackbar.Add($"Started: {what}.", Severity.Info);
        }
        else
        {
            Snackbar.Add($"Could not {what}: {Display.Problem(result)}", Severity.Error);
        }
    }

    /// <summary>
    /// Keeps an operation a tab started in the page's list even when it points elsewhere (a restore as
    /// a new machine, a verify of a backup), so the tab sees it end.
    /// </summary>
    private void Follow(OperationView operation)
    {
        _followed.Add(operation.Id);
        if (!_operations.Any(o => o.Id == operation.Id))
        {
            _operations.Insert(0, operation);
        }
    }
}
