namespace Ringmaster.Contracts;

/// <summary>A CPU flag from /proc/cpuinfo that matters for placement, with what it means.</summary>
public sealed record CpuFlagInfo(string Flag, string Meaning);

/// <summary>The container engine that answers on this host, if any.</summary>
public sealed record ContainerEngineInfo(string Name, string Version, string Endpoint);

/// <summary>What a host can do, read by its agent at registration (and again when it changes).</summary>
/// <param name="ContainerEngineProblem">Why no container engine answers, in words with what fixes it (null when one does).</param>
/// <param name="Images">The VM images this host has and those it can build on demand (null from agents that do not say).</param>
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
    string Architecture,
    string? ContainerEngineProblem = null,
    HostImages? Images = null,
    QemuEngineInfo? Qemu = null);

/// <summary>How this host's QEMU runs x86_64 guests: <c>kvm</c> (hardware virtualization) or <c>tcg</c> (binary translation), and why, in words.</summary>
/// <param name="Images">The x86_64 images this host has (null from agents that do not say).</param>
/// <param name="Problem">Why QEMU VMs cannot run on this host at all, with what fixes it (null when they can).</param>
public sealed record QemuEngineInfo(string Accelerator, string Reason, IReadOnlyList<string>? Images = null, string? Problem = null);

/// <summary>The built-in VM images of a host.</summary>
/// <param name="Present">Images the host has.</param>
/// <param name="Buildable">Images the host builds from Debian's packages the first time a VM needs them.</param>
/// <param name="BuildProblem">Why the host cannot build images (null when it can).</param>
public sealed record HostImages(IReadOnlyList<string> Present, IReadOnlyList<string> Buildable, string? BuildProblem);
