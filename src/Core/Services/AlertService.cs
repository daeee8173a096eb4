using System.Collections.Concurrent;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

/// <summary>An alert opened, resolved or acknowledged: pushed to open pages (the bell) like any other change.</summary>
public sealed record AlertChanged(AlertView Alert) : LiveChange(DateTimeOffset.UtcNow);

/// <summary>The settings of the alert rules (section <c>Alerts</c>).</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>How much of a project's quota (vCPUs, memory, disk, networks, machines) its machines use before an alert opens, in percent.</summary>
    public double QuotaThresholdPercent { get; set; } = 90;

    /// <summary>
    /// When more machines than this of one host and one project turn Lost (or Error) together, one
    /// alert names them all instead of one alert each: a host whose agent reports none of its
    /// thousands of machines opens one alert, not thousands.
    /// </summary>
    public int GroupMachinesAbove { get; set; } = 5;
}

/// <summary>
/// The alert rules, fed by the live feed: a host that goes offline, a machine in Error or Lost, a
/// backup, verify, schedule, migration or evacuation that failed, and a project whose machines use
/// <see cref="AlertOptions.QuotaThresholdPercent"/> of a quota each open one alert (never two for
/// the same cause); a host back online, a machine out of Error or Lost, or a project's use back below
/// the threshold resolves it; failed work stays open until someone acknowledges it. Every opened and
/// resolved alert goes to the webhooks.
/// </summary>
/// <remarks>
/// Runs on every web node, not only the leader: the live feed is per process, and each change is
/// published on the node where it happened (a host's report or disconnect on the node holding its
/// agent, a failed operation on the node that ran it, the offline sweep on the leader), so each node
/// sees a different share of the changes and none sees one twice. The same cause can still reach two
/// nodes (a host's agent drops from one node while the leader's sweep finds it silent), so opening
/// and resolving an alert takes a lock on its key across nodes before it looks for an open one.
/// </remarks>
public sealed class AlertService(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    LiveFeed feed,
    WebhookDispatcher webhooks,
    ProjectQuotas quotas,
    IOptions<AlertOptions> options,
    TimeProvider clock,
    ILeadership leadership,
    ILogger<AlertService> logger) : BackgroundService
{
    public const string HostOffline = "host.offline";
    public const string MachineError = "machine.error";
    public const string MachineLost = "machine.lost";
    public const string OperationFailed = "operation.failed";
    public const string QuotaNearLimit = "quota.near-limit";

    /// <summary>A user's metric rule held for its window (<see cref="AlertRuleService"/>).</summary>
    public const string MetricThreshold = "metric.threshold";

    /// <summary>What each machine last counted against its project's quotas, so only a change to it (not every state change) runs the quota rule.</summary>
    private readonly ConcurrentDictionary<Guid, (string Project, QuotaDelta Takes)> _counted = new();

    private static readonly HashSet<OperationKind> s_watchedWork =
    [
        OperationKind.MachineBackup, OperationKind.BackupVerify, OperationKind.BackupRestore,
        OperationKind.ScheduleSnapshot, OperationKind.ScheduleBackup,
        OperationKind.MachineMigrate, OperationKind.HostEvacuate,
    ];

    /// <summary>Neither resolved nor acknowledged: what the bell shows, and what keeps a second alert for its cause from opening.</summary>
    private static readonly Expression<Func<AlertEntity, bool>> s_open = a => a.ResolvedAt == null && a.AcknowledgedAt == null;

    public static AlertView ToView(AlertEntity a) => new(
        a.Id, a.Rule, a.Severity, a.ResolvedAt is not null ? "resolved" : a.AcknowledgedAt is not null ? "acknowledged" : "open",
        a.Subject, a.Message, a.Project, a.HostId, a.MachineId, a.OperationId,
        Views.Utc(a.OpenedAt), Views.Utc(a.ResolvedAt), Views.Utc(a.AcknowledgedAt), a.AcknowledgedBy);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        WorkScope.Enter(new SystemScope("alerts"));
        using var subscription = feed.Subscribe();
        try
        {
            // What the machines used while the server was down (or before a quota was lowered) counts from the start.
            try
            {
                await CheckAllQuotasAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "The quota rule failed on the projects at start");
            }

            await foreach (var batch in subscription.ReadBatchesAsync(BatchSize, stoppingToken).ConfigureAwait(false))
            {
                // When the nodes share their feeds every node reads every change: the leader alone acts on them.
                if (feed.SpansNodes && !leadership.IsLeader)
                {
                    continue;
                }

                await ApplyBatchAsync(batch, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>How many changes the rules take from the feed at once.</summary>
    private const int BatchSize = 1024;

    /// <summary>
    /// Runs the rules on changes read together; only a machine's newest change among them counts.
    /// A machine that turns Lost (or Error) while more than <see cref="AlertOptions.GroupMachinesAbove"/>
    /// machines of its host and project are in that state joins one alert for them all instead of
    /// opening its own, as when a host's agent reports none of its machines. The inventory says how
    /// many there are (the change that told of them is published after they are stored), so how the
    /// changes happen to be batched does not matter.
    /// </summary>
    public async Task ApplyBatchAsync(IReadOnlyList<LiveChange> batch, CancellationToken cancellationToken = default)
    {
        var newest = new Dictionary<Guid, int>();
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i] is MachineChanged { Machine.Id: var id })
            {
                newest[id] = i;
            }
        }

        var groups = new Dictionary<(Guid HostId, string Project, MachineState State), bool>();
        var settled = false;
        for (var i = 0; i < batch.Count; i++)
        {
            var change = batch[i];
            if (change is MachineChanged { Machine.Id: var id } && newest[id] != i)
            {
                continue;
            }

            settled |= change is MachineRemoved or MachineChanged { Machine.State: not (MachineState.Lost or MachineState.Error) };
            try
            {
                if (change is MachineChanged { Machine: { State: MachineState.Lost or MachineState.Error, HostId: { } hostId } m })
                {
                    var key = (hostId, m.Project, m.State);
                    if (!groups.TryGetValue(key, out var grouped))
                    {
                        grouped = groups[key] = await OpenGroupAsync(hostId, m.Project, m.State, m, cancellationToken).ConfigureAwait(false);
                    }

                    if (grouped)
                    {
                        await ApplyQuotaRuleAsync(change, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                }

                await ApplyAsync(change, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "An alert rule failed on {Change}", change.GetType().Name);
            }
        }

        if (settled)
        {
            try
            {
                await ResolveGroupsAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "The rule that resolves the alerts of machine groups failed");
            }
        }
    }

    private const string GroupKeyPrefix = "machines-state:";

    private static string GroupKey(Guid hostId, string project, MachineState state) => $"{GroupKeyPrefix}{hostId}:{project}:{state}";

    /// <summary>Opens the group's alert (unless one is open) when the group is large enough; false when it is not, and each machine has its own.</summary>
    private async Task<bool> OpenGroupAsync(Guid hostId, string project, MachineState state, MachineView machine, CancellationToken cancellationToken)
    {
        const int named = 10;
        List<string> names;
        int count;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            var members = db.Machines.Where(m => m.HostId == hostId && m.Project == project && m.State == state);
            count = await members.CountAsync(cancellationToken).ConfigureAwait(false);
            if (count <= options.Value.GroupMachinesAbove)
            {
                return false;
            }

            names = await members.OrderBy(m => m.Name).Select(m => m.Name).Take(named).ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        var lost = state == MachineState.Lost;
        var host = machine.Host ?? hostId.ToString();
        var listed = string.Join(", ", names) + (count > names.Count ? $" and {count - names.Count} more" : "");
        var why = machine.Detail is { Length: > 0 } detail ? $" {detail}" : "";
        await OpenAsync(GroupKey(hostId, project, state), lost ? MachineLost : MachineError, lost ? "critical" : "warning", $"{count} machines on {host}",
            $"{count} machines of project {project} on host {host} are {state}: {listed}.{why}",
            project, hostId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>An alert for a group of machines resolves when none of its host's machines of that project is in that state any more.</summary>
    private async Task ResolveGroupsAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var open = await db.Alerts.Where(a => a.ResolvedAt == null && a.Key.StartsWith(GroupKeyPrefix))
            .Select(a => new { a.Key, a.HostId, a.Project, a.Rule }).Distinct().ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var alert in open)
        {
            var state = alert.Rule == MachineLost ? MachineState.Lost : MachineState.Error;
            if (!await db.Machines.AnyAsync(m => m.HostId == alert.HostId && m.Project == alert.Project && m.State == state, cancellationToken).ConfigureAwait(false))
            {
                await ResolveAsync(alert.Key, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs the rules on one change (public for tests that feed changes by hand).</summary>
    public async Task ApplyAsync(LiveChange change, CancellationToken cancellationToken = default)
    {
        switch (change)
        {
            case HostChanged { Host: var host } when !host.Online:
                await OpenAsync($"host-offline:{host.Id}", HostOffline, "critical", host.Name,
                    $"Host {host.Name} is offline: its agent stopped answering{(host.LastSeenAt is { } seen ? $" (last heard from at {seen:u})" : "")}. Its machines show Unknown until it is back.",
                    project: null, hostId: host.Id, cancellationToken: cancellationToken).ConfigureAwait(false);
                break;
            case HostChanged { Host: var host }:
                await ResolveAsync($"host-offline:{host.Id}", cancellationToken).ConfigureAwait(false);
                break;
            case MachineChanged { Machine: var m } when m.State is MachineState.Error or MachineState.Lost:
                var lost = m.State == MachineState.Lost;
                await OpenAsync($"machine-state:{m.Id}", lost ? MachineLost : MachineError, lost ? "critical" : "warning", m.Name,
                    $"Machine {m.Name} is {m.State}{(m.Detail is { Length: > 0 } detail ? $": {detail}" : ".")}",
                    m.Project, m.HostId, m.Id, cancellationToken: cancellationToken).ConfigureAwait(false);
                break;
            case MachineChanged { Machine: var m }:
                await ResolveAsync($"machine-state:{m.Id}", cancellationToken).ConfigureAwait(false);
                break;
            case MachineRemoved removed:
                await ResolveAsync($"machine-state:{removed.MachineId}", cancellationToken).ConfigureAwait(false);
                break;
            case OperationChanged { Operation: var o } when o.State == OperationStatus.Failed && s_watchedWork.Contains(o.Kind):
                await OpenAsync($"operation:{o.Id}", OperationFailed, "warning", o.Target,
                    $"{Describe(o.Kind)} of {o.Target} failed: {o.Error ?? o.Message ?? "no reason was given"}",
                    o.Project, null, o.MachineId, o.Id, cancellationToken).ConfigureAwait(false);
                break;
        }

        await ApplyQuotaRuleAsync(change, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A machine made, resized, moved or deleted changes what its project uses: the project's quotas are checked again.</summary>
    private async Task ApplyQuotaRuleAsync(LiveChange change, CancellationToken cancellationToken)
    {
        switch (change)
        {
            case MachineChanged { Machine: var m }:
                var takes = (m.Project, QuotaDelta.For(m.Spec));
                var before = _counted.TryGetValue(m.Id, out var counted) ? counted : default((string Project, QuotaDelta Takes)?);
                if (before == takes)
                {
                    return;
                }

                _counted[m.Id] = takes;
                await CheckQuotasAsync(m.Project, cancellationToken).ConfigureAwait(false);
                if (before is { } was && was.Project != m.Project)
                {
                    await CheckQuotasAsync(was.Project, cancellationToken).ConfigureAwait(false);
                }

                break;
            case MachineRemoved removed when _counted.TryRemove(removed.MachineId, out var gone):
                await CheckQuotasAsync(gone.Project, cancellationToken).ConfigureAwait(false);
                break;
            case MachineRemoved:
                // A machine this service never saw: the projects near a limit are the only ones it can take back below.
                await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
                {
                    var projects = await db.Alerts.Where(s_open).Where(a => a.Rule == QuotaNearLimit && a.Project != null)
                        .Select(a => a.Project!).Distinct().ToListAsync(cancellationToken).ConfigureAwait(false);
                    foreach (var project in projects)
                    {
                        await CheckQuotasAsync(project, cancellationToken).ConfigureAwait(false);
                    }
                }

                break;
        }
    }

    private async Task CheckAllQuotasAsync(CancellationToken cancellationToken)
    {
        List<string> projects;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            // What every machine counts now, so the reports that follow a restart (each agent's full state) check only what changed.
            var machines = await db.Machines.IgnoreQueryFilters().AsNoTracking().Select(m => new { m.Id, m.Project, m.Spec })
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            foreach (var m in machines)
            {
                _counted.TryAdd(m.Id, (m.Project, QuotaDelta.For(m.Spec)));
            }

            projects = await db.Projects.AsNoTracking()
                .Where(p => p.MaxVcpus != null || p.MaxMemoryMiB != null || p.MaxDiskGiB != null || p.MaxNetworks != null || p.MaxMachines != null)
                .Select(p => p.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var project in projects)
        {
            await CheckQuotasAsync(project, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The quota rule for one project: for each of its quotas, an alert opens when its machines use
    /// the threshold's share of it or more, and resolves when they use less (or the quota is raised
    /// or lifted). Also run when a quota is set, so a lowered one alerts at once.
    /// </summary>
    public async Task CheckQuotasAsync(string project, CancellationToken cancellationToken = default)
    {
        ProjectEntity? limits;
        List<string> open;
        var prefix = $"quota:{project}:";
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            limits = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == project, cancellationToken).ConfigureAwait(false);
            open = await db.Alerts.Where(a => a.Rule == QuotaNearLimit && a.ResolvedAt == null && a.Key.StartsWith(prefix))
                .Select(a => a.Key).ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        var used = limits is null ? null : await quotas.UsageAsync(project, cancellationToken).ConfigureAwait(false);
        var threshold = options.Value.QuotaThresholdPercent;
        var checks = used is null || limits is null ? [] : QuotaLine.Of(used, limits);
        var near = new HashSet<string>();
        foreach (var (key, what, inUse, _, limit, unit) in checks)
        {
            if (limit is not { } max || inUse <= 0 || inUse * 100.0 < threshold * max)
            {
                continue;
            }

            near.Add(prefix + key);
            var share = max > 0 ? FormattableString.Invariant($"{inUse * 100.0 / max:0} %") : "over a quota of 0";
            await OpenAsync(prefix + key, QuotaNearLimit, "warning", $"{project} {what}",
                FormattableString.Invariant($"Project '{project}' uses {inUse}{unit} of the {max}{unit} {what} its quota allows ({share}, alerts from {threshold:0.#} %): a machine that needs more will be refused."),
                project, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        foreach (var key in open.Where(k => !near.Contains(k)))
        {
            await ResolveAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Describe(OperationKind kind) => kind switch
    {
        OperationKind.MachineBackup => "The backup",
        OperationKind.BackupVerify => "The backup verify",
        OperationKind.BackupRestore => "The restore",
        OperationKind.ScheduleSnapshot => "The scheduled snapshot",
        OperationKind.ScheduleBackup => "The scheduled backup",
        OperationKind.MachineMigrate => "The migration",
        OperationKind.HostEvacuate => "The evacuation",
        _ => kind.Name(),
    };

    /// <summary>
    /// Opens an alert for <paramref name="key"/> unless one is open. With <paramref name="untilResolved"/>
    /// an acknowledged one that is not resolved also counts: a cause that holds on (a metric rule) is
    /// not alerted again because someone took its alert.
    /// </summary>
    internal async Task OpenAsync(string key, string rule, string severity, string subject, string message, string? project,
        Guid? hostId = null, Guid? machineId = null, Guid? operationId = null, CancellationToken cancellationToken = default, bool untilResolved = false)
    {
        var unresolved = untilResolved ? (Expression<Func<AlertEntity, bool>>)(a => a.ResolvedAt == null) : s_open;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (await db.Alerts.Where(unresolved).AnyAsync(a => a.Key == key, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await using var transaction = await LockKeyAsync(db, key, cancellationToken).ConfigureAwait(false);
        if (transaction is not null && await db.Alerts.Where(unresolved).AnyAsync(a => a.Key == key, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var alert = new AlertEntity
        {
            Id = Guid.NewGuid(),
            Key = key,
            Rule = rule,
            Severity = severity,
            Subject = InputText.Clip(subject, 127),
            Message = InputText.Clip(message, 2047),
            Project = project,
            HostId = hostId,
            MachineId = machineId,
            OperationId = operationId,
            OpenedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Alerts.Add(alert);
        await webhooks.QueueAsync(db, "alert.opened", ToView(alert), cancellationToken).ConfigureAwait(false);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        logger.LogWarning("Alert {Rule} opened: {Message}", rule, alert.Message);
        Published(alert);
    }

    internal async Task ResolveAsync(string key, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (!await db.Alerts.AnyAsync(a => a.Key == key && a.ResolvedAt == null, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await using var transaction = await LockKeyAsync(db, key, cancellationToken).ConfigureAwait(false);
        var open = await db.Alerts.Where(a => a.Key == key && a.ResolvedAt == null).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (open.Count == 0)
        {
            return;
        }

        foreach (var alert in open)
        {
            alert.ResolvedAt = clock.GetUtcNow().UtcDateTime;
            await webhooks.QueueAsync(db, "alert.resolved", ToView(alert), cancellationToken).ConfigureAwait(false);
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var alert in open)
        {
            logger.LogInformation("Alert {Rule} resolved: {Subject}", alert.Rule, alert.Subject);
            Published(alert);
        }
    }

    /// <summary>
    /// While other nodes may share the inventory: a transaction holding <paramref name="key"/> against
    /// every node's alert rules, for a look again and a write. Null on SQLite's one node, whose rules
    /// run one change at a time.
    /// </summary>
    private static async Task<IDbContextTransaction?> LockKeyAsync(RingmasterDbContext db, string key, CancellationToken cancellationToken)
    {
        if (!db.Database.IsNpgsql())
        {
            return null;
        }

        var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await DatabaseProvider.LockNameAsync(db, "alert:" + key, cancellationToken).ConfigureAwait(false);
        return transaction;
    }

    private void Published(AlertEntity alert)
    {
        feed.Publish(new AlertChanged(ToView(alert)));
        webhooks.Wake();
    }

    /// <summary>The alerts the caller sees, newest first: open ones only, or all of them.</summary>
    public async Task<IReadOnlyList<AlertView>> ListAsync(bool openOnly, int limit = 200, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var query = db.Alerts.AsNoTracking();
        if (openOnly)
        {
            query = query.Where(s_open);
        }

        var rows = await query.OrderByDescending(a => a.OpenedAt).Take(limit).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(ToView)];
    }

    /// <summary>Takes an open alert: it leaves the bell (its cause may still be there). Null when the caller sees no such alert.</summary>
    public async Task<ServiceResult<AlertView>> AcknowledgeAsync(Guid id, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var alert = await db.Alerts.FirstOrDefaultAsync(a => a.Id == id, cancellationToken).ConfigureAwait(false);
        if (alert is null)
        {
            return ServiceResult<AlertView>.NotFound("No such alert.");
        }

        if (alert.ResolvedAt is not null)
        {
            return ServiceResult<AlertView>.Conflict($"The alert was resolved at {alert.ResolvedAt:u}: there is nothing left to acknowledge.");
        }

        if (alert.AcknowledgedAt is null)
        {
            alert.AcknowledgedAt = clock.GetUtcNow().UtcDateTime;
            alert.AcknowledgedBy = InputText.Clip(user, 255);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            feed.Publish(new AlertChanged(ToView(alert)));
        }

        return ServiceResult<AlertView>.Ok(ToView(alert));
    }
}
