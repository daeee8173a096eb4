using MudBlazor;
using Ringmaster.Contracts;

namespace Ringmaster.Web.Components.Shared;

/// <summary>
/// An operation a tab started and what it says when the operation ends: its "…ing" note is replaced
/// by the result, success or failure with its reason, and a machine it made is linked.
/// </summary>
/// <param name="NewMachineId">The machine the operation makes (a clone, a restore as new), linked once it succeeded.</param>
public sealed record FollowedOperation(Guid Id, string Success, string Failure, Guid? NewMachineId = null, string? NewMachineName = null)
{
    /// <summary>What to say once <paramref name="operations"/> show this operation ended; null while it runs.</summary>
    public (string Text, Severity Severity)? Outcome(IEnumerable<OperationView> operations) =>
        operations.FirstOrDefault(o => o.Id == Id) switch
        {
            { State: OperationStatus.Succeeded } => (Success, Severity.Success),
            { State: OperationStatus.Failed } op => ($"{Failure}: {op.Error ?? "no reason was given."}", Severity.Error),
            { State: OperationStatus.Cancelled } op => ($"{Failure}: it was cancelled{(op.Error is null ? "." : ": " + op.Error)}", Severity.Warning),
            _ => null,
        };
}
