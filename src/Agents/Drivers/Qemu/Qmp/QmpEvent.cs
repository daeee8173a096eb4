using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Ringmaster.Agents.Drivers.Qemu.Qmp;

/// <summary>
/// An asynchronous QMP event (<c>STOP</c>, <c>RESUME</c>, <c>SHUTDOWN</c>, <c>RESET</c>, <c>POWERDOWN</c>,
/// <c>JOB_STATUS_CHANGE</c>, …) with the time QEMU stamped on it and its data as QEMU sent it.
/// </summary>
public sealed record QmpEvent(string Name, DateTimeOffset Timestamp, JsonElement Data)
{
    /// <summary>The data read as <typeparamref name="T"/> (e.g. <see cref="QmpShutdownData"/> for <c>SHUTDOWN</c>).</summary>
    public T DataAs<T>(JsonTypeInfo<T> type) =>
        Data.ValueKind == JsonValueKind.Undefined
            ? throw new InvalidOperationException($"The {Name} event carries no data.")
            : Data.Deserialize(type) ?? throw new InvalidOperationException($"The {Name} event's data is null.");

    /// <summary>The data of a <c>SHUTDOWN</c> event (whether the guest asked, and why).</summary>
    public QmpShutdownData ShutdownData => DataAs(QmpJsonContext.Default.QmpShutdownData);

    /// <summary>The data of a <c>RESET</c> event.</summary>
    public QmpResetData ResetData => DataAs(QmpJsonContext.Default.QmpResetData);

    /// <summary>The data of a <c>JOB_STATUS_CHANGE</c> event (job id and new status).</summary>
    public QmpJobStatusData JobStatusData => DataAs(QmpJsonContext.Default.QmpJobStatusData);

    public override string ToString() =>
        Data.ValueKind == JsonValueKind.Undefined ? $"{Timestamp:O} {Name}" : $"{Timestamp:O} {Name} {Data.GetRawText()}";
}

/// <summary>Names of the QMP events Ringmaster reacts to.</summary>
public static class QmpEvents
{
    public const string Stop = "STOP";
    public const string Resume = "RESUME";
    public const string Shutdown = "SHUTDOWN";
    public const string Reset = "RESET";
    public const string Powerdown = "POWERDOWN";
    public const string JobStatusChange = "JOB_STATUS_CHANGE";
    public const string BlockJobCompleted = "BLOCK_JOB_COMPLETED";
    public const string Migration = "MIGRATION";
    public const string GuestPanicked = "GUEST_PANICKED";
    public const string DeviceDeleted = "DEVICE_DELETED";
    public const string BalloonChange = "BALLOON_CHANGE";
}
