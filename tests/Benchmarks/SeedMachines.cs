using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Benchmarks;

/// <summary>
/// Seeds a fresh data folder with N machines straight through the store (no agent), for the API load
/// benchmark: <c>seed-machines DATA [count] [connection-string]</c>. Machines belong to 10 made-up
/// offline hosts. With a PostgreSQL connection string they go there (the database is created and
/// migrated) instead of the folder's SQLite file.
/// </summary>
internal static class SeedMachines
{
    /// <summary>The benchmarks' machine number <paramref name="i"/>: every third a VM, sizes and the label <c>tier</c> (0–4) varying with it.</summary>
    public static MachineEntity Machine(int i, Guid host, MachineState state, DateTime now)
    {
        var kind = i % 3 == 0 ? MachineKind.Vm : MachineKind.Container;
        return new MachineEntity
        {
            Id = Guid.NewGuid(),
            Name = $"bench-{i:00000}",
            Kind = kind,
            Template = kind == MachineKind.Vm ? "default" : "busybox",
            Image = kind == MachineKind.Vm ? "default" : "ringmaster/busybox:latest",
            Command = kind == MachineKind.Vm ? [] : ["sh"],
            Spec = new MachineSpec(1 + i % 4, 64 * (1 + i % 8), [new DiskSpec("root", 1 + i % 10)], [new NetworkSpec("eth0")]),
            HostId = host,
            State = state,
            Labels = new Dictionary<string, string> { ["tier"] = (i % 5).ToString(System.Globalization.CultureInfo.InvariantCulture), ["team"] = "bench" },
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: seed-machines DATA_FOLDER [count]");
            return 2;
        }

        var data = Path.GetFullPath(args[0]);
        var count = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
        Directory.CreateDirectory(data);
        var connectionString = args.Length > 2 ? args[2] : null;
        var postgres = DatabaseProvider.IsPostgres(connectionString);
        var builder = new DbContextOptionsBuilder<RingmasterDbContext>();
        DatabaseProvider.Configure(builder, new Core.RingmasterOptions { Data = data, ConnectionString = connectionString });
        var options = builder.Options;
        RingmasterDbContext Open() => postgres ? new PostgresRingmasterDbContext(options) : new RingmasterDbContext(options);
        await using (var db = Open())
        {
            await db.Database.MigrateAsync();
            if (!postgres)
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            }
        }

        var now = DateTime.UtcNow;
        var hosts = Enumerable.Range(1, 10).Select(i => new HostEntity { Id = Guid.NewGuid(), Name = $"bench-host-{i:00}", RegisteredAt = now, AgentVersion = "bench" }).ToList();
        await using (var db = Open())
        {
            db.Hosts.AddRange(hosts);
            await db.SaveChangesAsync();
        }

        const int batch = 1000;
        for (var start = 0; start < count; start += batch)
        {
            await using var db = Open();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            for (var i = start; i < Math.Min(count, start + batch); i++)
            {
                db.Machines.Add(Machine(i, hosts[i % hosts.Count].Id,
                    (i % 4) switch { 0 => MachineState.Running, 1 => MachineState.Stopped, 2 => MachineState.Unknown, _ => MachineState.Paused }, now));
            }

            await db.SaveChangesAsync();
        }

        if (postgres)
        {
            // The planner's statistics, as autovacuum would gather them a minute after such a load:
            // without them PostgreSQL takes the new tables for empty and plans the label filter badly.
            await using var db = Open();
            await db.Database.ExecuteSqlRawAsync("ANALYZE;");
        }

        Console.WriteLine($"seeded {count} machines on {hosts.Count} hosts into {(postgres ? "PostgreSQL" : data)}");
        return 0;
    }
}
