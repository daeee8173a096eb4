using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ringmaster.Contracts;

/// <summary>A page of a list; pass <see cref="NextCursor"/> back as <c>cursor</c> for the next one.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>A host as the API and the dashboard show it.</summary>
public sealed record HostView(
    Guid Id,
    string Name,
    bool Online,
    DateTimeOffset RegisteredAt,
    DateTimeOffset? LastSeenAt,
    string AgentVersion,
    HostCapabilities? Capabilities,
    double CpuPercent,
    long MemoryUsedBytes,
    int MachineCount);

/// <summary>A machine as the API and the dashboard show it.</summary>
/// <param name="StartedAt">When it last started running, as its host's engine reported it; null while it is not running or where it is not known.</param>
public sealed record MachineView(
    Guid Id,
    string Name,
    MachineKind Kind,
    MachineState State,
    MachineState? LastKnownState,
    string Template,
    string Image,
    Guid? HostId,
    string? Host,
    MachineSpec Spec,
    IReadOnlyDictionary<string, string> Labels,
    string? Detail,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string Project = "default",
    long Version = 0,
    VmEngine? Engine = null,
    string? Iso = null,
    DateTimeOffset? StartedAt = null);

[JsonConverter(typeof(JsonStringEnumConverter<OperationStatus>))]
public enum OperationStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>An operation (a long action) as the API and the dashboard show it.</summary>
public sealed record OperationView(
    Guid Id,
    OperationKind Kind,
    OperationStatus State,
    int Progress,
    string? Message,
    string? Error,
    JsonElement? Result,
    Guid? MachineId,
    string Target,
    string User,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? Log = null,
    string? Project = null);

/// <summary>A template in the catalog.</summary>
/// <param name="Available">Whether a machine can be made from it now, on some online host.</param>
/// <param name="UnavailableReason">Why not, in words with what fixes it (null when available).</param>
/// <param name="Note">What a launch will do first, such as building its image (null when nothing).</param>
public sealed record TemplateView(string Name, MachineKind Kind, string Image, string Description, int Vcpus, int MemoryMiB, int DiskGiB,
    bool Available = true, string? UnavailableReason = null, string? Note = null, VmEngine? Engine = null);

/// <summary>The body of <c>POST /api/v1/machines</c>: only <see cref="Name"/> and <see cref="Template"/> are required.</summary>
public sealed record CreateMachineRequest(
    string? Name,
    string? Template,
    int? Vcpus = null,
    int? MemoryMiB = null,
    int? DiskGiB = null,
    string? Host = null,
    Dictionary<string, string>? Labels = null,
    bool? Start = null,
    string? Project = null,
    VmEngine? Engine = null,
    CloudInitConfig? CloudInit = null,
    IReadOnlyList<PortForward>? Ports = null,
    string? Iso = null,
    string? Disk = null,
    GuestDevices? Devices = null);

/// <summary>What a long action answers with, beside its Location header.</summary>
public sealed record OperationAccepted(OperationView Operation, MachineView? Machine);

/// <summary>Something that happened, for the event log.</summary>
public sealed record EventView(long Id, DateTimeOffset At, string Type, Guid? MachineId, Guid? HostId, string Message);
