using Ringmaster.Contracts;

namespace Ringmaster.Web.Services;

/// <summary>Disk and network rates of one guest, from two readings of its counters.</summary>
public sealed record GuestRates(Guid Id, DateTimeOffset At, double CpuPercent, long MemoryUsedBytes, long MemoryLimitBytes,
    double DiskReadPerSecond, double DiskWritePerSecond, double NetRxPerSecond, double NetTxPerSecond, double? Mips);

/// <summary>Turns the agents' running counters into rates, guest by guest.</summary>
public sealed class MetricRates
{
    private readonly Dictionary<Guid, GuestMetrics> _last = [];
    private readonly Dictionary<Guid, GuestRates> _rates = [];

    public GuestRates Add(GuestMetrics m)
    {
        double disk = 0, diskW = 0, rx = 0, tx = 0;
        if (_last.TryGetValue(m.Id, out var before) && m.At > before.At)
        {
            var seconds = (m.At - before.At).TotalSeconds;
            disk = Math.Max(0, m.DiskReadBytes - before.DiskReadBytes) / seconds;
            diskW = Math.Max(0, m.DiskWriteBytes - before.DiskWriteBytes) / seconds;
            rx = Math.Max(0, m.NetRxBytes - before.NetRxBytes) / seconds;
            tx = Math.Max(0, m.NetTxBytes - before.NetTxBytes) / seconds;
        }

        _last[m.Id] = m;
        var rates = new GuestRates(m.Id, m.At, m.CpuPercent, m.MemoryUsedBytes, m.MemoryLimitBytes, disk, diskW, rx, tx, m.Mips);
        _rates[m.Id] = rates;
        return rates;
    }

    public void Forget(Guid id)
    {
        _last.Remove(id);
        _rates.Remove(id);
    }

    public GuestRates? For(Guid id) => _rates.GetValueOrDefault(id);

    public IEnumerable<GuestRates> All => _rates.Values;
}
