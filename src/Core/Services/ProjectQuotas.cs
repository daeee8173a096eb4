using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>A change in what a project uses: a new machine, or a resize (negative values free capacity).</summary>
public sealed record QuotaDelta(int Vcpus, int MemoryMiB, int DiskGiB, int Networks, int Machines)
{
    /// <summary>What a new machine with <paramref name="spec"/> adds.</summary>
    public static QuotaDelta For(MachineSpec spec) => new(spec.Vcpus, spec.MemoryMiB, spec.DiskGiB, spec.Networks.Count, 1);

    /// <summary>What resizing a machine from <paramref name="before"/> to <paramref name="after"/> adds.</summary>
    public static QuotaDelta Resize(MachineSpec before, MachineSpec after) => new(
        after.Vcpus - before.Vcpus, after.MemoryMiB - before.MemoryMiB, after.DiskGiB - before.DiskGiB, after.Networks.Count - before.Networks.Count, 0);
}

/// <summary>What a project's machines use now.</summary>
public sealed record ProjectUsage(int Vcpus, int MemoryMiB, int DiskGiB, int Networks, int Machines);

/// <summary>
/// One quota of a project beside what its machines use of it: <paramref name="Key"/> as the API names it,
/// <paramref name="What"/> in words, <paramref name="Limit"/> null when the project has none.
/// </summary>
public sealed record QuotaLine(string Key, string What, int InUse, int Asked, int? Limit, string Unit)
{
    /// <summary>Each quota of <paramref name="limits"/>, in the order checks report them, with what <paramref name="asked"/> adds.</summary>
    public static IReadOnlyList<QuotaLine> Of(ProjectUsage used, ProjectEntity limits, QuotaDelta? asked = null) =>
        Of(used, new ProjectQuotasView(limits.MaxVcpus, limits.MaxMemoryMiB, limits.MaxDiskGiB, limits.MaxNetworks, limits.MaxMachines), asked);

    /// <summary>Each quota of a project as the API shows it (<see cref="ProjectView"/>), beside what its machines use.</summary>
    public static IReadOnlyList<QuotaLine> Of(ProjectView project) =>
        Of(new ProjectUsage(project.Usage.Vcpus, project.Usage.MemoryMiB, project.Usage.DiskGiB, project.Usage.Networks, project.Usage.Machines), project.Quotas);

    /// <summary>Each quota of <paramref name="limits"/>, in the order checks report them, with what <paramref name="asked"/> adds.</summary>
    public static IReadOnlyList<QuotaLine> Of(ProjectUsage used, ProjectQuotasView limits, QuotaDelta? asked = null)
    {
        var more = asked ?? new QuotaDelta(0, 0, 0, 0, 0);
        return
        [
            new("vcpus", "vCPUs", used.Vcpus, more.Vcpus, limits.MaxVcpus, ""),
            new("memoryMiB", "memory", used.MemoryMiB, more.MemoryMiB, limits.MaxMemoryMiB, " MiB"),
            new("diskGiB", "disk", used.DiskGiB, more.DiskGiB, limits.MaxDiskGiB, " GiB"),
            new("networks", "networks", used.Networks, more.Networks, limits.MaxNetworks, ""),
            new("machines", "machines", used.Machines, more.Machines, limits.MaxMachines, ""),
        ];
    }
}

/// <summary>What a new machine named <paramref name="Name"/> takes of <paramref name="Project"/>'s quotas.</summary>
public sealed record QuotaRoom(string Project, QuotaDelta Delta, string Name);

/// <summary>The quotas of projects on the core four and machine count, checked before a machine is created or resized.</summary>
public sealed class ProjectQuotas(IDbContextFactory<RingmasterDbContext> dbFactory)
{
    public async Task<ProjectUsage> UsageAsync(string project, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await UsageAsync(db, project, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<ProjectUsage> UsageAsync(RingmasterDbContext db, string project, CancellationToken cancellationToken)
    {
        var specs = await db.Machines.IgnoreQueryFilters().AsNoTracking().Where(m => m.Project == project).Select(m => m.Spec).ToListAsync(cancellationToken).ConfigureAwait(false);
        return new ProjectUsage(specs.Sum(s => s.Vcpus), specs.Sum(s => s.MemoryMiB), specs.Sum(s => s.DiskGiB), specs.Sum(s => s.Networks.Count), specs.Count);
    }

    /// <summary>
    /// Null when <paramref name="delta"/> fits in the project's quotas; otherwise a sentence naming the
    /// quota that would be exceeded, what is used, what is asked and what is allowed. Only a hint:
    /// the change itself is checked again with <see cref="SaveWithinQuotaAsync"/>.
    /// </summary>
    public async Task<string?> CheckAsync(string project, QuotaDelta delta, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await CheckAsync(db, project, delta, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Saves what <paramref name="db"/> holds (a new machine, a resize) only if <paramref name="delta"/>
    /// still fits in the project's quotas: the check and the save are one transaction, serialized per
    /// project, so parallel changes cannot together go past a quota. Null when saved; otherwise the
    /// sentence of <see cref="CheckAsync(string, QuotaDelta, CancellationToken)"/>, and nothing is saved.
    /// </summary>
    public static Task<string?> SaveWithinQuotaAsync(RingmasterDbContext db, string project, QuotaDelta delta, CancellationToken cancellationToken = default) =>
        WithinQuotaAsync(db, project, delta, () => db.SaveChangesAsync(cancellationToken), cancellationToken);

    /// <summary>Runs <paramref name="write"/> (on <paramref name="db"/>) only if <paramref name="delta"/> still fits, as <see cref="SaveWithinQuotaAsync"/> does.</summary>
    public static async Task<string?> WithinQuotaAsync(RingmasterDbContext db, string project, QuotaDelta delta, Func<Task> write, CancellationToken cancellationToken = default)
    {
        // On PostgreSQL the project's advisory lock (below) serializes checks and saves across
        // processes and connections. On SQLite the write to the project's row takes the database's
        // write lock, and checks and saves of one process also take turns here (seven machines were
        // once made against a quota of five, when connections shared SQLite's cache).
        if (!db.Database.IsSqlite())
        {
            return await CheckAndWriteAsync(db, project, delta, write, cancellationToken).ConfigureAwait(false);
        }

        await s_turns.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CheckAndWriteAsync(db, project, delta, write, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            s_turns.Release();
        }
    }

    private static readonly SemaphoreSlim s_turns = new(1, 1);

    private static async Task<string?> CheckAndWriteAsync(RingmasterDbContext db, string project, QuotaDelta delta, Func<Task> write, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await DatabaseProvider.LockProjectAsync(db, project, cancellationToken).ConfigureAwait(false);
        if (await CheckAsync(db, project, delta, cancellationToken).ConfigureAwait(false) is { } exceeded)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return exceeded;
        }

        await write().ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return null;
    }

    private static async Task<string?> CheckAsync(RingmasterDbContext db, string project, QuotaDelta delta, CancellationToken cancellationToken)
    {
        var quotas = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == project, cancellationToken).ConfigureAwait(false);
        if (quotas is null)
        {
            return $"There is no project '{project}'.";
        }

        var used = await UsageAsync(db, project, cancellationToken).ConfigureAwait(false);
        return QuotaLine.Of(used, quotas, delta)
            .Where(l => l.Limit is { } max && l.Asked > 0 && l.InUse + l.Asked > max)
            .Select(l => $"Project '{project}' quota '{l.Key}' exceeded: {l.What} in use {l.InUse}{l.Unit}, asked {l.Asked}{l.Unit} more, allowed {l.Limit}{l.Unit}.")
            .FirstOrDefault();
    }
}
