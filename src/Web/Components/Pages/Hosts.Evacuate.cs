using Microsoft.AspNetCore.Components;
using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

/// <summary>Evacuate: moves every machine off a host (live for running VMs, offline otherwise), after a confirmation.</summary>
public partial class Hosts
{
    /// <summary>Machines moved at once by an evacuation started here.</summary>
    public const int EvacuationConcurrency = 2;

    [Inject] public required IMigrationActions Migrations { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }

    private async Task EvacuateAsync(HostView host)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            $"Evacuate {host.Name}?",
            $"All {host.MachineCount} machines on {host.Name} will move to other hosts, {EvacuationConcurrency} at a time: running VMs live, "
            + "stopped VMs and containers offline (containers stop for the move). Each machine moves only if its pre-flight checks pass.",
            yesText: "Evacuate", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var result = await Migrations.EvacuateAsync(host.Id, EvacuationConcurrency);
        if (result.Kind == ResultKind.Ok)
        {
            Snackbar.Add($"Started: evacuate {host.Name} (operation {result.Value!.Operation.Id.ToString()[..8]}).", Severity.Info);
        }
        else
        {
            Snackbar.Add($"Could not evacuate {host.Name}: {Display.Problem(result)}", Severity.Error);
        }
    }
}
