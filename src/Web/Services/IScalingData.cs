using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Services.Scaling;

namespace Ringmaster.Web.Services;

/// <summary>What the dashboard's scaling pages read and change.</summary>
public interface IScalingData
{
    /// <summary>How often an open scaling page takes a new snapshot.</summary>
    TimeSpan RefreshInterval { get; }

    Task<IReadOnlyList<ScalingGroupView>> GroupsAsync(CancellationToken cancellationToken = default);

    Task<ScalingGroupView?> GroupAsync(string idOrName, CancellationToken cancellationToken = default);

    /// <summary>The group's recent desired, running and CPU figures, oldest first.</summary>
    IReadOnlyList<ScalingSample> Samples(Guid groupId);

    Task<IReadOnlyList<ScalingPolicyView>> PoliciesAsync(Guid groupId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ScalingScriptView>> ScriptsAsync(Guid groupId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ScalingScriptVersionView>> VersionsAsync(Guid groupId, Guid scriptId, CancellationToken cancellationToken = default);

    Task<ServiceResult<ScalingGroupView>> CreateAsync(CreateScalingGroupRequest request, CancellationToken cancellationToken = default);

    Task<ServiceResult<ScalingGroupView>> UpdateAsync(Guid groupId, UpdateScalingGroupRequest request, CancellationToken cancellationToken = default);

    Task<ServiceResult<ScalingPolicyView>> AddPolicyAsync(Guid groupId, CreateScalingPolicyRequest request, CancellationToken cancellationToken = default);

    Task<ServiceResult<ScalingScriptView>> SaveScriptAsync(Guid groupId, Guid? scriptId, SaveScalingScriptRequest request, CancellationToken cancellationToken = default);

    Task<ServiceResult<ScalingScriptView>> RollbackAsync(Guid groupId, Guid scriptId, int version, CancellationToken cancellationToken = default);

    Task<ScriptRunView?> DryRunAsync(Guid groupId, string source, CancellationToken cancellationToken = default);

    /// <summary>Deletes the group as an operation: its members first, then the group.</summary>
    Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid groupId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a policy; false when it was already gone.</summary>
    Task<bool> DeletePolicyAsync(Guid groupId, Guid policyId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a script with all its versions; false when it was already gone.</summary>
    Task<bool> DeleteScriptAsync(Guid groupId, Guid scriptId, CancellationToken cancellationToken = default);
}

/// <summary>The scaling pages' data, from the same services as the REST API; changes run in the signed-in user's name and are audited.</summary>
public sealed class ScalingData(ScalingService scaling, ScalingController controller, DashboardCaller caller) : IScalingData
{
    public TimeSpan RefreshInterval => TimeSpan.FromSeconds(2);

    public Task<IReadOnlyList<ScalingGroupView>> GroupsAsync(CancellationToken cancellationToken = default) => scaling.ListAsync(cancellationToken);

    public Task<ScalingGroupView?> GroupAsync(string idOrName, CancellationToken cancellationToken = default) => scaling.GetAsync(idOrName, cancellationToken);

    public IReadOnlyList<ScalingSample> Samples(Guid groupId) => controller.Samples(groupId);

    public Task<IReadOnlyList<ScalingPolicyView>> PoliciesAsync(Guid groupId, CancellationToken cancellationToken = default) => scaling.PoliciesAsync(groupId, cancellationToken);

    public Task<IReadOnlyList<ScalingScriptView>> ScriptsAsync(Guid groupId, CancellationToken cancellationToken = default) => scaling.ScriptsAsync(groupId, cancellationToken);

    public async Task<IReadOnlyList<ScalingScriptVersionView>> VersionsAsync(Guid groupId, Guid scriptId, CancellationToken cancellationToken = default) =>
        await scaling.VersionsAsync(groupId, scriptId.ToString(), cancellationToken) ?? [];

    public async Task<ServiceResult<ScalingGroupView>> CreateAsync(CreateScalingGroupRequest request, CancellationToken cancellationToken = default)
    {
        var result = await caller.RunAsync("scaling.create", request.Name ?? "", user => scaling.CreateAsync(request, user, cancellationToken),
            $"{request.Min}..{request.Max}, desired {request.Desired}");
        controller.Kick();
        return result;
    }

    public async Task<ServiceResult<ScalingGroupView>> UpdateAsync(Guid groupId, UpdateScalingGroupRequest request, CancellationToken cancellationToken = default)
    {
        var result = await caller.RunAsync("scaling.update", await caller.ScalingGroupAsync(groupId), user => scaling.UpdateAsync(groupId, request, user, cancellationToken),
            $"min {request.Min}, max {request.Max}, desired {request.Desired}");
        controller.Kick();
        return result;
    }

    public async Task<ServiceResult<ScalingPolicyView>> AddPolicyAsync(Guid groupId, CreateScalingPolicyRequest request, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("scaling.policy.create", $"{await caller.ScalingGroupAsync(groupId)}/{request.Name}", _ => scaling.AddPolicyAsync(groupId, request, cancellationToken));

    public async Task<ServiceResult<ScalingScriptView>> SaveScriptAsync(Guid groupId, Guid? scriptId, SaveScalingScriptRequest request, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("scaling.script.save", $"{await caller.ScalingGroupAsync(groupId)}/{request.Name}",
            user => scaling.SaveScriptAsync(groupId, scriptId?.ToString(), request, user, cancellationToken));

    public async Task<ServiceResult<ScalingScriptView>> RollbackAsync(Guid groupId, Guid scriptId, int version, CancellationToken cancellationToken = default) =>
        await caller.RunAsync("scaling.script.rollback", await caller.ScalingGroupAsync(groupId),
            user => scaling.RollbackAsync(groupId, scriptId.ToString(), version, user, cancellationToken), $"to version {version}");

    public Task<ScriptRunView?> DryRunAsync(Guid groupId, string source, CancellationToken cancellationToken = default) =>
        controller.DryRunAsync(groupId, source, cancellationToken);

    public async Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid groupId, CancellationToken cancellationToken = default)
    {
        var result = await caller.RunAsync("scaling.delete", await caller.ScalingGroupAsync(groupId), user => scaling.DeleteAsync(groupId, user, cancellationToken));
        controller.Kick();
        return result;
    }

    public async Task<bool> DeletePolicyAsync(Guid groupId, Guid policyId, CancellationToken cancellationToken = default)
    {
        var policy = (await scaling.PoliciesAsync(groupId, cancellationToken)).FirstOrDefault(p => p.Id == policyId);
        return await caller.RunAsync("scaling.policy.delete", $"{await caller.ScalingGroupAsync(groupId)}/{policy?.Name ?? policyId.ToString()}",
            () => scaling.DeletePolicyAsync(groupId, policyId, cancellationToken));
    }

    public async Task<bool> DeleteScriptAsync(Guid groupId, Guid scriptId, CancellationToken cancellationToken = default)
    {
        var script = (await scaling.ScriptsAsync(groupId, cancellationToken)).FirstOrDefault(s => s.Id == scriptId);
        return await caller.RunAsync("scaling.script.delete", $"{await caller.ScalingGroupAsync(groupId)}/{script?.Name ?? scriptId.ToString()}",
            () => scaling.DeleteScriptAsync(groupId, scriptId.ToString(), cancellationToken));
    }
}
