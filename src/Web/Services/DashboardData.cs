using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Services;

/// <summary>The dashboard's reads, against the inventory database and the server's live view.</summary>
public sealed class DashboardData(IDbContextFactory<RingmasterDbContext> dbFactory, LiveFeed feed, IAccessScope? scope = null, IOptions<PlacementOptions>? placement = null,
    MetricsHistory? history = null) : IDashboardData
{
    public double MemoryOvercommitRatio { get; } = PlacementOptions.RatioOf(placement);

    public async Task<IReadOnlyList<HostMemory>> GetHostMemoryAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await HostMemory.AllAsync(db, MemoryOvercommitRatio, cancellationToken);
    }

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private readonly CatalogService _catalog = new(dbFactory);

    public async Task<IReadOnlyList<HostView>> GetHostsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var hosts = await db.Hosts.AsNoTracking().OrderBy(h => h.Name).ToListAsync(cancellationToken);
        var counts = await db.Machines.Where(m => m.HostId != null).GroupBy(m => m.HostId)
            .Select(g => new { HostId = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.HostId!.Value, g => g.Count, cancellationToken);
        return [.. hosts.Select(h => h.ToView(counts.GetValueOrDefault(h.Id)))];
    }

    public async Task<IReadOnlyList<MachineSummary>> GetMachineSummariesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Machines.AsNoTracking()
            .Select(m => new { m.Id, m.State, m.Kind, m.HostId, m.Spec, m.UpdatedAt })
            .ToListAsync(cancellationToken);
        return [.. rows.Select(m => new MachineSummary(m.Id, m.State, m.Kind, m.HostId, m.Spec.Vcpus, m.Spec.MemoryMiB, m.Spec.DiskGiB, m.Spec.Networks.Count, Views.Utc(m.UpdatedAt)))];
    }

    public async Task<MachinePage> QueryMachinesAsync(MachineQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var filter = new MachineFilter(query.Name, query.State, query.Kind, query.HostId is { } host ? [host] : null, query.Label);
        var machines = filter.Apply(db, db.Machines.AsNoTracking());
        var total = await machines.CountAsync(cancellationToken);
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var skip = Math.Max(0, query.Page) * pageSize;
        List<MachineEntity> rows;
        if (query.Sort == MachineSort.Host)
        {
            // Only this sort needs the hosts' names in the query; the others page on the machines alone (and their indexes).
            var joined = from m in machines
                         join h in db.Hosts on m.HostId equals h.Id into hs
                         from h in hs.DefaultIfEmpty()
                         select new { Machine = m, Host = h == null ? null : h.Name };
            joined = query.Descending
                ? joined.OrderByDescending(r => r.Host).ThenBy(r => r.Machine.Name)
                : joined.OrderBy(r => r.Host).ThenBy(r => r.Machine.Name);
            rows = await joined.Skip(skip).Take(pageSize).Select(r => r.Machine).ToListAsync(cancellationToken);
        }
        else
        {
            machines = (query.Sort, query.Descending) switch
            {
                (MachineSort.State, false) => machines.OrderBy(m => m.State).ThenBy(m => m.Name),
                (MachineSort.State, true) => machines.OrderByDescending(m => m.State).ThenBy(m => m.Name),
                (MachineSort.Kind, false) => machines.OrderBy(m => m.Kind).ThenBy(m => m.Name),
                (MachineSort.Kind, true) => machines.OrderByDescending(m => m.Kind).ThenBy(m => m.Name),
                (MachineSort.Created, false) => machines.OrderBy(m => m.CreatedAt).ThenBy(m => m.Name),
                (MachineSort.Created, true) => machines.OrderByDescending(m => m.CreatedAt).ThenBy(m => m.Name),
                (_, true) => machines.OrderByDescending(m => m.Name),
                _ => machines.OrderBy(m => m.Name),
            };
            rows = await machines.Skip(skip).Take(pageSize).ToListAsync(cancellationToken);
        }

        var hosts = await Views.HostNamesAsync(db, rows, cancellationToken);
        return new MachinePage([.. rows.Select(m => m.ToView(m.HostId is { } id ? hosts.GetValueOrDefault(id) : null))], total);
    }

    public async Task<MachineView?> GetMachineAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await Views.MachineAsync(db, id, cancellationToken);
    }

    public async Task<OperationPage> QueryOperationsAsync(OperationQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var operations = db.Operations.AsNoTracking();
        if (query.MachineId is { } machineId)
        {
            operations = operations.Where(o => o.MachineId == machineId);
        }

        if (query.State is { } state)
        {
            var entityState = state;
            operations = operations.Where(o => o.State == entityState);
        }

        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var text = query.Search.Trim();
            var kinds = Enum.GetValues<OperationKind>().Where(k => k.Name().Contains(text, StringComparison.OrdinalIgnoreCase)).ToList();
            operations = operations.Where(o => kinds.Contains(o.Kind) || o.Target.Contains(text) || o.User.Contains(text)
                || (o.Error != null && o.Error.Contains(text)) || (o.Message != null && o.Message.Contains(text)));
        }

        var total = await operations.CountAsync(cancellationToken);
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var rows = await operations.OrderByDescending(o => o.CreatedAt)
            .Skip(Math.Max(0, query.Page) * pageSize).Take(pageSize)
            .Select(o => new OperationEntity
            {
                Id = o.Id,
                Kind = o.Kind,
                MachineId = o.MachineId,
                Target = o.Target,
                User = o.User,
                CreatedAt = o.CreatedAt,
                StartedAt = o.StartedAt,
                EndedAt = o.EndedAt,
                State = o.State,
                Progress = o.Progress,
                Message = o.Message,
                Error = o.Error,
            })
            .ToListAsync(cancellationToken);
        return new OperationPage([.. rows.Select(o => o.ToView())], total);
    }

    public async Task<OperationView?> GetOperationAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var operation = await db.Operations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, cancellationToken);
        return operation?.ToView(includeLog: true);
    }

    public Task<IReadOnlyList<TemplateView>> GetTemplatesAsync(CancellationToken cancellationToken = default) => _catalog.ListAsync(cancellationToken);

    public async Task<IReadOnlyList<string>> GetIsoImagesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Images.AsNoTracking().Where(i => i.Kind == ImageKind.Iso).OrderBy(i => i.Name).Select(i => i.Name).ToListAsync(cancellationToken);
    }

    public GuestMetrics? LatestMetrics(Guid machineId) => feed.LatestMetrics(machineId);

    public async Task<MetricHistory?> GetMetricsAsync(MetricOwner owner, Guid id, MetricTier range, CancellationToken cancellationToken = default)
    {
        var metrics = history ?? throw new InvalidOperationException("The metrics history is not registered.");
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            // Through the caller's scope, as the API: a machine of another project is not there.
            var exists = owner == MetricOwner.Machine
                ? await db.Machines.AnyAsync(m => m.Id == id, cancellationToken)
                : await db.Hosts.AnyAsync(h => h.Id == id, cancellationToken);
            if (!exists)
            {
                return null;
            }
        }

        return await metrics.QueryAsync(owner, id, range, cancellationToken);
    }

    public IAsyncEnumerable<LiveChange> WatchAsync(CancellationToken cancellationToken) =>
        scope is null ? feed.SubscribeAsync(cancellationToken) : WatchScopedAsync(scope, cancellationToken);

    /// <summary>The live feed as the signed-in user may see it: other projects' machines filtered out.</summary>
    private async IAsyncEnumerable<LiveChange> WatchScopedAsync(IAccessScope access, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Subscribed at once, so nothing is missed while the filter loads.
        using var changes = feed.Subscribe();
        var filter = await ProjectFeedFilter.ForAsync(access, dbFactory, cancellationToken);
        await foreach (var change in changes.ReadAllAsync(cancellationToken))
        {
            if ((filter is null ? change : filter.Apply(change)) is { } visible)
            {
                yield return visible;
            }
        }
    }
}
