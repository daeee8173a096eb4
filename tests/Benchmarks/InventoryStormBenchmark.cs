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
/// A storm of changes on one host: N machines of one host in a fresh SQLite inventory, then, through
/// <see cref="InventoryService"/> (the code the agent hub and the offline sweep call), the host going
/// offline (its machines turn Unknown), its agent registering again with all of them, going offline
/// again, registering with none of them (they turn Lost) and once more with none (nothing changes).
/// Each step prints its time and how long a heartbeat of another host, sent just after the step
/// began, waited for the database.
/// </summary>
internal static class InventoryStormBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var folder = Directory.CreateTempSubdirectory("ringmaster-bench-inventory-").FullName;
        var path = Path.Combine(folder, "ringmaster.db");
        Console.WriteLine($"{count} machines on one host; {Environment.ProcessorCount} cores; {path}");
        try
        {
            var options = new DbContextOptionsBuilder<RingmasterDbContext>().UseSqlite($"Data Source={path}").Options;
            var factory = new Factory(options);
            await using (var db = factory.CreateDbContext())
            {
                await db.Database.MigrateAsync();
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            }

            var inventory = new InventoryService(factory, new LiveFeed(), new PendingCommands(),
                new MetricsHistory(factory, TimeProvider.System, NullLogger<MetricsHistory>.Instance), NullLogger<InventoryService>.Instance);
            var capabilities = new HostCapabilities("Bench CPU", 2, 8L << 30, 1L << 30, 2L << 30, [], false, null, false, null, false, false, "not present", null, "0", "rv64", "Linux", "x64");
            var host = Guid.NewGuid();
            var other = Guid.NewGuid();
            await inventory.RegisterAsync(new AgentRegistration(other, "bench-other", "bench", capabilities, []));
            await inventory.RegisterAsync(new AgentRegistration(host, "bench-host", "bench", capabilities, []));
            var guests = await SeedAsync(factory, host, count);

            await StepAsync("offline (machines turn Unknown)", factory, inventory, other,
                () => inventory.MarkOfflineAsync(host, "bench"));
            await StepAsync("register with all of them", factory, inventory, other,
                () => inventory.RegisterAsync(new AgentRegistration(host, "bench-host", "bench", capabilities, guests)));
            await StepAsync("offline again", factory, inventory, other,
                () => inventory.MarkOfflineAsync(host, "bench"));
            await StepAsync("register with none (machines turn Lost)", factory, inventory, other,
                () => inventory.RegisterAsync(new AgentRegistration(host, "bench-host", "bench", capabilities, [])));
            await StepAsync("register with none again (no change)", factory, inventory, other,
                () => inventory.RegisterAsync(new AgentRegistration(host, "bench-host", "bench", capabilities, [])));
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Seeds the machines straight through the store; returns them as their agent reports them (all running).</summary>
    private static async Task<List<GuestInfo>> SeedAsync(Factory factory, Guid host, int count)
    {
        var now = DateTime.UtcNow;
        var guests = new List<GuestInfo>(count);
        const int batch = 1000;
        for (var start = 0; start < count; start += batch)
        {
            await using var db = factory.CreateDbContext();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            for (var i = start; i < Math.Min(count, start + batch); i++)
            {
                var machine = SeedMachines.Machine(i, host, i % 2 == 0 ? MachineState.Running : MachineState.Stopped, now);
                db.Machines.Add(machine);
                guests.Add(new GuestInfo(machine.Id, machine.Name, machine.Kind, MachineState.Running, machine.Image, machine.Spec, machine.Labels, StartedAt: now));
            }

            await db.SaveChangesAsync();
        }

        return guests;
    }

    private static async Task StepAsync(string name, Factory factory, InventoryService inventory, Guid other, Func<Task> step)
    {
        var clock = Stopwatch.StartNew();
        var work = Task.Run(step);
        await Task.Delay(20);
        var heartbeat = Stopwatch.StartNew();
        string waited;
        try
        {
            await inventory.HeartbeatAsync(new AgentHeartbeat(other, DateTimeOffset.UtcNow, 1, 1L << 30, 1L << 30));
            waited = $"{heartbeat.Elapsed.TotalSeconds:0.00} s";
        }
        catch (SqliteException e)
        {
            waited = $"failed after {heartbeat.Elapsed.TotalSeconds:0.00} s ({e.Message})";
        }

        string outcome;
        try
        {
            await work;
            outcome = $"{clock.Elapsed.TotalSeconds:0.00} s";
        }
        catch (SqliteException e)
        {
            outcome = $"failed after {clock.Elapsed.TotalSeconds:0.00} s ({e.Message})";
        }

        await using var db = factory.CreateDbContext();
        var states = await db.Machines.GroupBy(m => m.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
        var versions = await db.Machines.SumAsync(m => m.Version);
        Console.WriteLine($"{name}: {outcome}; a heartbeat of another host waited {waited}; now {string.Join(", ", states.OrderBy(s => s.Key).Select(s => $"{s.Count} {s.Key}"))}; versions sum {versions}");
    }

    private sealed class Factory(DbContextOptions<RingmasterDbContext> options) : IDbContextFactory<RingmasterDbContext>
    {
        public RingmasterDbContext CreateDbContext() => new(options);
    }
}
