using Ringmaster.Core.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Services;

/// <summary>The dashboard's actions, run server-side through the same service as the REST API.</summary>
public sealed class MachineActions(MachineService machines) : IMachineActions
{
    /// <summary>Who the operations log names for actions taken in the dashboard.</summary>
    public const string User = "dashboard";

    public Task<ServiceResult<OperationAccepted>> CreateAsync(CreateMachineRequest request, CancellationToken cancellationToken = default) =>
        machines.CreateAsync(request, User, cancellationToken);

    public Task<ServiceResult<OperationAccepted>> ActAsync(Guid machineId, string action, CancellationToken cancellationToken = default) =>
        machines.ActAsync(machineId, action, User, cancellationToken);

    public Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid machineId, CancellationToken cancellationToken = default) =>
        machines.DeleteAsync(machineId, User, cancellationToken);
}
