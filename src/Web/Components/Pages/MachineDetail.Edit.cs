using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Shared;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

/// <summary>The Edit action: a form of the machine's name, labels and spec (the API's PATCH).</summary>
public partial class MachineDetail
{
    private bool CanEdit => _machine?.State is not (null or MachineState.Creating or MachineState.Deleting or MachineState.Migrating or MachineState.Lost);

    private async Task EditAsync()
    {
        var machine = _machine!;
        var parameters = new DialogParameters<EditMachineDialog> { { d => d.Machine, machine } };
        var dialog = await Dialogs.ShowAsync<EditMachineDialog>($"Edit {machine.Name}", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        var result = await dialog.Result;
        if (result is not { Canceled: false, Data: MachineUpdated updated })
        {
            return;
        }

        if (!updated.Machine.IsOlderThan(_machine?.UpdatedAt))
        {
            _machine = updated.Machine;
        }

        Snackbar.Add(updated.Operation is { } operation
            ? $"Saved {updated.Machine.Name}; its host applies the new limits (operation {operation.Operation.Id.ToString()[..8]})."
            : $"Saved {updated.Machine.Name}.{(updated.Detail is { } detail ? " " + detail : "")}", Severity.Success);
        StateHasChanged();
    }
}
