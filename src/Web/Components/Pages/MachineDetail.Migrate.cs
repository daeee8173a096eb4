using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Web.Components.Shared;

namespace Ringmaster.Web.Components.Pages;

/// <summary>The Migrate action: a dialog with the pre-flight result before anything moves.</summary>
public partial class MachineDetail
{
    private bool CanMigrate => _machine?.State is MachineState.Running or MachineState.Paused or MachineState.Stopped;

    private async Task MigrateAsync()
    {
        var machine = _machine!;
        IReadOnlyList<HostView> hosts;
        try
        {
            hosts = await Data.GetHostsAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Snackbar.Add($"Could not read the hosts: {ex.Message}", Severity.Error);
            return;
        }

        var parameters = new DialogParameters<MigrateDialog>
        {
            { d => d.Machine, machine },
            { d => d.Hosts, hosts },
        };
        var dialog = await Dialogs.ShowAsync<MigrateDialog>($"Migrate {machine.Name}", parameters, new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        var result = await dialog.Result;
        if (result is { Canceled: false, Data: OperationAccepted accepted })
        {
            Snackbar.Add($"Started: migrate {machine.Name} (operation {accepted.Operation.Id.ToString()[..8]}).", Severity.Info);
        }
    }
}
