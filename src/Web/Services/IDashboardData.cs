using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Services;

/// <summary>How the Machines grid asks for a page: filters, sort and paging, all run in the database.</summary>
public sealed record MachineQuery(
    int Page = 0,
    int PageSize = 25,
    string? Name = null,
    MachineState? State = null,
    MachineKind? Kind = null,
    Guid? HostId = null,
    string? Label = null,
    MachineSort Sort = MachineSort.Name,
    bool Descending = false);

public enum MachineSort
{
    Name,
    State,
    Kind,
    Host,
    Created,
}

/// <summary>One page of machines and how many match the filters in all.</summary>
public sealed record MachinePage(IReadOnlyList<MachineView> Items, int Total);

/// <summary>The little the Overview needs of every machine to count and sum it.</summary>
public sealed record MachineSummary(Guid Id, MachineState State, MachineKind Kind, Guid? HostId, int Vcpus, int MemoryMiB, int DiskGiB, int Networks, DateTimeOffset UpdatedAt)
{
    public static MachineSummary Of(MachineView m) => new(m.Id, m.State, m.Kind, m.HostId, m.Spec.Vcpus, m.Spec.MemoryMiB, m.Spec.DiskGiB, m.Spec.Networks.Count, m.UpdatedAt);
}

/// <summary>Changes to one machine can be published out of order; the newer one wins.</summary>
public static class Freshness
{
    public static bool IsOlderThan(this MachineView change, DateTimeOffset? shown) => shown is { } at && change.UpdatedAt < at;
}

/// <summary>How the Operations page asks for a page of the task log.</summary>
public sealed record OperationQuery(int Page = 0, int PageSize = 50, string? Search = null, OperationStatus? State = null, Guid? MachineId = null);

public sealed record OperationPage(IReadOnlyList<OperationView> Items, int Total);

/// <summary>
/// What the dashboard reads: snapshot queries run in the database (never a whole table loaded to
/// page it) and the server's live view as a stream of changes. Pages take a snapshot, then apply
/// the changes; nothing re-queries on a timer.
/// </summary>
public interface IDashboardData
{
    Task<IReadOnlyList<HostView>> GetHostsAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<MachineSummary>> GetMachineSummariesAsync(CancellationToken cancellationToken = default);

    Task<MachinePage> QueryMachinesAsync(MachineQuery query, CancellationToken cancellationToken = default);

    Task<MachineView?> GetMachineAsync(Guid id, CancellationToken cancellationToken = default);

    Task<OperationPage> QueryOperationsAsync(OperationQuery query, CancellationToken cancellationToken = default);

    /// <summary>One operation with its log.</summary>
    Task<OperationView?> GetOperationAsync(Guid id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<TemplateView>> GetTemplatesAsync(CancellationToken cancellationToken = default);

    /// <summary>The names of the imported ISO images, which a QEMU VM can be installed from.</summary>
    Task<IReadOnlyList<string>> GetIsoImagesAsync(CancellationToken cancellationToken = default);

    /// <summary>How much memory the machines of a host may be given, as a multiple of what it has (Placement:MemoryOvercommitRatio).</summary>
    double MemoryOvercommitRatio { get; }

    /// <summary>Every host's memory and what its machines are given (all projects' machines: placement counts them all).</summary>
    Task<IReadOnlyList<HostMemory>> GetHostMemoryAsync(CancellationToken cancellationToken = default);

    /// <summary>The newest figures of a machine, if its agent sent any.</summary>
    GuestMetrics? LatestMetrics(Guid machineId);

    /// <summary>
    /// A machine's or host's history over one range (<c>1h</c>, <c>1d</c>, <c>1w</c>, <c>1y</c>), read
    /// from the metrics history as <c>/api/v1/{machines|hosts}/{id}/metrics</c> reads it; null for a
    /// machine the caller does not see or a host there is not.
    /// </summary>
    Task<MetricHistory?> GetMetricsAsync(Ringmaster.Core.Domain.MetricOwner owner, Guid id, MetricTier range, CancellationToken cancellationToken = default);

    /// <summary>Every change to the live view from now until <paramref name="cancellationToken"/> is cancelled.</summary>
    IAsyncEnumerable<LiveChange> WatchAsync(CancellationToken cancellationToken);
}

/// <summary>What the dashboard does to machines: each call starts an operation or says why not.</summary>
public interface IMachineActions
{
    Task<ServiceResult<OperationAccepted>> CreateAsync(CreateMachineRequest request, CancellationToken cancellationToken = default);

    /// <summary>start, stop, force-stop, restart, pause or resume.</summary>
    Task<ServiceResult<OperationAccepted>> ActAsync(Guid machineId, string action, CancellationToken cancellationToken = default);

    Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid machineId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes the machine's name, labels or spec if it is still at <paramref name="version"/> (the
    /// version the form was filled from); a conflict saying so when it changed meanwhile.
    /// </summary>
    Task<ServiceResult<MachineUpdated>> UpdateAsync(Guid machineId, long version, MachinePatch patch, CancellationToken cancellationToken = default);
}
