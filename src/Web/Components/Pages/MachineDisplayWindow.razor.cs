using Microsoft.AspNetCore.Components;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

/// <summary>A QEMU VM's display alone in a window (the machine page's pop-out); it follows the machine's state.</summary>
public partial class MachineDisplayWindow
{
    private MachineView? _machine;
    private bool _loadedOnce;

    [Parameter] public Guid Id { get; set; }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        _machine = await Data.GetMachineAsync(Id, cancellationToken);
        _loadedOnce = true;
    }

    protected override bool Apply(LiveChange change)
    {
        switch (change)
        {
            case MachineChanged changed when changed.Machine.Id == Id && !changed.Machine.IsOlderThan(_machine?.UpdatedAt):
                _machine = changed.Machine;
                return true;
            case MachineRemoved removed when removed.MachineId == Id:
                _machine = null;
                return true;
            default:
                return false;
        }
    }
}
