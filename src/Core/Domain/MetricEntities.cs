namespace Ringmaster.Core.Domain;

/// <summary>Whose figures a series holds.</summary>
public enum MetricOwner
{
    Machine = 1,
    Host = 2,
}

/// <summary>
/// One series of history: a machine's or a host's figures. Its slots are keyed by
/// <see cref="MetricSlotEntity.KeyOf"/>, so a series owns one contiguous range of slot keys.
/// </summary>
public sealed class MetricSeriesEntity
{
    public long Id { get; set; }
    public MetricOwner Owner { get; set; }
    public Guid OwnerId { get; set; }
}

/// <summary>
/// One point of a series at one resolution, round-robin style: a series has a fixed number of slots
/// per resolution, and a new time bucket overwrites the slot its predecessor one cycle ago held.
/// Figures are sums (integers, so an idle guest's zeros take no room) over the samples counted.
/// </summary>
public sealed class MetricSlotEntity
{
    /// <summary>Series id, resolution and slot in one integer (SQLite's row id): see <see cref="KeyOf"/>.</summary>
    public long Key { get; set; }

    /// <summary>Start of the bucket, Unix seconds; a slot whose start is older than its resolution's span is stale.</summary>
    public long Start { get; set; }

    /// <summary>Samples of CPU and memory summed.</summary>
    public int Count { get; set; }

    /// <summary>CPU percent × 100, summed.</summary>
    public long Cpu { get; set; }
    public long MemoryUsed { get; set; }
    public long MemoryTotal { get; set; }

    /// <summary>Samples of the I/O rates summed (a machine's first sample has no rate yet).</summary>
    public int IoCount { get; set; }

    /// <summary>Bytes per second, summed.</summary>
    public long DiskRead { get; set; }
    public long DiskWrite { get; set; }
    public long NetRx { get; set; }
    public long NetTx { get; set; }

    /// <summary>Samples with an instruction rate summed (emulator VMs only).</summary>
    public int MipsCount { get; set; }

    /// <summary>Millions of instructions per second × 1000, summed.</summary>
    public long Mips { get; set; }

    public const int SlotBits = 14;
    public const int TierBits = 2;

    public static long KeyOf(long seriesId, int tier, int slot) => (seriesId << (SlotBits + TierBits)) + ((long)tier << SlotBits) + slot;

    /// <summary>The first key of a series' resolution; its slots run up to <c>FirstKey(seriesId, tier + 1)</c> (for the last resolution, the next series' first key).</summary>
    public static long FirstKey(long seriesId, int tier) => KeyOf(seriesId, tier, 0);
}
