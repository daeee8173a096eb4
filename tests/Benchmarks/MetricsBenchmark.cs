using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Benchmarks;

/// <summary>
/// The metrics history at scale: N machines (on hosts of 100) sampled every S seconds for D days,
/// fed through <see cref="MetricsHistory"/> (the code the agent hub calls) into a fresh SQLite
/// inventory with a clock that runs as fast as it can, flushed every simulated minute. Then the
/// database's size and rows, and the time of the 1-week (and 1-year) query of one machine, as the
/// API answers it.
/// </summary>
internal static class MetricsBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var machines = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var days = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        var every = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 60;
        var folder = Directory.CreateTempSubdirectory("ringmaster-bench-metrics-").FullName;
        var path = Path.Combine(folder, "ringmaster.db");
        Console.WriteLine($"{machines} machines, a sample every {every} s for {days} days; {Environment.ProcessorCount} cores; {path}");
        try
        {
            var options = new DbContextOptionsBuilder<RingmasterDbContext>().UseSqlite($"Data Source={path}").Options;
            var factory = new Factory(options);
            await using (var db = factory.CreateDbContext())
            {
                await db.Database.MigrateAsync();
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            }

            var end = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 * 60);
            var start = end - TimeSpan.FromDays(days);
            var clock = new Clock(start);
            var history = new MetricsHistory(factory, clock, NullLogger<MetricsHistory>.Instance);
            var hosts = Enumerable.Range(0, (machines + 99) / 100).Select(_ => Guid.NewGuid()).ToArray();
            var ids = Enumerable.Range(0, machines).Select(_ => Guid.NewGuid()).ToArray();
            var random = new Random(42);
            var counters = new long[machines];
            var fed = Stopwatch.StartNew();
            long samples = 0;
            var nextFlush = start + TimeSpan.FromMinutes(1);
            for (var at = start; at <= end; at += TimeSpan.FromSeconds(every))
            {
                clock.Now = at;
                for (var h = 0; h < hosts.Length; h++)
                {
                    var push = new List<GuestMetrics>(100);
                    for (var i = h * 100; i < Math.Min(machines, (h + 1) * 100); i++)
                    {
                        counters[i] += random.Next(0, 1 << 20);
                        push.Add(new GuestMetrics(ids[i], at, random.NextDouble() * 100, 256L << 20, 512L << 20, counters[i], counters[i] / 2, counters[i] / 4, counters[i] / 8, i % 2 == 0 ? 150 : null));
                    }

                    history.RecordGuests(hosts[h], push);
                    samples += push.Count;
                }

                if (at >= nextFlush)
                {
                    await history.FlushAsync();
                    nextFlush = at + TimeSpan.FromMinutes(1);
                }
            }

            await history.FlushAsync();
            fed.Stop();
            Console.WriteLine($"fed {samples:N0} samples in {fed.Elapsed.TotalSeconds:0.0} s ({samples / fed.Elapsed.TotalSeconds:N0} samples/s)");

            await using (var db = factory.CreateDbContext())
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);");
                var rows = await db.MetricSlots.LongCountAsync();
                Console.WriteLine($"rows: {rows:N0} slots in {await db.MetricSeries.CountAsync():N0} series ({(double)rows / (machines + hosts.Length):N0} per series; at most {MetricsHistory.Tiers.Sum(t => t.Slots):N0} each, whatever the time)");
            }

            SqliteConnection.ClearAllPools();
            var size = new FileInfo(path).Length + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0);
            Console.WriteLine($"size on disk: {size / 1048576.0:N1} MiB ({(double)size / machines / 1024:N1} KiB per machine)");

            foreach (var tier in new[] { MetricsHistory.Tiers[2], MetricsHistory.Tiers[3], MetricsHistory.Tiers[0] })
            {
                var times = new List<double>();
                var points = 0;
                for (var q = 0; q < 50; q++)
                {
                    var one = Stopwatch.StartNew();
                    points = (await history.QueryAsync(MetricOwner.Machine, ids[random.Next(machines)], tier)).Points.Count;
                    times.Add(one.Elapsed.TotalMilliseconds);
                }

                times.Sort();
                Console.WriteLine($"{tier.Range} query of one machine ({points} points): median {times[times.Count / 2]:0.00} ms, p95 {times[(int)(times.Count * 0.95)]:0.00} ms, first {times.Max():0.00} ms (50 queries, random machines)");
            }

            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed class Factory(DbContextOptions<RingmasterDbContext> options) : IDbContextFactory<RingmasterDbContext>
    {
        public RingmasterDbContext CreateDbContext() => new(options);
    }

    private sealed class Clock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
