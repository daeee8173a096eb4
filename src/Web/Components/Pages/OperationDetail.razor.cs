using Microsoft.AspNetCore.Components;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Components.Pages;

public partial class OperationDetail
{
    private OperationView? _operation;
    private bool _loaded;
    private string? _error;

    [Parameter] public Guid Id { get; set; }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            _operation = await Data.GetOperationAsync(Id, cancellationToken);
            _error = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _error = "The operation could not be read: " + ex.Message;
        }

        _loaded = true;
    }

    protected override bool Apply(LiveChange change)
    {
        if (change is OperationChanged { Operation: var op } && op.Id == Id)
        {
            // The change carries no log; take the log with the new state.
            RequestReload();
        }

        return false;
    }
}
