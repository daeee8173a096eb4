using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services.Scaling;

/// <summary>
/// Keeps every scaling group's members equal to its desired count, and decides that count from its
/// policies and scripts. Each round (every second, or at once when kicked): metric rules, schedules
/// and scripts may change the desired count (each change goes into the group's history); then
/// missing members are created and started in parallel (up to the group's limit), surplus members
/// are removed newest first, and failed members (error, stopped, lost) are deleted and replaced.
/// A provision that fails is cleaned up by its own operation's undo and retried with backoff, and
/// the group's status says why it is short. Policies read the scaling clock (an injectable
/// <see cref="TimeProvider"/>); provisioning backoff runs on real time.
/// </summary>
public sealed class ScalingController(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    MachineService machines,
    OperationService operations,
    IAgentGateway agents,
    ScalingMetrics metrics,
    ILeadership leadership,
    [FromKeyedServices(ScalingMetrics.ClockKey)] TimeProvider clock,
    ILogger<ScalingController> logger) : BackgroundService
{
    public static readonly TimeSpan Round = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan BusyRound = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_sampleEvery = TimeSpan.FromSeconds(5);
    private const int MaxSamples = 720;

    private readonly ConcurrentDictionary<Guid, GroupState> _states = new();
    private readonly SemaphoreSlim _kick = new(0, 1);

    private sealed class GroupState
    {
        public readonly Dictionary<Guid, Guid> Creating = [];   // operation → machine
        public readonly Dictionary<Guid, Guid> Deleting = [];   // machine → operation
        public readonly Dictionary<Guid, DateTimeOffset> HeldSince = [];
        public readonly Queue<ScalingSample> Samples = new();
        public int Failures;
        public DateTime RetryAt;
        public string? ProvisionError;
        public DateTime LastSample;
    }

    /// <summary>Runs a round now instead of at the next tick (after a change through the API).</summary>
    public void Kick()
    {
        try
        {
            _kick.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    /// <summary>The group's recent desired, running and CPU figures, oldest first.</summary>
    public IReadOnlyList<ScalingSample> Samples(Guid groupId)
    {
        if (!_states.TryGetValue(groupId, out var state))
        {
            return [];
        }

        lock (state.Samples)
        {
            return [.. state.Samples];
        }
    }

    /// <summary>Only the node that leads keeps the groups: two controllers would each make the missing members.</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeadingAsync(LeadAsync, stoppingToken);

    private async Task LeadAsync(CancellationToken stoppingToken)
    {
        // What an earlier lead of this node knew of provisions in flight is stale: the inventory says what exists now.
        _states.Clear();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunRoundAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "A scaling round failed; the next one retries");
            }

            try
            {
                // While members are being created or removed, rounds come faster so a freed provisioning slot is reused at once.
                var busy = _states.Values.Any(s => s.Creating.Count > 0 || s.Deleting.Count > 0);
                await _kick.WaitAsync(busy ? BusyRound : Round, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One round over every group.</summary>
    public async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        // The controller keeps every project's groups; each member it makes goes to its group's project.
        WorkScope.Enter(new SystemScope("scaling controller"));
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var groups = await db.Set<ScalingGroupEntity>().ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var gone in _states.Keys.Except(groups.Select(g => g.Id)).ToList())
        {
            _states.TryRemove(gone, out _);
        }

        if (groups.Count == 0)
        {
            return;
        }

        var members = await ScalingService.MembersAsync(db, cancellationToken).ConfigureAwait(false);
        var policies = (await db.Set<ScalingPolicyEntity>().Where(p => p.Enabled).ToListAsync(cancellationToken).ConfigureAwait(false)).ToLookup(p => p.GroupId);
        var scripts = (await db.Set<ScalingScriptEntity>().Where(s => s.Enabled).ToListAsync(cancellationToken).ConfigureAwait(false)).ToLookup(s => s.GroupId);
        var hosts = await db.Hosts.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var group in groups)
        {
            var state = _states.GetOrAdd(group.Id, _ => new GroupState());
            var groupMembers = members.GetValueOrDefault(group.Id) ?? [];
            try
            {
                if (!group.Deleting)
                {
                    Decide(db, group, groupMembers, policies[group.Id], scripts[group.Id], hosts, state);
                    await ReconcileAsync(db, group, groupMembers, hosts, state, cancellationToken).ConfigureAwait(false);
                }

                Sample(group, groupMembers, state);
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Scaling group {Group}: this round failed", group.Name);
            }
        }
    }

    // --- decisions ---

    private void Decide(RingmasterDbContext db, ScalingGroupEntity group, List<MachineEntity> members, IEnumerable<ScalingPolicyEntity> policies, IEnumerable<ScalingScriptEntity> scripts, List<HostEntity> hosts, GroupState state)
    {
        var now = clock.GetUtcNow();
        var running = members.Where(m => m.State == MachineState.Running).Select(m => m.Id).ToList();
        var inCooldown = group.LastScaledAt is { } last && now.UtcDateTime < last.AddSeconds(group.CooldownSeconds);
        foreach (var policy in policies.OrderBy(p => p.CreatedAt))
        {
            if (policy.Kind == "schedule")
            {
                Schedule(db, group, policy, now);
                continue;
            }

            var window = TimeSpan.FromSeconds(Math.Clamp(policy.DurationSeconds, 4, 10));
            var value = metrics.GroupAverage(group.Id, running, policy.Metric ?? "cpu", window);
            var holds = value is { } v && (policy.Operator == "below" ? v < policy.Threshold : v > policy.Threshold);
            if (!holds)
            {
                state.HeldSince.Remove(policy.Id);
                continue;
            }

            if (!state.HeldSince.TryGetValue(policy.Id, out var since))
            {
                state.HeldSince[policy.Id] = since = now;
            }

            var held = now - since;
            if (held.TotalSeconds < policy.DurationSeconds || inCooldown)
            {
                continue;
            }

            var target = Math.Clamp(group.Desired + policy.Adjustment, group.Min, group.Max);
            if (target == group.Desired)
            {
                continue;
            }

            var inputs = new { metric = policy.Metric, value = Math.Round(value!.Value, 2), policy.Threshold, windowSeconds = window.TotalSeconds, heldSeconds = Math.Round(held.TotalSeconds), running = running.Count };
            SetDesired(db, group, target, now, "policy", policy.Name, null, inputs,
                $"{policy.Metric} {value:0.#} {(policy.Operator == "below" ? "<" : ">")} {policy.Threshold:0.##} for {held.TotalSeconds:0} s → {(policy.Adjustment > 0 ? "add" : "remove")} {Math.Abs(policy.Adjustment)}{(target != group.Desired + policy.Adjustment ? $" (held to {group.Min}–{group.Max})" : "")}.");
            policy.LastFiredAt = now.UtcDateTime;
            state.HeldSince[policy.Id] = now;
            inCooldown = group.CooldownSeconds > 0;
        }

        foreach (var script in scripts)
        {
            if (script.LastRunAt is { } ran && now.UtcDateTime < ran.AddSeconds(script.IntervalSeconds))
            {
                continue;
            }

            script.LastRunAt = now.UtcDateTime;
            var source = db.Set<ScalingScriptVersionEntity>().Where(v => v.ScriptId == script.Id && v.Version == script.Version).Select(v => v.Source).FirstOrDefault();
            if (source is null)
            {
                continue;
            }

            var outcome = Evaluate(group, members, hosts, source, now);
            var label = $"Script '{script.Name}' v{script.Version}";
            if (outcome.Error is { } error)
            {
                var message = $"{label}: {error}";
                if (script.LastError != error)
                {
                    ScalingService.AddDecision(db, group.Id, now.UtcDateTime, "script", script.Name, script.Version, outcome.InputsJson, group.Desired, group.Desired, message);
                    logger.LogWarning("Scaling group {Group}: {Message}", group.Name, message);
                }

                script.LastError = error;
                group.LastError = message;
                continue;
            }

            script.LastError = null;
            if (group.LastError?.StartsWith($"Script '{script.Name}'", StringComparison.Ordinal) == true)
            {
                group.LastError = null;
            }

            if (outcome.Requested is not { } requested || inCooldown)
            {
                continue;
            }

            var target = Math.Clamp(requested, group.Min, group.Max);
            if (target == group.Desired)
            {
                continue;
            }

            var logs = outcome.Logs.Count == 0 ? "" : " Log: " + string.Join(" | ", outcome.Logs.Take(5));
            SetDesired(db, group, target, now, "script", script.Name, script.Version, outcome.InputsJson,
                $"{label} asked for {requested}{(target != requested ? $" (held to {group.Min}–{group.Max})" : "")}.{logs}");
            inCooldown = group.CooldownSeconds > 0;
        }
    }

    private void Schedule(RingmasterDbContext db, ScalingGroupEntity group, ScalingPolicyEntity policy, DateTimeOffset now)
    {
        if (!CronSchedule.TryParse(policy.Cron, out var cron, out _))
        {
            return;
        }

        // Every minute since the policy was made (or last fired), at most an hour back, so a round
        // that runs late still fires the minute it missed.
        var minute = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        var from = new[] { Views.Utc(policy.CreatedAt), Views.Utc(policy.LastFiredAt ?? DateTime.MinValue).AddMinutes(1), minute.AddHours(-1) }.Max();
        DateTimeOffset? due = null;
        for (var m = minute; m >= from.AddSeconds(-from.Second).AddMilliseconds(-from.Millisecond); m = m.AddMinutes(-1))
        {
            if (cron!.Matches(m))
            {
                due = m;
                break;
            }
        }

        if (due is null || (policy.LastFiredAt is { } fired && Views.Utc(fired) >= due))
        {
            return;
        }

        policy.LastFiredAt = due.Value.UtcDateTime;
        var inputs = new { cron = policy.Cron, minute = due, policy.Target, policy.Value };
        if (policy.Target == "min")
        {
            var min = Math.Min(policy.Value, group.Max);
            var oldMin = group.Min;
            group.Min = min;
            var desired = Math.Max(group.Desired, min);
            SetDesired(db, group, desired, now, "schedule", policy.Name, null, inputs,
                $"Schedule '{policy.Cron}' at {due:yyyy-MM-dd HH:mm} UTC: min {oldMin} → {min}{(policy.Value > group.Max ? $" (held to max {group.Max})" : "")}.", force: true);
        }
        else
        {
            var desired = Math.Clamp(policy.Value, group.Min, group.Max);
            SetDesired(db, group, desired, now, "schedule", policy.Name, null, inputs,
                $"Schedule '{policy.Cron}' at {due:yyyy-MM-dd HH:mm} UTC: desired {policy.Value}{(desired != policy.Value ? $" (held to {group.Min}–{group.Max})" : "")}.", force: true);
        }
    }

    private static void SetDesired(RingmasterDbContext db, ScalingGroupEntity group, int desired, DateTimeOffset now, string source, string? name, int? version, object inputs, string reason, bool force = false)
    {
        if (desired == group.Desired && !force)
        {
            return;
        }

        ScalingService.AddDecision(db, group.Id, now.UtcDateTime, source, name, version, inputs, group.Desired, desired, reason);
        if (desired != group.Desired)
        {
            group.LastScaledAt = now.UtcDateTime;
        }

        group.Desired = desired;
        group.UpdatedAt = now.UtcDateTime;
    }

    /// <summary>Runs a script against the group's current members and metrics without acting on it (also the dry run).</summary>
    public ScriptOutcome Evaluate(ScalingGroupEntity group, IReadOnlyList<MachineEntity> members, IReadOnlyList<HostEntity> hosts, string source, DateTimeOffset now)
    {
        var running = members.Where(m => m.State == MachineState.Running).Select(m => m.Id).ToList();
        var hostNames = hosts.ToDictionary(h => h.Id, h => h.Name);
        var view = new ScriptGroup(group.Id, group.Name, group.Min, group.Max, group.Desired, running.Count,
            [.. members.OrderBy(m => m.CreatedAt).Select(m => new ScriptMember(m.Id, m.Name, m.State.ToString(), m.HostId is { } h ? hostNames.GetValueOrDefault(h) : null))]);
        return ScriptSandbox.Run(source, view, new GroupMetrics(metrics, group.Id, running), now);
    }

    /// <summary>The dry run: what the script would ask for now, held to the group's bounds.</summary>
    public async Task<ScriptRunView?> DryRunAsync(Guid groupId, string source, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var group = await db.Set<ScalingGroupEntity>().AsNoTracking().FirstOrDefaultAsync(g => g.Id == groupId, cancellationToken).ConfigureAwait(false);
        if (group is null)
        {
            return null;
        }

        var members = (await ScalingService.MembersAsync(db, cancellationToken).ConfigureAwait(false)).GetValueOrDefault(groupId) ?? [];
        var hosts = await db.Hosts.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        var outcome = await Task.Run(() => Evaluate(group, members, hosts, source, clock.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        int? target = outcome.Requested is { } r ? Math.Clamp(r, group.Min, group.Max) : null;
        return new ScriptRunView(group.Desired, target, outcome.Requested, outcome.Logs, outcome.InputsJson, outcome.Error, Math.Round(outcome.Elapsed.TotalMilliseconds, 1));
    }

    private sealed class GroupMetrics(ScalingMetrics metrics, Guid groupId, IReadOnlyList<Guid> running) : IScriptMetrics
    {
        public double? Group(string metric, TimeSpan window) => metrics.GroupAverage(groupId, running, metric, window);

        public double? Member(Guid member, string metric, TimeSpan window) => metrics.MemberAverage(groupId, member, metric, window);
    }

    // --- members ---

    private async Task ReconcileAsync(RingmasterDbContext db, ScalingGroupEntity group, List<MachineEntity> members, List<HostEntity> hosts, GroupState state, CancellationToken cancellationToken)
    {
        var realNow = DateTime.UtcNow;
        await CollectFinishedAsync(db, group, state, realNow, cancellationToken).ConfigureAwait(false);

        var online = hosts.Where(h => h.Online && agents.IsConnected(h.Id)).Select(h => h.Id).ToHashSet();
        bool Deleting(MachineEntity m) => m.State == MachineState.Deleting || state.Deleting.ContainsKey(m.Id);
        // A member is Stopped between its create and its start: one with an operation under way is not failed.
        var provisioning = state.Creating.Values.ToHashSet();
        var suspects = members.Where(m => !Deleting(m) && !provisioning.Contains(m.Id) && m.State is MachineState.Error or MachineState.Lost or MachineState.Stopped).ToList();
        if (suspects.Count > 0)
        {
            var ids = suspects.Select(m => m.Id).ToList();
            var busy = await db.Operations.AsNoTracking()
                .Where(o => o.MachineId != null && ids.Contains(o.MachineId.Value) && (o.State == OperationStatus.Queued || o.State == OperationStatus.Running))
                .Select(o => o.MachineId!.Value).ToListAsync(cancellationToken).ConfigureAwait(false);
            provisioning.UnionWith(busy);

            // The members were read at the start of the round, before its scripts ran (up to their time
            // limit): one that was between its create and its start then may be running now, its
            // operation over. Only a state read after its operation's end says it failed; one that
            // has come up since counts as on its way for this round, and the next round reads it anew.
            var now = await db.Machines.AsNoTracking().Where(m => ids.Contains(m.Id)).Select(m => new { m.Id, m.State }).ToListAsync(cancellationToken).ConfigureAwait(false);
            var stillDown = now.Where(m => m.State is MachineState.Error or MachineState.Lost or MachineState.Stopped).Select(m => m.Id).ToHashSet();
            provisioning.UnionWith(ids.Where(id => !stillDown.Contains(id)));
        }

        var failed = suspects.Where(m => !provisioning.Contains(m.Id)).ToList();
        var away = members.Where(m => !Deleting(m) && (m.State == MachineState.Unknown || (m.HostId is { } h && !online.Contains(h) && m.State != MachineState.Lost))).ToList();
        var healthy = members.Where(m => !Deleting(m) && m.State is MachineState.Running or MachineState.Paused && !away.Contains(m)).ToList();
        var pending = members.Where(m => !Deleting(m) && !healthy.Contains(m) && !away.Contains(m) && (m.State == MachineState.Creating || provisioning.Contains(m.Id))).ToList();

        foreach (var member in failed)
        {
            var result = await machines.DeleteAsync(member.Id, UserOf(group), cancellationToken).ConfigureAwait(false);
            if (result.Kind == ResultKind.Ok)
            {
                state.Deleting[member.Id] = result.Value!.Operation.Id;
                ScalingService.AddDecision(db, group.Id, clock.GetUtcNow().UtcDateTime, "controller", null, null, new { member = member.Id, name = member.Name, state = member.State.ToString(), detail = member.Detail },
                    group.Desired, group.Desired, $"Replacing member {member.Name}: it is {member.State}{(member.Detail is { Length: > 0 } d ? $" ({d})" : "")}.");
            }
        }

        var active = healthy.Count + pending.Count;
        var shortBy = group.Desired - active;
        if (shortBy > 0 && realNow >= state.RetryAt)
        {
            var slots = Math.Min(shortBy, group.MaxParallel - state.Creating.Count);
            if (slots > 0)
            {
                await CreateAsync(group, members.Where(m => !Deleting(m)).ToList(), hosts, online, slots, state, realNow, cancellationToken).ConfigureAwait(false);
            }
        }
        else if (shortBy < 0)
        {
            // Surplus: newest first; members still being created wait for the next round.
            foreach (var member in healthy.OrderByDescending(m => m.CreatedAt).Take(-shortBy))
            {
                var result = await machines.DeleteAsync(member.Id, UserOf(group), cancellationToken).ConfigureAwait(false);
                if (result.Kind == ResultKind.Ok)
                {
                    state.Deleting[member.Id] = result.Value!.Operation.Id;
                }
            }
        }

        // Status, in words.
        var removing = state.Deleting.Count;
        var creating = Math.Max(pending.Count, state.Creating.Count);
        string status;
        string? detail;
        if (healthy.Count == group.Desired && creating == 0 && removing == 0 && failed.Count == 0)
        {
            (status, detail) = ("stable", null);
            state.Failures = 0;
            state.ProvisionError = null;
        }
        else if (state.ProvisionError is not null && healthy.Count + creating < group.Desired)
        {
            var wait = Math.Max(0, (state.RetryAt - realNow).TotalSeconds);
            status = "short";
            detail = $"{healthy.Count} of {group.Desired} running; {state.Failures} provision attempt(s) failed, the last: {state.ProvisionError} " +
                (wait > 0 ? $"Retrying in {wait:0} s." : "Retrying now.");
        }
        else
        {
            var parts = new List<string> { $"{healthy.Count} of {group.Desired} running" };
            if (creating > 0)
            {
                parts.Add($"creating {creating}");
            }

            if (removing > 0)
            {
                parts.Add($"removing {removing}");
            }

            if (failed.Count > 0)
            {
                parts.Add($"replacing {failed.Count} failed");
            }

            if (away.Count > 0)
            {
                parts.Add($"{away.Count} on offline hosts (replaced elsewhere)");
            }

            status = "scaling";
            detail = string.Join(", ", parts) + ".";
        }

        if (group.Status != status || group.StatusDetail != detail)
        {
            group.Status = status;
            group.StatusDetail = detail is { Length: > 2000 } ? detail[..2000] : detail;
        }
    }

    private async Task CollectFinishedAsync(RingmasterDbContext db, ScalingGroupEntity group, GroupState state, DateTime realNow, CancellationToken cancellationToken)
    {
        foreach (var (machineId, operationId) in state.Deleting.Where(d => !operations.IsActive(d.Value)).ToList())
        {
            state.Deleting.Remove(machineId);
        }

        var finished = state.Creating.Keys.Where(id => !operations.IsActive(id)).ToList();
        if (finished.Count == 0)
        {
            return;
        }

        var outcomes = await db.Operations.AsNoTracking().Where(o => finished.Contains(o.Id)).Select(o => new { o.Id, o.State, o.Error }).ToListAsync(cancellationToken).ConfigureAwait(false);
        string? error = null;
        foreach (var outcome in outcomes.Where(o => o.State is OperationStatus.Succeeded or OperationStatus.Failed or OperationStatus.Cancelled))
        {
            state.Creating.Remove(outcome.Id);
            if (outcome.State == OperationStatus.Succeeded)
            {
                state.Failures = 0;
                state.ProvisionError = null;
            }
            else
            {
                error = outcome.Error ?? "The create operation did not finish.";
            }
        }

        // A batch that fails together (an engine that went away) is one failure for the backoff, not one per member.
        if (error is not null)
        {
            Failed(group, state, realNow, error);
        }
    }

    private void Failed(ScalingGroupEntity group, GroupState state, DateTime realNow, string error)
    {
        state.Failures++;
        state.ProvisionError = error.TrimEnd('.') + ".";
        var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(state.Failures, 10) - 1)));
        state.RetryAt = realNow + backoff;
        group.LastError = $"Provisioning a member failed: {state.ProvisionError}";
        logger.LogWarning("Scaling group {Group}: provisioning failed ({Failures} in a row), retrying in {Backoff} s: {Error}", group.Name, state.Failures, backoff.TotalSeconds, error);
    }

    private async Task CreateAsync(ScalingGroupEntity group, List<MachineEntity> members, List<HostEntity> hosts, HashSet<Guid> online, int count, GroupState state, DateTime realNow, CancellationToken cancellationToken)
    {
        var candidates = hosts.Where(h => online.Contains(h.Id) && (group.Kind == MachineKind.Vm || h.Capabilities?.ContainerEngine is not null)).ToList();
        if (candidates.Count == 0)
        {
            Failed(group, state, realNow, group.Kind == MachineKind.Container ? "No online host has a container engine." : "No host is online.");
            return;
        }

        var perHost = candidates.ToDictionary(h => h.Id, h => members.Count(m => m.HostId == h.Id));
        var labels = new Dictionary<string, string>(group.Labels) { [ScalingService.MemberLabel] = group.Id.ToString() };
        var requests = new List<CreateMachineRequest>();
        for (var i = 0; i < count; i++)
        {
            var host = group.Placement == "pack"
                ? candidates.OrderByDescending(h => perHost[h.Id]).ThenBy(h => h.Name, StringComparer.Ordinal).First()
                : candidates.OrderBy(h => perHost[h.Id]).ThenBy(h => h.Name, StringComparer.Ordinal).First();
            perHost[host.Id]++;
            requests.Add(new CreateMachineRequest($"{group.Name}-{Guid.NewGuid():N}"[..(group.Name.Length + 7)], group.Template, Host: host.Id.ToString(), Labels: labels, Start: true, Project: group.Project));
        }

        var results = await Task.WhenAll(requests.Select(r => machines.CreateAsync(r, UserOf(group), cancellationToken))).ConfigureAwait(false);
        foreach (var result in results)
        {
            if (result.Kind == ResultKind.Ok)
            {
                state.Creating[result.Value!.Operation.Id] = result.Value.Machine!.Id;
            }
            else
            {
                var why = result.Errors is { Count: > 0 } errors ? string.Join(" ", errors.SelectMany(e => e.Value)) : result.Message ?? "refused";
                Failed(group, state, realNow, why);
                break;
            }
        }
    }

    private static string UserOf(ScalingGroupEntity group) => $"scaling:{group.Name}";

    private void Sample(ScalingGroupEntity group, List<MachineEntity> members, GroupState state)
    {
        var now = DateTime.UtcNow;
        if (now - state.LastSample < s_sampleEvery)
        {
            return;
        }

        state.LastSample = now;
        var running = members.Where(m => m.State == MachineState.Running).Select(m => m.Id).ToList();
        var cpu = metrics.GroupAverage(group.Id, running, "cpu", TimeSpan.FromSeconds(10));
        lock (state.Samples)
        {
            state.Samples.Enqueue(new ScalingSample(new DateTimeOffset(now), group.Desired, running.Count, cpu is { } c ? Math.Round(c, 1) : null));
            while (state.Samples.Count > MaxSamples)
            {
                state.Samples.Dequeue();
            }
        }
    }

    internal static string Json(object value) => JsonSerializer.Serialize(value, JsonSerializerOptions.Web);
}
