using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>
/// The dashboard's data in memory: snapshots from lists the test fills, changes pushed through a
/// channel per subscriber (as the server's live view does).
/// </summary>
public sealed class FakeDashboardData : IDashboardData
{
    private readonly ConcurrentDictionary<Channel<LiveChange>, byte> _subscribers = new();

    public List<HostView> Hosts { get; } = [];
    public List<MachineView> Machines { get; } = [];
    public List<OperationView> Operations { get; } = [];
    public List<TemplateView> Templates { get; } = [];

    /// <summary>The imported ISO images the launch form offers.</summary>
    public List<string> IsoImages { get; } = [];
    public Dictionary<Guid, GuestMetrics> Metrics { get; } = [];
    public List<MachineQuery> MachineQueries { get; } = [];

    /// <summary>How many pages are subscribed right now.</summary>
    public int Subscribers => _subscribers.Count;

    /// <summary>Pushes a change to every subscriber and applies it to the snapshot lists.</summary>
    public void Publish(LiveChange change)
    {
        lock (Machines)
        {
            switch (change)
            {
                case MachineChanged m:
                    Machines.RemoveAll(x => x.Id == m.Machine.Id);
                    Machines.Add(m.Machine);
                    break;
                case MachineRemoved r:
                    Machines.RemoveAll(x => x.Id == r.MachineId);
                    break;
                case OperationChanged o:
                    var at = Operations.FindIndex(x => x.Id == o.Operation.Id);
                    if (at >= 0)
                    {
                        Operations[at] = o.Operation with { Log = Operations[at].Log };
                    }
                    else
                    {
                        Operations.Insert(0, o.Operation);
                    }

                    break;
                case HostChanged h:
                    Hosts.RemoveAll(x => x.Id == h.Host.Id);
                    Hosts.Add(h.Host);
                    break;
            }
        }

        foreach (var channel in _subscribers.Keys)
        {
            channel.Writer.TryWrite(change);
        }
    }

    public Task<IReadOnlyList<HostView>> GetHostsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<HostView>>([.. Hosts.OrderBy(h => h.Name)]);

    public Task<IReadOnlyList<MachineSummary>> GetMachineSummariesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<MachineSummary>>([.. Machines.Select(MachineSummary.Of)]);

    /// <summary>When set, machine queries read their rows at once but answer only when it completes (a slow database).</summary>
    public TaskCompletionSource? QueryGate { get; set; }

    public async Task<MachinePage> QueryMachinesAsync(MachineQuery query, CancellationToken cancellationToken = default)
    {
        var page = ReadMachines(query);
        if (QueryGate is { } gate)
        {
            await gate.Task;
        }

        return page;
    }

    private MachinePage ReadMachines(MachineQuery query)
    {
        lock (Machines)
        {
            MachineQueries.Add(query);
            var rows = Machines.AsEnumerable();
            if (!string.IsNullOrWhiteSpace(query.Name))
            {
                rows = rows.Where(m => m.Name.Contains(query.Name, StringComparison.Ordinal));
            }

            if (query.State is { } state)
            {
                rows = rows.Where(m => m.State == state);
            }

            if (query.Kind is { } kind)
            {
                rows = rows.Where(m => m.Kind == kind);
            }

            if (query.HostId is { } host)
            {
                rows = rows.Where(m => m.HostId == host);
            }

            var list = rows.OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
            return new MachinePage([.. list.Skip(query.Page * query.PageSize).Take(query.PageSize).Select(ReadAgain)], list.Count);
        }
    }

    /// <summary>A machine as a query reads it: like the database, each read makes a new record with new lists inside.</summary>
    private static MachineView ReadAgain(MachineView m) => m with
    {
        Spec = m.Spec with { Disks = [.. m.Spec.Disks], Networks = [.. m.Spec.Networks] },
        Labels = new Dictionary<string, string>(m.Labels),
    };

    public Task<MachineView?> GetMachineAsync(Guid id, CancellationToken cancellationToken = default) =>
        Task.FromResult(Machines.FirstOrDefault(m => m.Id == id));

    public Task<OperationPage> QueryOperationsAsync(OperationQuery query, CancellationToken cancellationToken = default)
    {
        var rows = Operations.Where(o => query.MachineId is null || o.MachineId == query.MachineId)
            .Where(o => query.State is null || o.State == query.State)
            .Where(o => string.IsNullOrWhiteSpace(query.Search) || o.Target.Contains(query.Search, StringComparison.Ordinal) || o.Kind.Name().Contains(query.Search, StringComparison.Ordinal))
            .ToList();
        return Task.FromResult(new OperationPage([.. rows.Skip(query.Page * query.PageSize).Take(query.PageSize).Select(o => o with { Log = null })], rows.Count));
    }

    public Task<OperationView?> GetOperationAsync(Guid id, CancellationToken cancellationToken = default) =>
        Task.FromResult(Operations.FirstOrDefault(o => o.Id == id));

    public Task<IReadOnlyList<TemplateView>> GetTemplatesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<TemplateView>>(Templates);

    public Task<IReadOnlyList<string>> GetIsoImagesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. IsoImages]);

    public double MemoryOvercommitRatio { get; set; } = 1.5;

    /// <summary>Each host's memory, with what the test's machines on it are given.</summary>
    public Task<IReadOnlyList<HostMemory>> GetHostMemoryAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<HostMemory>>([.. Hosts.Select(h => new HostMemory(h.Id, h.Name, (h.Capabilities?.MemoryBytes ?? 0) / (1024 * 1024),
            Machines.Where(m => m.HostId == h.Id).Sum(m => (long)m.Spec.MemoryMiB), MemoryOvercommitRatio))]);

    public GuestMetrics? LatestMetrics(Guid machineId) => Metrics.GetValueOrDefault(machineId);

    /// <summary>The points of each machine's or host's history, as the store keeps them; a range reads those of its span before <see cref="Now"/>.</summary>
    public Dictionary<Guid, List<MetricPoint>> History { get; } = [];

    /// <summary>The history's "now".</summary>
    public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>The ranges the pages asked for, in order.</summary>
    public List<string> HistoryQueries { get; } = [];

    /// <summary>When set, history reads answer only when it completes (a slow database).</summary>
    public TaskCompletionSource? HistoryGate { get; set; }

    public async Task<MetricHistory?> GetMetricsAsync(MetricOwner owner, Guid id, MetricTier range, CancellationToken cancellationToken = default)
    {
        lock (HistoryQueries)
        {
            HistoryQueries.Add(range.Range);
        }

        if (HistoryGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        var known = owner == MetricOwner.Machine ? Machines.Any(m => m.Id == id) : Hosts.Any(h => h.Id == id);
        if (!known)
        {
            return null;
        }

        var from = Now - TimeSpan.FromSeconds(range.SpanSeconds);
        var points = History.GetValueOrDefault(id) ?? [];
        return new MetricHistory(id, range.Range, range.StepSeconds, from, Now, [.. points.Where(p => p.At > from && p.At <= Now).OrderBy(p => p.At)]);
    }

    public async IAsyncEnumerable<LiveChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<LiveChange>();
        _subscribers[channel] = 0;
        try
        {
            await foreach (var change in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return change;
            }
        }
        finally
        {
            _subscribers.TryRemove(channel, out _);
        }
    }
}
