namespace Ringmaster.Core.Contracts;

/// <summary>A CPU flag from /proc/cpuinfo that matters for placement, with what it means.</summary>
public sealed record CpuFlagInfo(string Flag, string Meaning);

/// <summary>The container engine that answers on this host, if any.</summary>
public sealed record ContainerEngineInfo(string Name, string Version, string Endpoint);

/// <summary>What a host can do, read by its agent at registration.</summary>
public sealed record HostCapabilities(
    string CpuModel,
    int Cores,
    long MemoryBytes,
    long DiskFreeBytes,
    long DiskTotalBytes,
    IReadOnlyList<CpuFlagInfo> CpuFlags,
    bool HardwareVirtualization,
    string? HardwareVirtualizationFlag,
    bool NestedPaging,
    string? NestedPagingFlag,
    bool RunsInsideHypervisor,
    bool KvmUsable,
    string KvmDetail,
    ContainerEngineInfo? ContainerEngine,
    string EmulatorVersion,
    string EmulatorIsa,
    string OperatingSystem,
    string Architecture);
