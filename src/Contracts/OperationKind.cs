using System.Text.Json.Serialization;

namespace Ringmaster.Contracts;

/// <summary>
/// What an operation does: one type for the services that start operations, the API that shows them
/// (as the dotted names, e.g. <c>machine.create</c>) and the dashboard that words them.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<OperationKind>))]
public enum OperationKind
{
    /// <summary>A kind this version does not know (written by another version).</summary>
    [JsonStringEnumMemberName("unknown")] Unknown,
    [JsonStringEnumMemberName("machine.create")] MachineCreate,
    [JsonStringEnumMemberName("machine.start")] MachineStart,
    [JsonStringEnumMemberName("machine.stop")] MachineStop,
    [JsonStringEnumMemberName("machine.force-stop")] MachineForceStop,
    [JsonStringEnumMemberName("machine.restart")] MachineRestart,
    [JsonStringEnumMemberName("machine.pause")] MachinePause,
    [JsonStringEnumMemberName("machine.resume")] MachineResume,
    [JsonStringEnumMemberName("machine.eject")] MachineEject,
    [JsonStringEnumMemberName("machine.delete")] MachineDelete,
    [JsonStringEnumMemberName("machine.update")] MachineUpdate,
    [JsonStringEnumMemberName("machine.clone")] MachineClone,
    [JsonStringEnumMemberName("machine.migrate")] MachineMigrate,
    [JsonStringEnumMemberName("machine.backup")] MachineBackup,
    [JsonStringEnumMemberName("snapshot.create")] SnapshotCreate,
    [JsonStringEnumMemberName("snapshot.revert")] SnapshotRevert,
    [JsonStringEnumMemberName("snapshot.delete")] SnapshotDelete,
    [JsonStringEnumMemberName("backup.restore")] BackupRestore,
    [JsonStringEnumMemberName("backup.verify")] BackupVerify,
    [JsonStringEnumMemberName("backup.delete")] BackupDelete,
    [JsonStringEnumMemberName("schedule.snapshot")] ScheduleSnapshot,
    [JsonStringEnumMemberName("schedule.backup")] ScheduleBackup,
    [JsonStringEnumMemberName("scaling-group.delete")] ScalingGroupDelete,
    [JsonStringEnumMemberName("host.evacuate")] HostEvacuate,
}

/// <summary>The names operation kinds have on the wire and in the store, and what they are about.</summary>
public static class OperationKinds
{
    private static readonly Dictionary<OperationKind, string> s_names = Enum.GetValues<OperationKind>().ToDictionary(
        k => k,
        k => typeof(OperationKind).GetField(k.ToString())!.GetCustomAttributes(typeof(JsonStringEnumMemberNameAttribute), false)
            .Cast<JsonStringEnumMemberNameAttribute>().Single().Name);

    private static readonly Dictionary<string, OperationKind> s_kinds = s_names.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>The dotted name, e.g. <c>machine.create</c>.</summary>
    public static string Name(this OperationKind kind) => s_names[kind];

    /// <summary>The kind of a dotted name; <see cref="OperationKind.Unknown"/> for a name this version does not know.</summary>
    public static OperationKind Parse(string? name) => name is not null && s_kinds.TryGetValue(name, out var kind) ? kind : OperationKind.Unknown;

    /// <summary>The action on a machine (<c>start</c>, <c>force-stop</c>…) as its kind.</summary>
    public static OperationKind OfAction(string action) => Parse("machine." + action.ToLowerInvariant());

    public static bool IsSnapshotWork(this OperationKind kind) => kind is OperationKind.SnapshotCreate or OperationKind.SnapshotRevert or OperationKind.SnapshotDelete or OperationKind.ScheduleSnapshot;

    public static bool IsBackupWork(this OperationKind kind) => kind is OperationKind.MachineBackup or OperationKind.ScheduleBackup or OperationKind.BackupVerify or OperationKind.BackupDelete or OperationKind.BackupRestore;
}
