using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>One figure of the metrics history a rule can watch, named as <see cref="MetricPoint"/>'s JSON names it.</summary>
public sealed record AlertMetric(string Name, string Label, string Unit, bool OfHosts, Func<MetricPoint, double?> Read);

/// <summary>
/// Users' metric rules: each compares one figure of the metrics history (CPU %, memory, disk and
/// network rates, an emulator's MIPS) of a machine, a host, every machine of its project or every host
/// with a threshold. The leader evaluates the enabled rules after each flush of the history
/// (<see cref="MetricsHistoryWriter"/>): when every stored sample of a target over the rule's window
/// (<see cref="AlertRuleEntity.ForSeconds"/>) is past the threshold, one alert opens for that rule and
/// target through <see cref="AlertService"/> (the bell, the webhooks); when the newest sample is back,
/// or the target has sent nothing for a while, or it is no longer a target, the alert resolves.
/// Deleting or disabling a rule resolves its alerts.
/// </summary>
public sealed class AlertRuleService(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    MetricsHistory history,
    AlertService alerts,
    TimeProvider clock,
    ILogger<AlertRuleService> logger,
    IAccessScope? scope = null)
{
    public const int MinForSeconds = 10;
    public const int MaxForSeconds = 86_400;
    public static readonly string[] Severities = ["info", "warning", "critical"];
    public static readonly string[] Comparisons = [">", "<"];

    /// <summary>The figures a rule can watch; hosts have all but MIPS (their disk and network rates are their guests' summed).</summary>
    public static readonly IReadOnlyList<AlertMetric> Metrics =
    [
        new("cpuPercent", "CPU", " %", true, p => p.CpuPercent),
        new("memoryUsedBytes", "memory used", " B", true, p => p.MemoryUsedBytes),
        new("memoryTotalBytes", "memory total", " B", true, p => p.MemoryTotalBytes),
        new("diskReadPerSecond", "disk reads", " B/s", true, p => p.DiskReadPerSecond),
        new("diskWritePerSecond", "disk writes", " B/s", true, p => p.DiskWritePerSecond),
        new("netRxPerSecond", "network receive", " B/s", true, p => p.NetRxPerSecond),
        new("netTxPerSecond", "network send", " B/s", true, p => p.NetTxPerSecond),
        new("mips", "emulator speed", " MIPS", false, p => p.Mips),
    ];

    /// <summary>The target kinds as the API writes them.</summary>
    public static readonly IReadOnlyDictionary<string, AlertRuleTarget> Targets = new Dictionary<string, AlertRuleTarget>(StringComparer.OrdinalIgnoreCase)
    {
        ["machine"] = AlertRuleTarget.Machine,
        ["host"] = AlertRuleTarget.Host,
        ["all-machines"] = AlertRuleTarget.AllMachines,
        ["all-hosts"] = AlertRuleTarget.AllHosts,
    };

    private static string MetricNames => string.Join(", ", Metrics.Select(m => m.Name));

    public static AlertMetric? MetricOf(string? name) =>
        Metrics.FirstOrDefault(m => string.Equals(m.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));

    public static string TargetName(AlertRuleTarget target) => Targets.First(t => t.Value == target).Key;

    /// <summary>The key of the alert a rule opens for one target; every alert of a rule starts with <see cref="KeyPrefix"/>.</summary>
    public static string KeyOf(Guid rule, Guid target) => $"{KeyPrefix(rule)}{target:N}";

    public static string KeyPrefix(Guid rule) => $"metric-rule:{rule:N}:";

    private IAccessScope Caller => WorkScope.Current ?? scope ?? UnrestrictedScope.Instance;

    public async Task<IReadOnlyList<AlertRuleView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rows = await db.AlertRules.AsNoTracking().OrderBy(r => r.Project).ThenBy(r => r.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        return await ViewsAsync(db, rows, cancellationToken).ConfigureAwait(false);
    }

    public async Task<AlertRuleView?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var row = await db.AlertRules.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken).ConfigureAwait(false);
        return row is null ? null : (await ViewsAsync(db, [row], cancellationToken).ConfigureAwait(false))[0];
    }

    private static async Task<IReadOnlyList<AlertRuleView>> ViewsAsync(RingmasterDbContext db, List<AlertRuleEntity> rows, CancellationToken cancellationToken)
    {
        var ids = rows.Where(r => r.TargetId is not null).Select(r => r.TargetId!.Value).Distinct().ToList();
        var names = ids.Count == 0 ? new Dictionary<Guid, string>() : await db.Machines.IgnoreQueryFilters().AsNoTracking().Where(m => ids.Contains(m.Id))
            .Select(m => new { m.Id, m.Name }).ToDictionaryAsync(m => m.Id, m => m.Name, cancellationToken).ConfigureAwait(false);
        if (ids.Count > 0)
        {
            foreach (var h in await db.Hosts.AsNoTracking().Where(h => ids.Contains(h.Id)).Select(h => new { h.Id, h.Name }).ToListAsync(cancellationToken).ConfigureAwait(false))
            {
                names[h.Id] = h.Name;
            }
        }

        // The unresolved alerts of each rule: their keys start with the rule's prefix.
        var keys = rows.Count == 0 ? [] : await db.Alerts.IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.Rule == AlertService.MetricThreshold && a.ResolvedAt == null).Select(a => a.Key).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r =>
        {
            var firing = keys.Count(k => k.StartsWith(KeyPrefix(r.Id), StringComparison.Ordinal));
            var state = !r.Enabled ? "disabled" : firing > 0 ? "firing" : r.EvaluatedAt is null ? "pending" : "ok";
            return new AlertRuleView(r.Id, r.Name, r.Project, r.Metric, TargetName(r.Target), r.TargetId,
                r.TargetId is { } t && names.TryGetValue(t, out var name) ? name : null,
                r.Comparison, r.Threshold, r.ForSeconds, r.Severity, r.Enabled, state, firing, Views.Utc(r.CreatedAt), Views.Utc(r.EvaluatedAt));
        })];
    }

    public async Task<ServiceResult<AlertRuleView>> CreateAsync(CreateAlertRuleRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors.TryAdd(field, [message]);
        if (!SnapshotService.IsValidName(request.Name))
        {
            Error("name", $"An alert rule's name is {SnapshotService.NameRule}.");
        }

        var metric = CheckCondition(request.Metric, request.Comparison, request.Threshold, request.ForSeconds, request.Severity, Error, required: true);
        AlertRuleTarget target = default;
        if (request.Target is null || !Targets.TryGetValue(request.Target.Trim(), out target))
        {
            Error("target", $"The target is one of {string.Join(", ", Targets.Keys.Select(k => $"'{k}'"))}: one machine or host (named in targetName), every machine of the rule's project, or every host.");
        }
        else if (metric is { OfHosts: false } && target is AlertRuleTarget.Host or AlertRuleTarget.AllHosts)
        {
            Error("metric", $"Hosts have no {metric.Name}: it is a figure of emulator VMs only.");
        }

        var caller = Caller;
        if (target is AlertRuleTarget.Host or AlertRuleTarget.AllHosts && caller.Projects is not null)
        {
            Error("target", "Only an admin may watch hosts: they serve every project.");
        }

        var one = target is AlertRuleTarget.Machine or AlertRuleTarget.Host;
        if (one && string.IsNullOrWhiteSpace(request.TargetName))
        {
            Error("targetName", $"A '{TargetName(target)}' rule names its {TargetName(target)} (its name or id) in targetName.");
        }
        else if (!one && !string.IsNullOrWhiteSpace(request.TargetName))
        {
            Error("targetName", $"A rule on all machines or all hosts names none; to watch one, set target to 'machine' or 'host'.");
        }
        else if (request.TargetName is { Length: > 64 })
        {
            Error("targetName", "A machine's or host's name or id is at most 64 characters.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var project = await ProjectNames.ResolveAsync(db, caller, request.Project, cancellationToken).ConfigureAwait(false);
        if (project is null)
        {
            Error("project", ProjectNames.Refusal);
        }

        Guid? targetId = null;
        if (errors.Count == 0 && one)
        {
            var name = request.TargetName!.Trim();
            if (target == AlertRuleTarget.Machine)
            {
                var machines = db.Machines.AsNoTracking().Where(m => m.Project == project);
                var machine = Guid.TryParse(name, out var id)
                    ? await machines.FirstOrDefaultAsync(m => m.Id == id, cancellationToken).ConfigureAwait(false)
                    : await machines.FirstOrDefaultAsync(m => m.Name == name, cancellationToken).ConfigureAwait(false);
                targetId = machine?.Id;
                if (machine is null)
                {
                    Error("targetName", $"Project '{project}' has no machine '{name}'.");
                }
            }
            else
            {
                var host = Guid.TryParse(name, out var id)
                    ? await db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Id == id, cancellationToken).ConfigureAwait(false)
                    : await db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Name == name, cancellationToken).ConfigureAwait(false);
                targetId = host?.Id;
                if (host is null)
                {
                    Error("targetName", $"No host '{name}'.");
                }
            }
        }

        if (errors.Count > 0)
        {
            return ServiceResult<AlertRuleView>.Invalid(errors);
        }

        if (await db.AlertRules.AnyAsync(r => r.Project == project && r.Name == request.Name, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<AlertRuleView>.Conflict($"Project '{project}' has an alert rule named '{request.Name}'.");
        }

        var rule = new AlertRuleEntity
        {
            Id = Guid.NewGuid(),
            Name = request.Name!,
            Project = project!,
            Metric = metric!.Name,
            Target = target,
            TargetId = targetId,
            Comparison = request.Comparison!.Trim(),
            Threshold = request.Threshold!.Value,
            ForSeconds = request.ForSeconds!.Value,
            Severity = request.Severity?.Trim().ToLowerInvariant() ?? "warning",
            Enabled = request.Enabled ?? true,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.AlertRules.Add(rule);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ServiceResult<AlertRuleView>.Ok((await ViewsAsync(db, [rule], cancellationToken).ConfigureAwait(false))[0]);
    }

    /// <summary>Checks the parts of a condition that were given (all of them when <paramref name="required"/>); returns the metric.</summary>
    private static AlertMetric? CheckCondition(string? metricName, string? comparison, double? threshold, int? forSeconds, string? severity,
        Action<string, string> error, bool required)
    {
        var metric = MetricOf(metricName);
        if ((required || metricName is not null) && metric is null)
        {
            error("metric", $"The metric is one of the figures the metrics history keeps: {MetricNames}.");
        }

        if ((required || comparison is not null) && !Comparisons.Contains(comparison?.Trim()))
        {
            error("comparison", "The comparison is '>' (alert while the metric is above the threshold) or '<' (while it is below).");
        }

        if (required && threshold is null)
        {
            error("threshold", "Give a threshold: the value the metric is compared with, in its unit (%, bytes, bytes per second or MIPS).");
        }
        else if (threshold is { } value && (!double.IsFinite(value) || value < 0 || value > 1e15))
        {
            error("threshold", "The threshold is a number from 0 to 10^15, in the metric's unit (%, bytes, bytes per second or MIPS).");
        }

        if (required && forSeconds is null)
        {
            error("forSeconds", $"Give forSeconds: how long ({MinForSeconds} to {MaxForSeconds} seconds) every sample must be past the threshold before the alert opens.");
        }
        else if (forSeconds is < MinForSeconds or > MaxForSeconds)
        {
            error("forSeconds", $"forSeconds is from {MinForSeconds} (one sample of the history) to {MaxForSeconds} (a day).");
        }

        if (severity is not null && !Severities.Contains(severity.Trim().ToLowerInvariant()))
        {
            error("severity", $"The severity is one of {string.Join(", ", Severities.Select(s => $"'{s}'"))} ('warning' when left out).");
        }

        return metric;
    }

    public async Task<ServiceResult<AlertRuleView>> UpdateAsync(Guid id, UpdateAlertRuleRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rule = await db.AlertRules.FirstOrDefaultAsync(r => r.Id == id, cancellationToken).ConfigureAwait(false);
        if (rule is null)
        {
            return ServiceResult<AlertRuleView>.NotFound("No such alert rule.");
        }

        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors.TryAdd(field, [message]);
        if (request.Name is not null && !SnapshotService.IsValidName(request.Name))
        {
            Error("name", $"An alert rule's name is {SnapshotService.NameRule}.");
        }

        var metric = CheckCondition(request.Metric, request.Comparison, request.Threshold, request.ForSeconds, request.Severity, Error, required: false);
        if (metric is { OfHosts: false } && rule.Target is AlertRuleTarget.Host or AlertRuleTarget.AllHosts)
        {
            Error("metric", $"Hosts have no {metric.Name}: it is a figure of emulator VMs only.");
        }

        if (errors.Count > 0)
        {
            return ServiceResult<AlertRuleView>.Invalid(errors);
        }

        if (request.Name is { } name && name != rule.Name
            && await db.AlertRules.AnyAsync(r => r.Project == rule.Project && r.Name == name, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<AlertRuleView>.Conflict($"Project '{rule.Project}' has an alert rule named '{name}'.");
        }

        var changed = metric is not null && metric.Name != rule.Metric
            || request.Comparison is not null && request.Comparison.Trim() != rule.Comparison
            || request.Threshold is { } t && t != rule.Threshold
            || request.ForSeconds is { } f && f != rule.ForSeconds
            || request.Enabled is false && rule.Enabled;
        rule.Name = request.Name ?? rule.Name;
        rule.Metric = metric?.Name ?? rule.Metric;
        rule.Comparison = request.Comparison?.Trim() ?? rule.Comparison;
        rule.Threshold = request.Threshold ?? rule.Threshold;
        rule.ForSeconds = request.ForSeconds ?? rule.ForSeconds;
        rule.Severity = request.Severity?.Trim().ToLowerInvariant() ?? rule.Severity;
        rule.Enabled = request.Enabled ?? rule.Enabled;
        if (changed)
        {
            // A new condition starts over: its alerts resolve, and open again if the new one holds.
            rule.EvaluatedAt = null;
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        if (changed)
        {
            await ResolveAllAsync(rule.Id, cancellationToken).ConfigureAwait(false);
        }

        return ServiceResult<AlertRuleView>.Ok((await ViewsAsync(db, [rule], cancellationToken).ConfigureAwait(false))[0]);
    }

    /// <summary>Deletes a rule and resolves its alerts; false when the caller sees no such rule.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (await db.AlertRules.Where(r => r.Id == id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            return false;
        }

        await ResolveAllAsync(id, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task ResolveAllAsync(Guid rule, CancellationToken cancellationToken, IReadOnlySet<string>? except = null)
    {
        List<string> keys;
        var prefix = KeyPrefix(rule);
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            keys = await db.Alerts.IgnoreQueryFilters().Where(a => a.ResolvedAt == null && a.Key.StartsWith(prefix))
                .Select(a => a.Key).Distinct().ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var key in keys.Where(k => except is null || !except.Contains(k)))
        {
            await alerts.ResolveAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    private readonly record struct Target(MetricOwner Owner, Guid Id, string Name);

    /// <summary>What a target's samples say of a condition.</summary>
    private enum Verdict
    {
        /// <summary>Every sample over the window is past the threshold.</summary>
        Holds,

        /// <summary>The newest sample is back, or there is no recent sample.</summary>
        Clears,

        /// <summary>The newest sample is past the threshold, but not yet all of the window.</summary>
        Building,
    }

    /// <summary>
    /// Evaluates every enabled rule against the stored history (run by the leader after each flush;
    /// public for tests): opens the alerts of conditions that hold, resolves those that cleared.
    /// </summary>
    public async Task EvaluateAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        List<AlertRuleEntity> rules;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            rules = await db.AlertRules.IgnoreQueryFilters().AsNoTracking().Where(r => r.Enabled).ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        var histories = new Dictionary<(MetricOwner, Guid, int), MetricHistory>();
        foreach (var rule in rules)
        {
            try
            {
                await EvaluateAsync(rule, now, histories, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Evaluating alert rule {Rule} of project {Project} failed", rule.Name, rule.Project);
            }
        }
    }

    private async Task EvaluateAsync(AlertRuleEntity rule, DateTimeOffset now, Dictionary<(MetricOwner, Guid, int), MetricHistory> histories, CancellationToken cancellationToken)
    {
        var metric = MetricOf(rule.Metric);
        if (metric is null)
        {
            return;
        }

        List<Target> targets;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            targets = rule.Target switch
            {
                AlertRuleTarget.Machine or AlertRuleTarget.AllMachines => await db.Machines.IgnoreQueryFilters().AsNoTracking()
                    .Where(m => m.Project == rule.Project && (rule.Target == AlertRuleTarget.AllMachines || m.Id == rule.TargetId))
                    .Select(m => new Target(MetricOwner.Machine, m.Id, m.Name)).ToListAsync(cancellationToken).ConfigureAwait(false),
                _ => await db.Hosts.AsNoTracking()
                    .Where(h => rule.Target == AlertRuleTarget.AllHosts || h.Id == rule.TargetId)
                    .Select(h => new Target(MetricOwner.Host, h.Id, h.Name)).ToListAsync(cancellationToken).ConfigureAwait(false),
            };
        }

        // A window of up to an hour reads the 10 s points, a longer one the minute points.
        var tier = MetricsHistory.Tiers[rule.ForSeconds <= MetricsHistory.Tiers[0].SpanSeconds ? 0 : 1];
        var holding = new HashSet<string>();
        foreach (var target in targets)
        {
            if (!histories.TryGetValue((target.Owner, target.Id, tier.Index), out var series))
            {
                series = await history.QueryAsync(target.Owner, target.Id, tier, cancellationToken).ConfigureAwait(false);
                histories[(target.Owner, target.Id, tier.Index)] = series;
            }

            var key = KeyOf(rule.Id, target.Id);
            var (verdict, value) = Judge(rule, metric, series.Points, tier.StepSeconds, now);
            if (verdict == Verdict.Holds)
            {
                holding.Add(key);
                var what = target.Owner == MetricOwner.Machine ? "Machine" : "Host";
                var past = rule.Comparison == ">" ? "above" : "below";
                var message = string.Create(CultureInfo.InvariantCulture,
                    $"{what} {target.Name}: {metric.Label} ({metric.Name}) has been {past} {rule.Threshold}{metric.Unit} for {Duration(rule.ForSeconds)} (now {value:0.##}{metric.Unit}), by alert rule '{rule.Name}' of project '{rule.Project}'.");
                await alerts.OpenAsync(key, AlertService.MetricThreshold, rule.Severity, $"{target.Name} {metric.Label}", message, rule.Project,
                    hostId: target.Owner == MetricOwner.Host ? target.Id : null,
                    machineId: target.Owner == MetricOwner.Machine ? target.Id : null,
                    cancellationToken: cancellationToken, untilResolved: true).ConfigureAwait(false);
            }
            else if (verdict == Verdict.Building)
            {
                holding.Add(key); // not opened yet, and not cleared either: an open alert stays open
            }
        }

        // Alerts of targets that cleared, are gone or no longer match resolve.
        await ResolveAllAsync(rule.Id, cancellationToken, holding).ConfigureAwait(false);
        int stillThere;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            stillThere = await db.AlertRules.IgnoreQueryFilters().Where(r => r.Id == rule.Id && r.Enabled)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.EvaluatedAt, (DateTime?)now.UtcDateTime), cancellationToken).ConfigureAwait(false);
        }

        if (stillThere == 0)
        {
            // Deleted or disabled while this pass ran: what it may have opened resolves with the rest.
            await ResolveAllAsync(rule.Id, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The condition over the points: it holds when the points cover the window (the oldest starts
    /// within a step of its start) and every one is past the threshold; it clears when the newest is
    /// not, or when the newest is older than three steps (a minute at least): the target stopped reporting.
    /// </summary>
    private static (Verdict, double?) Judge(AlertRuleEntity rule, AlertMetric metric, IReadOnlyList<MetricPoint> points, int step, DateTimeOffset now)
    {
        var values = points.Select(p => (p.At, Value: metric.Read(p))).Where(p => p.Value is not null).Select(p => (p.At, Value: p.Value!.Value)).ToList();
        bool Past(double v) => rule.Comparison == ">" ? v > rule.Threshold : v < rule.Threshold;
        if (values.Count == 0 || values[^1].At.AddSeconds(step) < now.AddSeconds(-Math.Max(3 * step, 60)) || !Past(values[^1].Value))
        {
            return (Verdict.Clears, null);
        }

        var windowStart = now.AddSeconds(-rule.ForSeconds);
        var window = values.Where(p => p.At.AddSeconds(step) > windowStart).ToList();
        var covered = window[0].At <= windowStart.AddSeconds(step);
        return covered && window.All(p => Past(p.Value))
            ? (Verdict.Holds, values[^1].Value)
            : (Verdict.Building, null);
    }

    private static string Duration(int seconds) => seconds switch
    {
        _ when seconds % 3600 == 0 => $"{seconds / 3600} h",
        _ when seconds % 60 == 0 => $"{seconds / 60} min",
        _ => $"{seconds} s",
    };
}
