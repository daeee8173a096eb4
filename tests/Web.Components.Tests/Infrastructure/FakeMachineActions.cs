using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>Records what the dashboard asked for and answers as the test says.</summary>
public sealed class FakeMachineActions : IMachineActions
{
    public List<string> Calls { get; } = [];
    public List<CreateMachineRequest> Created { get; } = [];

    /// <summary>The answer to a create; by default an accepted operation for a new machine.</summary>
    public Func<CreateMachineRequest, ServiceResult<OperationAccepted>>? OnCreate { get; set; }

    /// <summary>The answer to an action or delete, per machine; accepted when not set.</summary>
    public Func<Guid, string, ServiceResult<OperationAccepted>>? OnAct { get; set; }

    public Task<ServiceResult<OperationAccepted>> CreateAsync(CreateMachineRequest request, CancellationToken cancellationToken = default)
    {
        Created.Add(request);
        Calls.Add($"create {request.Name}");
        return Task.FromResult(OnCreate?.Invoke(request) ?? Accepted("machine.create", Guid.NewGuid(), request.Name!));
    }

    public Task<ServiceResult<OperationAccepted>> ActAsync(Guid machineId, string action, CancellationToken cancellationToken = default)
    {
        Calls.Add($"{action} {machineId}");
        return Task.FromResult(OnAct?.Invoke(machineId, action) ?? Accepted("machine." + action, machineId, machineId.ToString()));
    }

    public Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid machineId, CancellationToken cancellationToken = default)
    {
        Calls.Add($"delete {machineId}");
        return Task.FromResult(OnAct?.Invoke(machineId, "delete") ?? Accepted("machine.delete", machineId, machineId.ToString()));
    }

    /// <summary>The patches sent, in order.</summary>
    public List<(Guid Id, long Version, MachinePatch Patch)> Updates { get; } = [];

    /// <summary>The answer to an edit; a conflict when the test set none.</summary>
    public Func<Guid, long, MachinePatch, ServiceResult<MachineUpdated>>? OnUpdate { get; set; }

    public Task<ServiceResult<MachineUpdated>> UpdateAsync(Guid machineId, long version, MachinePatch patch, CancellationToken cancellationToken = default)
    {
        Updates.Add((machineId, version, patch));
        Calls.Add($"update {machineId}");
        return Task.FromResult(OnUpdate?.Invoke(machineId, version, patch) ?? ServiceResult<MachineUpdated>.Conflict("The test gave no answer to an edit."));
    }

    public static ServiceResult<OperationAccepted> Accepted(string kind, Guid machineId, string target) =>
        ServiceResult<OperationAccepted>.Ok(new OperationAccepted(Sample.Operation(kind, target, machineId, OperationStatus.Queued, 0), null));
}
