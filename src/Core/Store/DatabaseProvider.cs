using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Ringmaster.Core.Store;

/// <summary>
/// Which database <c>Ringmaster:ConnectionString</c> names: PostgreSQL (through Npgsql) when it is in
/// PostgreSQL's keyword form (<c>Host=…;Port=…;Username=…;Database=…</c>), SQLite otherwise; empty is
/// SQLite in the data folder. What differs between the two stays here.
/// </summary>
public static class DatabaseProvider
{
    /// <summary>True when <paramref name="connectionString"/> names a PostgreSQL server (it has a <c>Host</c> or <c>Server</c> keyword).</summary>
    public static bool IsPostgres(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return false;
        }

        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            return false;
        }

        return builder.ContainsKey("Host") || builder.ContainsKey("Server");
    }

    /// <summary>Sets <paramref name="options"/> up for the database <paramref name="settings"/> name.</summary>
    public static void Configure(DbContextOptionsBuilder options, RingmasterOptions settings)
    {
        if (IsPostgres(settings.ConnectionString))
        {
            options.UseNpgsql(settings.ConnectionString);
            return;
        }

        Directory.CreateDirectory(settings.DataPath);
        // A private cache per connection, with the WAL journal the initializer turns on: SQLite's shared-cache
        // mode is discouraged beside WAL, and under load it let a quota check miss a machine saved just before.
        var connection = string.IsNullOrWhiteSpace(settings.ConnectionString)
            ? $"Data Source={Path.Combine(settings.DataPath, "ringmaster.db")}"
            : settings.ConnectionString;
        options.UseSqlite(connection);
    }

    /// <summary>True when <paramref name="exception"/> (or what it wraps) is a unique index refusing a row, on either database.</summary>
    public static bool IsUniqueViolation(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException { SqliteErrorCode: 19 }:
                case PostgresException { SqlState: PostgresErrorCodes.UniqueViolation }:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Inside <paramref name="db"/>'s open transaction on PostgreSQL, waits until no other transaction
    /// (of any web node) holds <paramref name="name"/>, and holds it until the transaction ends. On
    /// SQLite there is one node, whose writers the database serialises, and nothing is taken.
    /// </summary>
    public static async Task LockNameAsync(RingmasterDbContext db, string name, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({"ringmaster.name:" + name}, 0))", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Inside <paramref name="db"/>'s open transaction, waits until no other transaction (of this process
    /// or another) is changing what <paramref name="project"/> uses, and holds that until the transaction
    /// ends: a transaction-scoped advisory lock keyed on the project on PostgreSQL; on SQLite a write to
    /// the project's row, which takes the database's write lock.
    /// </summary>
    public static async Task LockProjectAsync(RingmasterDbContext db, string project, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            // hashtextextended: a 64-bit key from the name; the prefix keeps these keys apart from other advisory locks.
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({"ringmaster.project-quota:" + project}, 0))", cancellationToken).ConfigureAwait(false);
            return;
        }

        await db.Projects.Where(p => p.Name == project)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.QuotaStamp, p => p.QuotaStamp + 1), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Inside <paramref name="db"/>'s open transaction, waits until no other transaction is changing what
    /// is known of host <paramref name="hostId"/> (its registration, heartbeat or going offline) and holds
    /// that until the transaction ends, so each reads what the one before it wrote: a transaction-scoped
    /// advisory lock on PostgreSQL; on SQLite a write to the host's row, which takes the write lock first.
    /// </summary>
    public static async Task LockHostAsync(RingmasterDbContext db, Guid hostId, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({"ringmaster.host:" + hostId}, 0))", cancellationToken).ConfigureAwait(false);
            return;
        }

        await db.Hosts.Where(h => h.Id == hostId)
            .ExecuteUpdateAsync(s => s.SetProperty(h => h.Online, h => h.Online), cancellationToken).ConfigureAwait(false);
    }
}
