using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Prometheus;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Observability;

/// <summary>
/// The figures <c>GET /metrics</c> serves, in a registry of this app's own: the inventory's counts
/// and the machines' newest figures read at each scrape, the <see cref="RingmasterMeter"/>
/// instruments (operations, agent commands, migration downtime) as histograms, and the process'
/// runtime (prometheus-net's process and .NET collectors, and the runtime's own meters).
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly IDbContextFactory<RingmasterDbContext> _dbFactory;
    private readonly LiveFeed _feed;
    private readonly MeterListener _listener = new();
    private readonly IDisposable _runtimeMeters;
    private readonly Dictionary<string, Histogram> _histograms;
    private readonly Gauge _machines;
    private readonly Gauge _hosts;
    private readonly Gauge _hostsOnline;
    private readonly (Gauge Gauge, Func<GuestMetrics, double?> Value)[] _perMachine;
    private HashSet<(string Machine, string Project)> _exported = [];

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public PrometheusExporter(IDbContextFactory<RingmasterDbContext> dbFactory, LiveFeed feed)
    {
        _dbFactory = dbFactory;
        _feed = feed;
        var factory = Metrics.WithCustomRegistry(Registry);
        DotNetStats.Register(Registry);
        _runtimeMeters = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            InstrumentFilterPredicate = instrument => instrument.Meter.Name == "System.Runtime",
        });

        _machines = factory.CreateGauge("ringmaster_machines", "Machines by state and kind", "state", "kind");
        _hosts = factory.CreateGauge("ringmaster_hosts", "Hosts known to the inventory");
        _hostsOnline = factory.CreateGauge("ringmaster_hosts_online", "Hosts whose agent is connected and sends heartbeats");
        var labels = new[] { "machine", "project" };
        _perMachine =
        [
            (factory.CreateGauge("ringmaster_machine_cpu_percent", "A running machine's CPU use (100 = one host core)", labels), m => m.CpuPercent),
            (factory.CreateGauge("ringmaster_machine_memory_used_bytes", "A running machine's memory in use", labels), m => m.MemoryUsedBytes),
            (factory.CreateGauge("ringmaster_machine_memory_limit_bytes", "A running machine's memory limit", labels), m => m.MemoryLimitBytes),
            (factory.CreateGauge("ringmaster_machine_disk_read_bytes", "Bytes a running machine read from its disks since it started", labels), m => m.DiskReadBytes),
            (factory.CreateGauge("ringmaster_machine_disk_write_bytes", "Bytes a running machine wrote to its disks since it started", labels), m => m.DiskWriteBytes),
            (factory.CreateGauge("ringmaster_machine_network_receive_bytes", "Bytes a running machine received since it started", labels), m => m.NetRxBytes),
            (factory.CreateGauge("ringmaster_machine_network_transmit_bytes", "Bytes a running machine sent since it started", labels), m => m.NetTxBytes),
            (factory.CreateGauge("ringmaster_machine_mips", "An emulator VM's millions of guest instructions per second", labels), m => m.Mips),
        ];

        _histograms = new Dictionary<string, Histogram>
        {
            [RingmasterMeter.OperationDuration.Name] = Histogram(factory, RingmasterMeter.OperationDuration, Prometheus.Histogram.ExponentialBuckets(0.05, 2, 16)),
            [RingmasterMeter.AgentCommandDuration.Name] = Histogram(factory, RingmasterMeter.AgentCommandDuration, Prometheus.Histogram.ExponentialBuckets(0.005, 2, 16)),
            [RingmasterMeter.MigrationDowntime.Name] = Histogram(factory, RingmasterMeter.MigrationDowntime, Prometheus.Histogram.ExponentialBuckets(0.001, 2, 14)),
        };

        // Both modes from the first scrape, so a dashboard's query has a series before the first move.
        _histograms[RingmasterMeter.MigrationDowntime.Name].WithLabels("live");
        _histograms[RingmasterMeter.MigrationDowntime.Name].WithLabels("cold");

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RingmasterMeter.Name && _histograms.ContainsKey(instrument.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.Start();

        Registry.AddBeforeCollectCallback(UpdateAsync);
    }

    private static Histogram Histogram(MetricFactory factory, Instrument instrument, double[] buckets) =>
        factory.CreateHistogram(instrument.Name, instrument.Description ?? instrument.Name, RingmasterMeter.Tags[instrument.Name],
            new HistogramConfiguration { Buckets = buckets });

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (!_histograms.TryGetValue(instrument.Name, out var histogram))
        {
            return;
        }

        var names = RingmasterMeter.Tags[instrument.Name];
        var values = new string[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            values[i] = "";
            foreach (var tag in tags)
            {
                if (tag.Key == names[i])
                {
                    values[i] = tag.Value?.ToString() ?? "";
                }
            }
        }

        histogram.WithLabels(values).Observe(value);
    }

    /// <summary>Before each scrape: the inventory's counts, and each running machine's newest figures.</summary>
    private async Task UpdateAsync(CancellationToken cancellationToken)
    {
        WorkScope.Enter(new SystemScope("metrics scrape"));
        await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
        var counts = await db.Machines.IgnoreQueryFilters().GroupBy(m => new { m.State, m.Kind })
            .Select(g => new { g.Key.State, g.Key.Kind, Count = g.Count() }).ToListAsync(cancellationToken);
        foreach (var state in Enum.GetValues<MachineState>())
        {
            foreach (var kind in Enum.GetValues<MachineKind>())
            {
                _machines.WithLabels(state.ToString(), kind.ToString()).Set(counts.FirstOrDefault(c => c.State == state && c.Kind == kind)?.Count ?? 0);
            }
        }

        var hosts = await db.Hosts.GroupBy(h => h.Online).Select(g => new { Online = g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        _hosts.Set(hosts.Sum(h => h.Count));
        _hostsOnline.Set(hosts.Where(h => h.Online).Sum(h => h.Count));

        var latest = _feed.AllLatestMetrics;
        var ids = latest.Select(m => m.Id).ToList();
        var names = await db.Machines.IgnoreQueryFilters().Where(m => ids.Contains(m.Id))
            .Select(m => new { m.Id, m.Name, m.Project }).ToDictionaryAsync(m => m.Id, cancellationToken);
        var exported = new HashSet<(string, string)>();
        foreach (var m in latest)
        {
            if (!names.TryGetValue(m.Id, out var machine))
            {
                continue;
            }

            exported.Add((machine.Name, machine.Project));
            foreach (var (gauge, value) in _perMachine)
            {
                if (value(m) is { } v)
                {
                    gauge.WithLabels(machine.Name, machine.Project).Set(v);
                }
            }
        }

        foreach (var (name, project) in _exported.Except(exported))
        {
            foreach (var (gauge, _) in _perMachine)
            {
                gauge.RemoveLabelled(name, project);
            }
        }

        _exported = exported;
    }

    public void Dispose()
    {
        _listener.Dispose();
        _runtimeMeters.Dispose();
    }
}
