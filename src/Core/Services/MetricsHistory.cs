using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>One resolution of the history: <see cref="Slots"/> points <see cref="StepSeconds"/> apart, served as <see cref="Range"/>.</summary>
public sealed record MetricTier(int Index, string Range, int StepSeconds, int Slots)
{
    public long SpanSeconds => (long)StepSeconds * Slots;
}

/// <summary>
/// The history of machines' and hosts' figures, kept in the inventory as round-robin series: for
/// each machine and host, 360 points of 10 s (an hour), 1,440 of 1 min (a day), 1,008 of 10 min
/// (a week) and 8,760 of 1 h (a year), each point a slot that the same point of the next cycle
/// overwrites. A series never holds more than 11,568 rows, however long it runs; series of machines
/// and hosts that are gone are deleted.
/// <para>
/// Samples are summed in memory per bucket and written in one transaction per flush
/// (<see cref="FlushAsync"/>, every few seconds and before every read), so a thousand machines
/// pushing every two seconds cost a few thousand upserts per flush, not a write per sample.
/// </para>
/// </summary>
public sealed class MetricsHistory(IDbContextFactory<RingmasterDbContext> dbFactory, TimeProvider clock, ILogger<MetricsHistory> logger)
{
    public static readonly IReadOnlyList<MetricTier> Tiers =
    [
        new(0, "1h", 10, 360),
        new(1, "1d", 60, 1440),
        new(2, "1w", 600, 1008),
        new(3, "1y", 3600, 8760),
    ];

    /// <summary>The ranges the API takes, for messages.</summary>
    public static string RangeNames => string.Join(", ", Tiers.Select(t => t.Range));

    public static MetricTier? TierOf(string? range) =>
        Tiers.FirstOrDefault(t => string.Equals(t.Range, range?.Trim(), StringComparison.OrdinalIgnoreCase));

