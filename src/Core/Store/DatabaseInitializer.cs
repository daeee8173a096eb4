using Medallion.Threading.Postgres;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Npgsql;

namespace Ringmaster.Core.Store;

/// <summary>
/// Applies migrations at start, turns on SQLite's write-ahead log, and seeds the built-in catalog. On
/// PostgreSQL several nodes may start on one new database at once: one makes the database, and each
/// migrates and seeds in turn under an advisory lock, so the next finds it done.
/// </summary>
public sealed class DatabaseInitializer(IDbContextFactory<RingmasterDbContext> dbFactory, ILogger<DatabaseInitializer> logger) : IHostedService
{
    /// <summary>The advisory lock nodes take turns under (advisory locks are per database).</summary>
    public const string LockName = "ringmaster.migrate";

    /// <summary>How long a node waits for another to finish migrating before it gives up starting.</summary>
    private static readonly TimeSpan s_lockWait = TimeSpan.FromMinutes(10);

    public static IReadOnlyList<TemplateEntity> BuiltInTemplates { get; } =
    [
        new() { Name = "busybox", Kind = MachineKind.Container, Image = "ringmaster/busybox:latest", Command = ["sh"], Vcpus = 1, MemoryMiB = 64, DiskGiB = 1, Description = "BusyBox container with a shell on its console; the image is built from Debian's busybox-static." },
        new() { Name = "default", Kind = MachineKind.Vm, Image = "default", Vcpus = 1, MemoryMiB = 256, DiskGiB = 1, Description = "Small RISC-V Linux VM (6.1 kernel, BusyBox shell) on the built-in emulator." },
        new() { Name = "debian", Kind = MachineKind.Vm, Image = "debian", Vcpus = 1, MemoryMiB = 512, DiskGiB = 2, Description = "RISC-V VM with Debian's own distribution kernel and a BusyBox shell." },
        new() { Name = "x86-small", Kind = MachineKind.Vm, Engine = VmEngine.Qemu, Image = "x86-small", Vcpus = 1, MemoryMiB = 256, DiskGiB = 1, Description = "Small x86_64 VM on QEMU: Debian's amd64 kernel with a BusyBox shell on the serial console, up in seconds." },
        new() { Name = "debian-12", Kind = MachineKind.Vm, Engine = VmEngine.Qemu, Image = "debian-12", Vcpus = 1, MemoryMiB = 1024, DiskGiB = 4, Description = "Debian 12 (bookworm) x86_64 VM on QEMU: systemd, OpenSSH, cloud-init and the QEMU guest agent on a qcow2 disk." },
    ];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (db.Database.IsSqlite())
        {
            await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
            await MigrateAndSeedAsync(db, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await CreateDatabaseAsync(db, cancellationToken).ConfigureAwait(false);
            await InTurnAsync(db.Database, () => MigrateAndSeedAsync(db, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        logger.LogInformation("Database ready ({Provider})", db.Database.ProviderName);
    }

    /// <summary>
    /// Runs what a starting node does once to a shared database (migrate, seed, make the first admin)
    /// while no other node does: on PostgreSQL under an advisory lock, so a node that waited finds it
    /// done; on SQLite at once (one node).
    /// </summary>
    public static async Task InTurnAsync(DatabaseFacade database, Func<Task> work, CancellationToken cancellationToken)
    {
        if (!database.IsNpgsql())
        {
            await work().ConfigureAwait(false);
            return;
        }

        var inTurn = new PostgresDistributedLock(new PostgresAdvisoryLockKey(LockName, allowHashing: true), database.GetConnectionString()!);
        await using (await inTurn.AcquireAsync(s_lockWait, cancellationToken).ConfigureAwait(false))
        {
            await work().ConfigureAwait(false);
        }
    }

    /// <summary>Makes the database unless it is there; another node that made it first is as good.</summary>
    private async Task CreateDatabaseAsync(RingmasterDbContext db, CancellationToken cancellationToken)
    {
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (await creator.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await creator.CreateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            logger.LogInformation("Another node made the database first ({Reason})", ex.MessageText);
        }
    }

    private static async Task MigrateAndSeedAsync(RingmasterDbContext db, CancellationToken cancellationToken)
    {
        await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
        foreach (var template in BuiltInTemplates)
        {
            if (await db.Templates.FindAsync([template.Name], cancellationToken).ConfigureAwait(false) is null)
            {
                db.Templates.Add(new TemplateEntity
                {
                    Name = template.Name,
                    Kind = template.Kind,
                    Engine = template.Engine,
                    Image = template.Image,
                    Command = template.Command,
                    Vcpus = template.Vcpus,
                    MemoryMiB = template.MemoryMiB,
                    DiskGiB = template.DiskGiB,
                    Description = template.Description,
                });
            }
        }

        if (await db.Projects.FindAsync([ProjectEntity.Default], cancellationToken).ConfigureAwait(false) is null)
        {
            db.Projects.Add(new ProjectEntity { Name = ProjectEntity.Default, Description = "Where machines go unless a project is named.", CreatedAt = DateTime.UtcNow });
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
