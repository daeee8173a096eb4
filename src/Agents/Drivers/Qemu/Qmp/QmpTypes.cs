using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ringmaster.Agents.Drivers.Qemu.Qmp;

/// <summary>What QEMU says when a client connects: its version and the capabilities it offers.</summary>
public sealed record QmpGreeting(QmpVersion Version, IReadOnlyList<string> Capabilities);

/// <summary>The answer of <c>query-version</c> (and the greeting's version).</summary>
public sealed record QmpVersion(QmpVersionNumber Qemu, string Package)
{
    public override string ToString() => $"{Qemu} ({Package.Trim()})";
}

/// <summary>QEMU's version number, e.g. 7.2.22.</summary>
public sealed record QmpVersionNumber(int Major, int Minor, int Micro)
{
    public override string ToString() => $"{Major}.{Minor}.{Micro}";
}

/// <summary>The answer of <c>query-status</c>; <see cref="Status"/> is one of <see cref="QmpRunStates"/>.</summary>
public sealed record QmpStatus(bool Running, string Status, bool Singlestep = false);

/// <summary>QEMU's run states as <c>query-status</c> names them (QAPI <c>RunState</c>).</summary>
public static class QmpRunStates
{
    public const string Running = "running";
    public const string Paused = "paused";
    public const string Prelaunch = "prelaunch";
    public const string Shutdown = "shutdown";
    public const string InMigrate = "inmigrate";
    public const string PostMigrate = "postmigrate";
    public const string FinishMigrate = "finish-migrate";
    public const string RestoreVm = "restore-vm";
    public const string SaveVm = "save-vm";
    public const string Suspended = "suspended";
    public const string GuestPanicked = "guest-panicked";
    public const string InternalError = "internal-error";
    public const string IoError = "io-error";
    public const string Watchdog = "watchdog";
}

/// <summary>One virtual CPU from <c>query-cpus-fast</c>: its index, the host thread that runs it and the target.</summary>
public sealed record QmpCpu(int CpuIndex, string QomPath, int ThreadId, string? Target, JsonElement? Props);

/// <summary>One block device from <c>query-block</c>.</summary>
public sealed record QmpBlockDevice(
    string Device,
    string? Qdev,
    bool Removable,
    bool Locked,
    [property: JsonPropertyName("tray_open")] bool? TrayOpen,
    QmpBlockMedium? Inserted);

/// <summary>The medium in a block device: its top node, file, driver and image.</summary>
public sealed record QmpBlockMedium(string File, string? NodeName, bool Ro, string Drv, QmpImageInfo? Image);

/// <summary>An image as <c>query-block</c> describes it.</summary>
public sealed record QmpImageInfo(string Filename, string Format, long VirtualSize, long? ActualSize);

/// <summary>One device's I/O counters from <c>query-blockstats</c>.</summary>
public sealed record QmpBlockStats(string? Device, string? NodeName, string? Qdev, QmpBlockCounters Stats);

/// <summary>Cumulative I/O counters of a block device.</summary>
public sealed record QmpBlockCounters(
    [property: JsonPropertyName("rd_bytes")] long ReadBytes,
    [property: JsonPropertyName("wr_bytes")] long WriteBytes,
    [property: JsonPropertyName("rd_operations")] long ReadOperations,
    [property: JsonPropertyName("wr_operations")] long WriteOperations,
    [property: JsonPropertyName("flush_operations")] long FlushOperations,
    [property: JsonPropertyName("rd_total_time_ns")] long ReadTotalTimeNs,
    [property: JsonPropertyName("wr_total_time_ns")] long WriteTotalTimeNs);

/// <summary>
/// One provider's statistics for one object from <c>query-stats</c> (KVM's counters: exits,
/// mmio_exits, insn_emulation, …; TCG gives none): the VM itself, or a vCPU named by its QOM path.
/// </summary>
public sealed record QmpStatsResult(string Provider, string? QomPath, IReadOnlyList<QmpStat> Stats);

/// <summary>One statistic: a number, a boolean or a histogram (an array), as QEMU sent it.</summary>
public sealed record QmpStat(string Name, JsonElement Value);

/// <summary>One command from <c>query-commands</c>.</summary>
public sealed record QmpCommandInfo(string Name);

/// <summary>The data of a <c>SHUTDOWN</c> event: whether the guest asked for it, and why (<c>guest-shutdown</c>, <c>host-qmp-quit</c>, <c>host-signal</c>, …).</summary>
public sealed record QmpShutdownData(bool Guest, string Reason);

/// <summary>The data of a <c>RESET</c> event: whether the guest asked for it, and why (<c>guest-reset</c>, <c>host-qmp-system-reset</c>, …).</summary>
public sealed record QmpResetData(bool Guest, string Reason);

/// <summary>The data of a <c>JOB_STATUS_CHANGE</c> event: a job and its new status (<c>created</c>, <c>running</c>, <c>concluded</c>, …).</summary>
public sealed record QmpJobStatusData(string Id, string Status);

/// <summary>Arguments of <c>query-stats</c>.</summary>
internal sealed record QueryStatsArguments(string Target);

/// <summary>Arguments of <c>human-monitor-command</c>.</summary>
internal sealed record HumanMonitorArguments(string CommandLine);

internal sealed record QmpGreetingMessage([property: JsonPropertyName("QMP")] QmpGreetingBody Qmp);

internal sealed record QmpGreetingBody(QmpVersion Version, IReadOnlyList<string> Capabilities);

/// <summary>
/// JSON for QMP: names in QMP's kebab-case unless a type says otherwise (block statistics use
/// snake_case), and absent optional arguments left out (QMP refuses a null where it wants a value).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(QmpGreetingMessage))]
[JsonSerializable(typeof(QmpVersion))]
[JsonSerializable(typeof(QmpStatus))]
[JsonSerializable(typeof(IReadOnlyList<QmpCpu>))]
[JsonSerializable(typeof(IReadOnlyList<QmpBlockDevice>))]
[JsonSerializable(typeof(IReadOnlyList<QmpBlockStats>))]
[JsonSerializable(typeof(IReadOnlyList<QmpStatsResult>))]
[JsonSerializable(typeof(IReadOnlyList<QmpCommandInfo>))]
[JsonSerializable(typeof(QmpShutdownData))]
[JsonSerializable(typeof(QmpResetData))]
[JsonSerializable(typeof(QmpJobStatusData))]
[JsonSerializable(typeof(QueryStatsArguments))]
[JsonSerializable(typeof(HumanMonitorArguments))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
internal sealed partial class QmpJsonContext : JsonSerializerContext;
