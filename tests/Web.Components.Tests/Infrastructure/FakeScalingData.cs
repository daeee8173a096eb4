using System.Text.Json;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>Scaling groups the test sets up and changes; records what the pages asked for.</summary>
public sealed class FakeScalingData : IScalingData
{
    public List<ScalingGroupView> Groups { get; } = [];
    public Dictionary<Guid, List<ScalingSample>> SamplesByGroup { get; } = [];
    public List<ScalingPolicyView> Policies { get; } = [];
    public List<ScalingScriptView> Scripts { get; } = [];
    public Dictionary<Guid, List<ScalingScriptVersionView>> Versions { get; } = [];
    public List<string> Calls { get; } = [];

    /// <summary>Long by default, so a page does not re-render under a test's clicks; tests of live counts shorten it.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The answer to a dry run.</summary>
    public Func<string, ScriptRunView>? OnDryRun { get; set; }

    /// <summary>The answer to an update; by default it applies the counts.</summary>
    public Func<UpdateScalingGroupRequest, ServiceResult<ScalingGroupView>>? OnUpdate { get; set; }

    public static ScalingGroupView Group(string name, int running = 1, int desired = 1, int min = 0, int max = 3, string status = "stable", string? detail = null, string? lastError = null,
        IReadOnlyList<ScalingDecisionView>? history = null) =>
        new(Guid.NewGuid(), name, "busybox", MachineKind.Container, min, max, desired, 60, "spread", 10, new Dictionary<string, string>(),
            [.. Enumerable.Range(0, running).Select(_ => Guid.NewGuid())], running, status, detail, lastError, null, DateTimeOffset.UtcNow.AddHours(-1), history ?? []);

    public static ScalingDecisionView Decision(string source, string? name, int from, int to, string reason, int? version = null) =>
        new(1, DateTimeOffset.UtcNow, source, name, version, JsonSerializer.SerializeToElement(new { }), from, to, reason);

    public Task<IReadOnlyList<ScalingGroupView>> GroupsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ScalingGroupView>>([.. Groups]);

    public Task<ScalingGroupView?> GroupAsync(string idOrName, CancellationToken cancellationToken = default) =>
        Task.FromResult(Groups.FirstOrDefault(g => g.Name == idOrName || g.Id.ToString() == idOrName));

    public IReadOnlyList<ScalingSample> Samples(Guid groupId) => SamplesByGroup.GetValueOrDefault(groupId) ?? [];

