using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>Settings of where machines go (section <c>Placement</c>).</summary>
public sealed record PlacementOptions
{
    public const string Section = "Placement";

    /// <summary>
    /// How much memory may be given to the machines of a host, as a multiple of what it has
    /// (Placement:MemoryOvercommitRatio): 1.5 lets 24 GiB of machines on a 16 GiB host, as guests
    /// rarely touch all they are given; more is refused, since an overcommitted host swaps or kills guests.
    /// </summary>
    public double MemoryOvercommitRatio { get; init; } = 1.5;

    /// <summary>The ratio <paramref name="placement"/> sets, or the default where none is configured.</summary>
    public static double RatioOf(IOptions<PlacementOptions>? placement) =>
        placement?.Value.MemoryOvercommitRatio ?? new PlacementOptions().MemoryOvercommitRatio;
}

/// <summary>A host's memory: what it has, what its machines are given, and how much they may be given.</summary>
public sealed record HostMemory(Guid HostId, string Host, long TotalMiB, long GivenMiB, double Ratio)
{
    /// <summary>At most this much may be given to the host's machines.</summary>
    public long LimitMiB => (long)Math.Floor(TotalMiB * Ratio);

    /// <summary>False while the host has not said how much memory it has (then nothing is refused).</summary>
    public bool Known => TotalMiB > 0;

    /// <summary>Whether <paramref name="moreMiB"/> more can be given without passing the limit.</summary>
    public bool Fits(long moreMiB) => !Known || GivenMiB + moreMiB <= LimitMiB;

    /// <summary>Whether giving <paramref name="moreMiB"/> more gives more than the host has (allowed up to the limit).</summary>
    public bool Overcommits(long moreMiB) => Known && GivenMiB + moreMiB > TotalMiB;

    /// <summary>Why <paramref name="moreMiB"/> more is refused, in the words the form and the API use.</summary>
    public string Refusal(long moreMiB) =>
        $"{Host} has {TotalMiB} MiB of memory and its machines are given {GivenMiB} MiB; {moreMiB} MiB more would pass the limit of {Ratio:0.##}× ({LimitMiB} MiB, setting Placement:MemoryOvercommitRatio).";

    /// <summary>The memory of <paramref name="host"/>, whose machines are given <paramref name="givenMiB"/>.</summary>
    public static HostMemory Of(HostEntity host, long givenMiB, double ratio) =>
        new(host.Id, host.Name, (host.Capabilities?.MemoryBytes ?? 0) / (1024 * 1024), givenMiB, ratio);

    /// <summary>The memory of every host, counting every machine placed on it (any project, any state).</summary>
    public static async Task<IReadOnlyList<HostMemory>> AllAsync(RingmasterDbContext db, double ratio, CancellationToken cancellationToken = default)
    {
        var hosts = await db.Hosts.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        var given = await GivenAsync(db, cancellationToken).ConfigureAwait(false);
        return [.. hosts.Select(h => Of(h, given.GetValueOrDefault(h.Id), ratio))];
    }

    /// <summary>
    /// Why <paramref name="host"/> cannot be given <paramref name="moreMiB"/> more memory (every machine placed
    /// on it counts, of any project and in any state); null when it can.
    /// </summary>
    public static async Task<string?> RefusalAsync(RingmasterDbContext db, HostEntity host, long moreMiB, double ratio, CancellationToken cancellationToken = default)
    {
        var specs = await db.Machines.IgnoreQueryFilters().AsNoTracking().Where(m => m.HostId == host.Id).Select(m => m.Spec)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var memory = Of(host, specs.Sum(s => (long)s.MemoryMiB), ratio);
        return memory.Fits(moreMiB) ? null : memory.Refusal(moreMiB);
    }

    /// <summary>The memory given to the machines of each host, by host id.</summary>
    public static async Task<Dictionary<Guid, long>> GivenAsync(RingmasterDbContext db, CancellationToken cancellationToken = default)
    {
        var used = await db.Machines.IgnoreQueryFilters().AsNoTracking().Where(m => m.HostId != null).Select(m => new { m.HostId, m.Spec })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return used.GroupBy(u => u.HostId!.Value).ToDictionary(g => g.Key, g => g.Sum(u => (long)u.Spec.MemoryMiB));
    }
}
