namespace Ringmaster.Web.Components.Shared;

/// <summary>Capacity against use for the core four (vCPUs, memory, disk, network) of a host or of all hosts.</summary>
public sealed record CoreFourUsage(
    int Cores,
    int AllocatedVcpus,
    double CpuPercent,
    long MemoryBytes,
    long MemoryUsedBytes,
    long AllocatedMemoryMiB,
    long DiskTotalBytes,
    long DiskUsedBytes,
    long AllocatedDiskGiB,
    double NetRxPerSecond,
    double NetTxPerSecond,
    int NetworkCount);