    public Task<IReadOnlyList<ScalingPolicyView>> PoliciesAsync(Guid groupId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ScalingPolicyView>>([.. Policies]);

    public Task<IReadOnlyList<ScalingScriptView>> ScriptsAsync(Guid groupId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ScalingScriptView>>([.. Scripts.Where(s => s.GroupId == groupId)]);

    public Task<IReadOnlyList<ScalingScriptVersionView>> VersionsAsync(Guid groupId, Guid scriptId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ScalingScriptVersionView>>([.. (Versions.GetValueOrDefault(scriptId) ?? []).OrderByDescending(v => v.Version)]);

    public Task<ServiceResult<ScalingGroupView>> CreateAsync(CreateScalingGroupRequest request, CancellationToken cancellationToken = default)
    {
        Calls.Add($"create {request.Name}");
        if (request.Min > request.Max)
        {
            return Task.FromResult(ServiceResult<ScalingGroupView>.Invalid("max", $"max ({request.Max}) must not be below min ({request.Min})."));
        }

        var group = Group(request.Name!, 0, request.Desired ?? 0, request.Min ?? 0, request.Max ?? 1, "scaling");
        Groups.Add(group);
        return Task.FromResult(ServiceResult<ScalingGroupView>.Ok(group));
    }

    public Task<ServiceResult<ScalingGroupView>> UpdateAsync(Guid groupId, UpdateScalingGroupRequest request, CancellationToken cancellationToken = default)
    {
        Calls.Add($"update {request.Min} {request.Desired} {request.Max}");
        return Task.FromResult(OnUpdate?.Invoke(request) ?? ServiceResult<ScalingGroupView>.Ok(Groups.Single(g => g.Id == groupId)));
    }

    public Task<ServiceResult<ScalingPolicyView>> AddPolicyAsync(Guid groupId, CreateScalingPolicyRequest request, CancellationToken cancellationToken = default)
    {
        Calls.Add($"policy {request.Name} {request.Kind}");
        var policy = new ScalingPolicyView(Guid.NewGuid(), request.Name ?? "", request.Kind ?? "", true, request.Metric, request.Operator, request.Threshold ?? 0, request.DurationSeconds ?? 0,
            request.Adjustment ?? 0, request.Cron, request.Target, request.Value ?? 0, null, $"{request.Kind} {request.Name}");
        Policies.Add(policy);
        return Task.FromResult(ServiceResult<ScalingPolicyView>.Ok(policy));
    }

    public Task<ServiceResult<ScalingScriptView>> SaveScriptAsync(Guid groupId, Guid? scriptId, SaveScalingScriptRequest request, CancellationToken cancellationToken = default)
    {
        Calls.Add($"save {scriptId?.ToString() ?? request.Name}");
        var existing = Scripts.FirstOrDefault(s => s.Id == scriptId);
        var version = (existing?.LatestVersion ?? 0) + 1;
        var script = new ScalingScriptView(existing?.Id ?? Guid.NewGuid(), groupId, existing?.Name ?? request.Name!, version, version, true, request.IntervalSeconds ?? 30, request.Source!, null, null, DateTimeOffset.UtcNow);
        Scripts.RemoveAll(s => s.Id == script.Id);
        Scripts.Add(script);
        (Versions.TryGetValue(script.Id, out var list) ? list : Versions[script.Id] = []).Add(new ScalingScriptVersionView(version, request.Source!, "dashboard", request.Note, DateTimeOffset.UtcNow));
        return Task.FromResult(ServiceResult<ScalingScriptView>.Ok(script));
    }

    public Task<ServiceResult<ScalingScriptView>> RollbackAsync(Guid groupId, Guid scriptId, int version, CancellationToken cancellationToken = default)
    {
        Calls.Add($"rollback {version}");
        var source = Versions[scriptId].Single(v => v.Version == version).Source;
        return SaveScriptAsync(groupId, scriptId, new SaveScalingScriptRequest(null, source, Note: $"rollback to version {version}"), cancellationToken);
    }

    public Task<ScriptRunView?> DryRunAsync(Guid groupId, string source, CancellationToken cancellationToken = default)
    {
        Calls.Add("dry-run");
        return Task.FromResult(OnDryRun?.Invoke(source));
    }

    /// <summary>The answer to a group delete; by default it is accepted and the group shows as deleting.</summary>
    public Func<Guid, ServiceResult<OperationAccepted>>? OnDelete { get; set; }

    public Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid groupId, CancellationToken cancellationToken = default)
    {
        var group = Groups.Single(g => g.Id == groupId);
        Calls.Add($"delete {group.Name}");
        if (OnDelete is not null)
        {
            return Task.FromResult(OnDelete(groupId));
        }

        Groups[Groups.IndexOf(group)] = group with { Status = "deleting", StatusDetail = "Removing its members." };
        return Task.FromResult(ServiceResult<OperationAccepted>.Ok(new OperationAccepted(Sample.Operation("scaling-group.delete", group.Name), null)));
    }

    public Task<bool> DeletePolicyAsync(Guid groupId, Guid policyId, CancellationToken cancellationToken = default)
    {
        Calls.Add($"delete policy {Policies.FirstOrDefault(p => p.Id == policyId)?.Name}");
        return Task.FromResult(Policies.RemoveAll(p => p.Id == policyId) > 0);
    }

    public Task<bool> DeleteScriptAsync(Guid groupId, Guid scriptId, CancellationToken cancellationToken = default)
    {
        Calls.Add($"delete script {Scripts.FirstOrDefault(s => s.Id == scriptId)?.Name}");
        Versions.Remove(scriptId);
        return Task.FromResult(Scripts.RemoveAll(s => s.Id == scriptId) > 0);
    }
}