    private readonly Lock _lock = new();
    private Dictionary<BucketKey, Sums> _pending = [];
    private readonly Dictionary<Guid, GuestMetrics> _lastCounters = [];
    private readonly ConcurrentDictionary<(MetricOwner, Guid), long> _seriesIds = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);

    private readonly record struct BucketKey(MetricOwner Owner, Guid Id, int Tier, long Start);

    /// <summary>What a bucket has summed so far (the columns of <see cref="MetricSlotEntity"/>).</summary>
    private sealed class Sums
    {
        public int Count;
        public long Cpu;
        public long MemoryUsed;
        public long MemoryTotal;
        public int IoCount;
        public long DiskRead;
        public long DiskWrite;
        public long NetRx;
        public long NetTx;
        public int MipsCount;
        public long Mips;

        public void Add(Sums s)
        {
            Count += s.Count;
            Cpu += s.Cpu;
            MemoryUsed += s.MemoryUsed;
            MemoryTotal += s.MemoryTotal;
            IoCount += s.IoCount;
            DiskRead += s.DiskRead;
            DiskWrite += s.DiskWrite;
            NetRx += s.NetRx;
            NetTx += s.NetTx;
            MipsCount += s.MipsCount;
            Mips += s.Mips;
        }
    }

    /// <summary>
    /// An agent's push of its guests' figures: each machine's CPU, memory and MIPS, its disk and
    /// network rates from the counters' change since its last sample, and the host's I/O as the sum
    /// of its guests' rates. A push is one round of the agent's guests; one that lists a guest again
    /// (a backlog sent at once) starts a new round, so each round is one sample of the host.
    /// </summary>
    public void RecordGuests(Guid hostId, IReadOnlyList<GuestMetrics> metrics)
    {
        var now = clock.GetUtcNow();
        var host = new Sums();
        var hostAt = DateTimeOffset.MinValue;
        var round = new HashSet<Guid>();
        lock (_lock)
        {
            foreach (var m in metrics)
            {
                if (!round.Add(m.Id))
                {
                    EndRound();
                    round.Add(m.Id);
                }

                var at = m.At > now ? now : m.At;
                var sample = new Sums
                {
                    Count = 1,
                    Cpu = Scaled(m.CpuPercent, 100),
                    MemoryUsed = Math.Max(0, m.MemoryUsedBytes),
                    MemoryTotal = Math.Max(0, m.MemoryLimitBytes),
                };
                if (_lastCounters.TryGetValue(m.Id, out var before) && m.At > before.At)
                {
                    var seconds = (m.At - before.At).TotalSeconds;
                    sample.IoCount = 1;
                    sample.DiskRead = Rate(m.DiskReadBytes - before.DiskReadBytes, seconds);
                    sample.DiskWrite = Rate(m.DiskWriteBytes - before.DiskWriteBytes, seconds);
                    sample.NetRx = Rate(m.NetRxBytes - before.NetRxBytes, seconds);
                    sample.NetTx = Rate(m.NetTxBytes - before.NetTxBytes, seconds);
                    host.DiskRead += sample.DiskRead;
                    host.DiskWrite += sample.DiskWrite;
                    host.NetRx += sample.NetRx;
                    host.NetTx += sample.NetTx;
                    host.IoCount = 1;
                    hostAt = at > hostAt ? at : hostAt;
                }

                if (before is null || m.At > before.At)
                {
                    _lastCounters[m.Id] = m;
                }

                if (m.Mips is { } mips && double.IsFinite(mips))
                {
                    sample.MipsCount = 1;
                    sample.Mips = Scaled(mips, 1000);
                }

                Add(MetricOwner.Machine, m.Id, at, sample, now);
            }

            EndRound();
        }

        void EndRound()
        {
            if (host.IoCount > 0)
            {
                Add(MetricOwner.Host, hostId, hostAt, host, now);
            }

            host = new Sums();
            hostAt = DateTimeOffset.MinValue;
            round.Clear();
        }
    }

    /// <summary>A host's heartbeat: its CPU and memory.</summary>
    public void RecordHost(Guid hostId, DateTimeOffset at, double cpuPercent, long memoryUsedBytes, long memoryTotalBytes)
    {
        var now = clock.GetUtcNow();
        var sample = new Sums { Count = 1, Cpu = Scaled(cpuPercent, 100), MemoryUsed = Math.Max(0, memoryUsedBytes), MemoryTotal = Math.Max(0, memoryTotalBytes) };
        lock (_lock)
        {
            Add(MetricOwner.Host, hostId, at > now ? now : at, sample, now);
        }
    }

    private void Add(MetricOwner owner, Guid id, DateTimeOffset at, Sums sample, DateTimeOffset now)
    {
        var seconds = at.ToUnixTimeSeconds();
        var nowSeconds = now.ToUnixTimeSeconds();
        foreach (var tier in Tiers)
        {
            var start = seconds - Mod(seconds, tier.StepSeconds);
            if (start <= nowSeconds - tier.SpanSeconds)
            {
                continue; // older than the range shows: its slot belongs to a newer bucket already
            }

            var key = new BucketKey(owner, id, tier.Index, start);
            if (!_pending.TryGetValue(key, out var sums))
            {
                _pending[key] = sums = new Sums();
            }

            sums.Add(sample);
        }
    }

    /// <summary>Writes what was summed since the last flush: a slot of a new bucket is overwritten, one of the same bucket added to.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Dictionary<BucketKey, Sums> batch;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    return;
                }

                batch = _pending;
                _pending = [];
            }

            // Once taken from memory the batch is written whatever the caller's cancellation: it is the only copy.
            await WriteAsync(batch).ConfigureAwait(false);
        }
        finally
        {
            _flushing.Release();
        }
    }

    private static readonly string[] s_summed = ["Count", "Cpu", "MemoryUsed", "MemoryTotal", "IoCount", "DiskRead", "DiskWrite", "NetRx", "NetTx", "MipsCount", "Mips"];

    /// <summary>
    /// Inserts a slot, or updates it: sums added when it holds the same bucket, replaced when it
    /// holds an older one, left alone when it already holds a newer one. Plain SQL upsert that
    /// SQLite and PostgreSQL both read.
    /// </summary>
    private static readonly string s_upsert =
        $"""
        INSERT INTO "MetricSlots" ("Key", "Start", {string.Join(", ", s_summed.Select(c => $"\"{c}\""))})
        VALUES (@Key, @Start, {string.Join(", ", s_summed.Select(c => "@" + c))})
        ON CONFLICT ("Key") DO UPDATE SET
        {string.Join(",\n", s_summed.Select(c => $"\"{c}\" = CASE WHEN \"MetricSlots\".\"Start\" = excluded.\"Start\" THEN \"MetricSlots\".\"{c}\" + excluded.\"{c}\" ELSE excluded.\"{c}\" END"))},
        "Start" = excluded."Start"
        WHERE excluded."Start" >= "MetricSlots"."Start"
        """;

    private async Task WriteAsync(Dictionary<BucketKey, Sums> batch)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
            await db.Database.OpenConnectionAsync().ConfigureAwait(false);
            await using var transaction = await db.Database.BeginTransactionAsync().ConfigureAwait(false);
            var ids = await SeriesIdsAsync(db, batch.Keys.Select(k => (k.Owner, k.Id)).ToHashSet()).ConfigureAwait(false);

            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.Transaction = transaction.GetDbTransaction();
            command.CommandText = s_upsert;
            var key = Parameter(command, "Key");
            var start = Parameter(command, "Start");
            var columns = s_summed.Select(c => Parameter(command, c)).ToArray();
            await command.PrepareAsync().ConfigureAwait(false);
            foreach (var (bucket, sums) in batch)
            {
                var tier = Tiers[bucket.Tier];
                key.Value = MetricSlotEntity.KeyOf(ids[(bucket.Owner, bucket.Id)], tier.Index, (int)Mod(bucket.Start / tier.StepSeconds, tier.Slots));
                start.Value = bucket.Start;
                long[] values = [sums.Count, sums.Cpu, sums.MemoryUsed, sums.MemoryTotal, sums.IoCount, sums.DiskRead, sums.DiskWrite, sums.NetRx, sums.NetTx, sums.MipsCount, sums.Mips];
                for (var i = 0; i < values.Length; i++)
                {
                    columns[i].Value = values[i];
                }

                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await transaction.CommitAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _seriesIds.Clear();
            logger.LogWarning(ex, "Writing {Count} points of metrics history failed; they are lost", batch.Count);
        }
    }

    private static DbParameter Parameter(DbCommand command, string name)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = 0L;
        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>The series of each owner, made for those that have none yet.</summary>
    private async Task<Dictionary<(MetricOwner, Guid), long>> SeriesIdsAsync(RingmasterDbContext db, HashSet<(MetricOwner Owner, Guid Id)> owners)
    {
        var ids = new Dictionary<(MetricOwner, Guid), long>();
        var missing = new List<(MetricOwner Owner, Guid Id)>();
        foreach (var owner in owners)
        {
            if (_seriesIds.TryGetValue(owner, out var id))
            {
                ids[owner] = id;
            }
            else
            {
                missing.Add(owner);
            }
        }

        foreach (var group in missing.GroupBy(o => o.Owner))
        {
            var wanted = group.Select(o => o.Id).ToList();
            var found = await db.MetricSeries.Where(s => s.Owner == group.Key && wanted.Contains(s.OwnerId)).ToListAsync().ConfigureAwait(false);
            var added = wanted.Except(found.Select(s => s.OwnerId)).Select(id => new MetricSeriesEntity { Owner = group.Key, OwnerId = id }).ToList();
            db.MetricSeries.AddRange(added);
            await db.SaveChangesAsync().ConfigureAwait(false);
            foreach (var series in found.Concat(added))
            {
                ids[(series.Owner, series.OwnerId)] = series.Id;
                _seriesIds[(series.Owner, series.OwnerId)] = series.Id;
            }
        }

        return ids;
    }

    /// <summary>The points of one owner's history over a range, the newest samples included.</summary>
    public async Task<MetricHistory> QueryAsync(MetricOwner owner, Guid id, MetricTier tier, CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var after = now - tier.SpanSeconds;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var seriesId = await db.MetricSeries.Where(s => s.Owner == owner && s.OwnerId == id).Select(s => (long?)s.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        List<MetricSlotEntity> rows = [];
        if (seriesId is { } series)
        {
            var first = MetricSlotEntity.FirstKey(series, tier.Index);
            var end = MetricSlotEntity.FirstKey(series, tier.Index + 1);
            rows = await db.MetricSlots.AsNoTracking()
                .Where(s => s.Key >= first && s.Key < end && s.Start > after)
                .OrderBy(s => s.Start)
                .ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        return new MetricHistory(id, tier.Range, tier.StepSeconds, DateTimeOffset.FromUnixTimeSeconds(after), DateTimeOffset.FromUnixTimeSeconds(now),
            [.. rows.Select(ToPoint)]);
    }

    private static MetricPoint ToPoint(MetricSlotEntity s) => new(
        DateTimeOffset.FromUnixTimeSeconds(s.Start),
        s.Count > 0 ? Math.Round(s.Cpu / 100.0 / s.Count, 2) : null,
        s.Count > 0 ? s.MemoryUsed / s.Count : null,
        s.Count > 0 ? s.MemoryTotal / s.Count : null,
        s.IoCount > 0 ? Math.Round((double)s.DiskRead / s.IoCount, 1) : null,
        s.IoCount > 0 ? Math.Round((double)s.DiskWrite / s.IoCount, 1) : null,
        s.IoCount > 0 ? Math.Round((double)s.NetRx / s.IoCount, 1) : null,
        s.IoCount > 0 ? Math.Round((double)s.NetTx / s.IoCount, 1) : null,
        s.MipsCount > 0 ? Math.Round(s.Mips / 1000.0 / s.MipsCount, 3) : null);

    /// <summary>Deletes the history of a machine or host that is gone.</summary>
    public async Task ForgetAsync(MetricOwner owner, Guid id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (owner == MetricOwner.Machine)
            {
                _lastCounters.Remove(id);
            }

            foreach (var key in _pending.Keys.Where(k => k.Owner == owner && k.Id == id).ToList())
            {
                _pending.Remove(key);
            }
        }

        await _flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _seriesIds.TryRemove((owner, id), out _);
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            foreach (var series in await db.MetricSeries.Where(s => s.Owner == owner && s.OwnerId == id).Select(s => s.Id).ToListAsync(cancellationToken).ConfigureAwait(false))
            {
                await DeleteSeriesAsync(db, series, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Deletes the series of machines and hosts the inventory no longer has (deleted while the server was down, say).</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        await _flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            var orphans = await db.MetricSeries
                .Where(s => (s.Owner == MetricOwner.Machine && !db.Machines.IgnoreQueryFilters().Any(m => m.Id == s.OwnerId))
                    || (s.Owner == MetricOwner.Host && !db.Hosts.Any(h => h.Id == s.OwnerId)))
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            foreach (var series in orphans)
            {
                _seriesIds.TryRemove((series.Owner, series.OwnerId), out _);
                await DeleteSeriesAsync(db, series.Id, cancellationToken).ConfigureAwait(false);
            }

            return orphans.Count;
        }
        finally
        {
            _flushing.Release();
        }
    }

    private static async Task DeleteSeriesAsync(RingmasterDbContext db, long series, CancellationToken cancellationToken)
    {
        var first = MetricSlotEntity.FirstKey(series, 0);
        var end = MetricSlotEntity.FirstKey(series + 1, 0);
        await db.MetricSlots.Where(s => s.Key >= first && s.Key < end).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        await db.MetricSeries.Where(s => s.Id == series).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static long Mod(long value, long step) => ((value % step) + step) % step;

    private static long Scaled(double value, double scale) =>
        double.IsFinite(value) ? (long)Math.Round(Math.Clamp(value, 0, 1e12) * scale) : 0;

    private static long Rate(long bytes, double seconds) => seconds > 0 ? (long)Math.Round(Math.Max(0, bytes) / seconds) : 0;
}
