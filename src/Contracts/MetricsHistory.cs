namespace Ringmaster.Contracts;

/// <summary>
/// One point of a graph: the averages of what was sampled in its interval. A figure no sample had
/// (I/O before a second reading, MIPS of a container) is null.
/// </summary>
public sealed record MetricPoint(
    DateTimeOffset At,
    double? CpuPercent,
    long? MemoryUsedBytes,
    long? MemoryTotalBytes,
    double? DiskReadPerSecond,
    double? DiskWritePerSecond,
    double? NetRxPerSecond,
    double? NetTxPerSecond,
    double? Mips);

/// <summary>A machine's or a host's history over one range (<c>1h</c>, <c>1d</c>, <c>1w</c>, <c>1y</c>), oldest point first; intervals without samples have no point.</summary>
public sealed record MetricHistory(Guid Id, string Range, int StepSeconds, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<MetricPoint> Points);
