using System.Collections.Concurrent;
using Docker.DotNet.Models;
using Ringmaster.Core.Contracts;

namespace Ringmaster.Agents.Drivers.Containers;

public sealed partial class ContainerDriver
{
    // The previous CPU sample of each guest, for engines whose one-shot stats carry no previous sample.
    private readonly ConcurrentDictionary<Guid, CpuSample> _lastCpu = new();

    private readonly record struct CpuSample(ulong ContainerNs, ulong SystemNs, uint OnlineCpus);

    public async Task<GuestMetrics?> GetMetricsAsync(Guid id, CancellationToken cancellationToken)
    {
        var container = await GetAsync(id, cancellationToken);
        if (container.State is not ("running" or "paused"))
        {
            _lastCpu.TryRemove(id, out _);
            return null;
        }

        ContainerStatsResponse? stats = null;
        await CallAsync(
            $"Could not read the figures of '{ToInfo(container).Name}'",
            client => client.Containers.GetContainerStatsAsync(
                container.ID,
                new ContainerStatsParameters { Stream = false },
                new SynchronousProgress<ContainerStatsResponse>(s => stats ??= s),
                cancellationToken),
            cancellationToken);
        if (stats is null)
        {
            return null;
        }

        var current = new CpuSample(stats.CPUStats?.CPUUsage?.TotalUsage ?? 0, stats.CPUStats?.SystemUsage ?? 0, stats.CPUStats?.OnlineCPUs ?? 0);
        var previous = stats.PreCPUStats is { SystemUsage: > 0 } pre
            ? new CpuSample(pre.CPUUsage?.TotalUsage ?? 0, pre.SystemUsage, pre.OnlineCPUs)
            : _lastCpu.TryGetValue(id, out var last) ? last : (CpuSample?)null;
        _lastCpu[id] = current;

        var blkio = stats.BlkioStats?.IoServiceBytesRecursive ?? [];
        var networks = stats.Networks?.Values ?? [];
        return new GuestMetrics(
            id,
            DateTimeOffset.UtcNow,
            CpuPercent(previous, current),
            (long)(stats.MemoryStats?.Usage ?? 0),
            (long)(stats.MemoryStats?.Limit ?? 0),
            (long)blkio.Where(e => string.Equals(e.Op, "read", StringComparison.OrdinalIgnoreCase)).Sum(e => (decimal)e.Value),
            (long)blkio.Where(e => string.Equals(e.Op, "write", StringComparison.OrdinalIgnoreCase)).Sum(e => (decimal)e.Value),
            (long)networks.Sum(n => (decimal)n.RxBytes),
            (long)networks.Sum(n => (decimal)n.TxBytes));
    }

    /// <summary>Docker's formula: the container's share of all CPU time between two samples, times the online CPUs (100 = one core).</summary>
    private static double CpuPercent(CpuSample? previous, CpuSample current)
    {
        if (previous is not { } before || current.SystemNs <= before.SystemNs || current.ContainerNs < before.ContainerNs)
        {
            return 0;
        }

        var cpus = current.OnlineCpus > 0 ? current.OnlineCpus : (uint)Environment.ProcessorCount;
        return (double)(current.ContainerNs - before.ContainerNs) / (current.SystemNs - before.SystemNs) * cpus * 100.0;
    }
}
