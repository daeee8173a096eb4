using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ringmaster.Core.Services.Scaling;

/// <summary>
/// The recent past of the figures scaling decides on: members' CPU and memory (from the agents'
/// pushes) and custom metrics reported through the API, kept in memory for an hour and stamped with
/// the scaling clock so rules, scripts and tests all read the same time.
/// </summary>
/// <remarks>
/// Fed by this process's live feed: with several web nodes and a Redis backplane that holds every
/// agent's pushes; without one, only those of the agents connected to this node. Custom metrics
/// count on the node they were reported through.
/// </remarks>
public sealed class ScalingMetrics(LiveFeed feed, [FromKeyedServices(ScalingMetrics.ClockKey)] TimeProvider clock) : BackgroundService
{
    public const string ClockKey = "scaling";
    public static readonly TimeSpan Retention = TimeSpan.FromHours(1);
    private const int MaxSamplesPerSeries = 4096;

    private readonly ConcurrentDictionary<(Guid Machine, string Metric), Series> _machines = new();
    private readonly ConcurrentDictionary<(Guid Group, string Metric), Series> _custom = new();

    public TimeProvider Clock => clock;

    /// <summary>Metrics every group has; anything else is a custom metric.</summary>
    public static readonly IReadOnlySet<string> BuiltIn = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "cpu", "memory" };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var change in feed.SubscribeAsync(stoppingToken).ConfigureAwait(false))
            {
                if (change is MetricsChanged metrics)
                {
                    var now = clock.GetUtcNow();
                    foreach (var m in metrics.Metrics)
                    {
                        Add(_machines, (m.Id, "cpu"), now, m.CpuPercent, null);
                        if (m.MemoryLimitBytes > 0)
                        {
                            Add(_machines, (m.Id, "memory"), now, 100.0 * m.MemoryUsedBytes / m.MemoryLimitBytes, null);
                        }
                    }
                }
                else if (change is MachineRemoved removed)
                {
                    _machines.TryRemove((removed.MachineId, "cpu"), out _);
                    _machines.TryRemove((removed.MachineId, "memory"), out _);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Records a custom metric for a group, or for one of its members.</summary>
    public void Report(Guid groupId, string name, double value, Guid? member)
    {
        var now = clock.GetUtcNow();
        Add(_custom, (groupId, name.ToLowerInvariant()), now, value, member);
    }

    /// <summary>Records a built-in figure for a machine (what the agents' pushes do).</summary>
    public void Record(Guid machineId, string metric, double value) => Add(_machines, (machineId, metric.ToLowerInvariant()), clock.GetUtcNow(), value, null);

    /// <summary>
    /// The group's value of a metric over the last <paramref name="window"/>: for cpu and memory the
    /// average over members of each member's average; for a custom metric the average of what was
    /// reported. Null when nothing was seen in the window.
    /// </summary>
    public double? GroupAverage(Guid groupId, IEnumerable<Guid> members, string metric, TimeSpan window)
    {
        var since = clock.GetUtcNow() - window;
        if (BuiltIn.Contains(metric))
        {
            var averages = members.Select(m => _machines.TryGetValue((m, metric.ToLowerInvariant()), out var s) ? s.Average(since, null) : null)
                .Where(v => v is not null).Select(v => v!.Value).ToList();
            return averages.Count == 0 ? null : averages.Average();
        }

        return _custom.TryGetValue((groupId, metric.ToLowerInvariant()), out var series) ? series.Average(since, null) : null;
    }

    /// <summary>One member's value of a metric over the last <paramref name="window"/>.</summary>
    public double? MemberAverage(Guid groupId, Guid member, string metric, TimeSpan window)
    {
        var since = clock.GetUtcNow() - window;
        if (BuiltIn.Contains(metric))
        {
            return _machines.TryGetValue((member, metric.ToLowerInvariant()), out var s) ? s.Average(since, null) : null;
        }

        return _custom.TryGetValue((groupId, metric.ToLowerInvariant()), out var series) ? series.Average(since, member) : null;
    }

    /// <summary>The newest value of a metric for one machine.</summary>
    public double? Latest(Guid machineId, string metric) =>
        _machines.TryGetValue((machineId, metric.ToLowerInvariant()), out var s) ? s.Latest() : null;

    public void ForgetGroup(Guid groupId)
    {
        foreach (var key in _custom.Keys.Where(k => k.Group == groupId))
        {
            _custom.TryRemove(key, out _);
        }
    }

    private static void Add<TKey>(ConcurrentDictionary<TKey, Series> map, TKey key, DateTimeOffset at, double value, Guid? member)
        where TKey : notnull =>
        map.GetOrAdd(key, _ => new Series()).Add(at, value, member);

    private sealed class Series
    {
        private readonly Queue<(DateTimeOffset At, double Value, Guid? Member)> _samples = new();

        public void Add(DateTimeOffset at, double value, Guid? member)
        {
            lock (_samples)
            {
                _samples.Enqueue((at, value, member));
                while (_samples.Count > MaxSamplesPerSeries || (_samples.Count > 0 && _samples.Peek().At < at - Retention))
                {
                    _samples.Dequeue();
                }
            }
        }

        public double? Average(DateTimeOffset since, Guid? member)
        {
            lock (_samples)
            {
                double sum = 0;
                var count = 0;
                foreach (var (at, value, m) in _samples)
                {
                    if (at >= since && (member is null || m == member))
                    {
                        sum += value;
                        count++;
                    }
                }

                return count == 0 ? null : sum / count;
            }
        }

        public double? Latest()
        {
            lock (_samples)
            {
                return _samples.Count == 0 ? null : _samples.Last().Value;
            }
        }
    }
}
