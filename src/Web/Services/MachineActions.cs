using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Services;

/// <summary>
/// The dashboard's actions, run server-side through the same service as the REST API, in the name
/// of the signed-in user: a Viewer is refused, and every action is audited with the machine's name.
/// </summary>
public sealed class MachineActions(MachineService machines, MachineUpdateService updates, DashboardCaller caller) : IMachineActions
{
    public Task<ServiceResult<OperationAccepted>> CreateAsync(CreateMachineRequest request, CancellationToken cancellationToken = default) =>
        caller.RunAsync("machine.create", request.Name ?? "", user => machines.CreateAsync(request, user, cancellationToken));

    public async Task<ServiceResult<OperationAccepted>> ActAsync(Guid machineId, string action, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("machine." + action, await caller.MachineAsync(machineId), user => machines.ActAsync(machineId, action, user, cancellationToken));

    public async Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid machineId, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("machine.delete", await caller.MachineAsync(machineId), user => machines.DeleteAsync(machineId, user, cancellationToken));

    public async Task<ServiceResult<MachineUpdated>> UpdateAsync(Guid machineId, long version, MachinePatch patch, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("machine.update", await caller.MachineAsync(machineId), async user =>
        {
            var result = await updates.UpdateAsync(machineId, version, patch, user, cancellationToken);
            return result is { Kind: ResultKind.Ok, Value: { Stale: true } stale }
                ? ServiceResult<MachineUpdated>.Conflict($"{stale.Machine.Name} changed since this form was filled in; nothing was saved. Close the form and edit it again.")
                : result;
        }, Describe(patch));

    /// <summary>What a patch changes, for the audit: "name web-2, labels, 2 vCPUs, 512 MiB, disk 10 GiB".</summary>
    private static string Describe(MachinePatch patch) => string.Join(", ", new[]
    {
        patch.Name is { } name ? $"name {name}" : null,
        patch.Labels is not null || patch.ClearLabels ? "labels" : null,
        patch.Vcpus is { } vcpus ? $"{vcpus} vCPUs" : null,
        patch.MemoryMiB is { } memory ? $"{memory} MiB" : null,
        patch.DiskGiB is { } disk ? $"disk {disk} GiB" : null,
    }.OfType<string>());
}
