using Microsoft.AspNetCore.Components.Authorization;
using Ringmaster.Core.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Access;

namespace Ringmaster.Web.Services;

/// <summary>
/// The dashboard's actions, run server-side through the same service as the REST API, in the name
/// of the signed-in user: a Viewer is refused, and every action is audited.
/// </summary>
public sealed class MachineActions(MachineService machines, AuthenticationStateProvider? authentication = null, AuditLog? audit = null) : IMachineActions
{
    /// <summary>Who the operations log names for dashboard actions when no user is known.</summary>
    public const string User = "dashboard";

    public Task<ServiceResult<OperationAccepted>> CreateAsync(CreateMachineRequest request, CancellationToken cancellationToken = default) =>
        RunAsync("machine.create", request.Name ?? "", user => machines.CreateAsync(request, user, cancellationToken));

    public Task<ServiceResult<OperationAccepted>> ActAsync(Guid machineId, string action, CancellationToken cancellationToken = default) =>
        RunAsync("machine." + action, machineId.ToString(), user => machines.ActAsync(machineId, action, user, cancellationToken));

    public Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid machineId, CancellationToken cancellationToken = default) =>
        RunAsync("machine.delete", machineId.ToString(), user => machines.DeleteAsync(machineId, user, cancellationToken));

    private async Task<ServiceResult<OperationAccepted>> RunAsync(string action, string target, Func<string, Task<ServiceResult<OperationAccepted>>> work)
    {
        var principal = authentication is null ? null : (await authentication.GetAuthenticationStateAsync()).User;
        var name = principal?.Identity?.Name ?? User;
        ServiceResult<OperationAccepted> result;
        if (principal is not null && !principal.HasRole(AccessRole.Operator))
        {
            result = ServiceResult<OperationAccepted>.Conflict($"Your role ({principal.RoleOf()?.ToString() ?? "none"}) may only look; starting, stopping, creating and deleting machines needs Operator or Admin.");
        }
        else
        {
            result = await work(name);
        }

        if (audit is not null)
        {
            var status = result.Kind switch
            {
                ResultKind.Ok => 202,
                ResultKind.NotFound => 404,
                ResultKind.Invalid => 400,
                ResultKind.Unavailable => 503,
                ResultKind.Forbidden => 403,
                _ when principal is not null && !principal.HasRole(AccessRole.Operator) => 403,
                _ => 409,
            };
            await audit.RecordAsync(name, action, target, "dashboard", status, result.Kind == ResultKind.Ok ? null : result.Message);
        }

        return result;
    }
}
