using Ringmaster.Core.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Services;

/// <summary>
/// The dashboard's actions, run server-side through the same service as the REST API, in the name
/// of the signed-in user: a Viewer is refused, and every action is audited with the machine's name.
/// </summary>
public sealed class MachineActions(MachineService machines, DashboardCaller caller) : IMachineActions
{
    public Task<ServiceResult<OperationAccepted>> CreateAsync(CreateMachineRequest request, CancellationToken cancellationToken = default) =>
        caller.RunAsync("machine.create", request.Name ?? "", user => machines.CreateAsync(request, user, cancellationToken));

    public async Task<ServiceResult<OperationAccepted>> ActAsync(Guid machineId, string action, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("machine." + action, await caller.MachineAsync(machineId), user => machines.ActAsync(machineId, action, user, cancellationToken));

    public async Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid machineId, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("machine.delete", await caller.MachineAsync(machineId), user => machines.DeleteAsync(machineId, user, cancellationToken));
}
