using MudBlazor;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Shared;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

public partial class Overview
{
    private const int RecentCount = 8;
    private List<HostView>? _hosts;
    private Dictionary<Guid, MachineSummary> _machines = [];
    private List<OperationView> _operations = [];
    private readonly MetricRates _rates = new();
    private string? _error;

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var hosts = await Data.GetHostsAsync(cancellationToken);
            var machines = await Data.GetMachineSummariesAsync(cancellationToken);
            var operations = await Data.QueryOperationsAsync(new OperationQuery(0, RecentCount), cancellationToken);
            _hosts = [.. hosts];
            _machines = machines.ToDictionary(m => m.Id);
            _operations = [.. operations.Items];
            _error = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _error = "The inventory could not be read: " + ex.Message;
        }
    }

    protected override bool Apply(LiveChange change)
    {
        switch (change)
        {
            case HostChanged host when _hosts is not null:
                var index = _hosts.FindIndex(h => h.Id == host.Host.Id);
                if (index < 0)
                {
                    _hosts.Add(host.Host);
                    _hosts.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                }
                else
                {
                    _hosts[index] = host.Host;
                }

                return true;
            case MachineChanged machine:
                if (machine.Machine.IsOlderThan(_machines.GetValueOrDefault(machine.Machine.Id)?.UpdatedAt))
                {
                    return false;
                }

                _machines[machine.Machine.Id] = MachineSummary.Of(machine.Machine);
                return true;
            case MachineRemoved removed:
                _rates.Forget(removed.MachineId);
                return _machines.Remove(removed.MachineId);
            case OperationChanged operation:
                var at = _operations.FindIndex(o => o.Id == operation.Operation.Id);
                if (at >= 0)
                {
                    _operations[at] = operation.Operation;
                }
                else
                {
                    _operations.Insert(0, operation.Operation);
                    if (_operations.Count > RecentCount)
                    {
                        _operations.RemoveAt(_operations.Count - 1);
                    }
                }

                return true;
            case MetricsChanged metrics:
                foreach (var m in metrics.Metrics)
                {
                    _rates.Add(m);
                }

                return true;
            default:
                return false;
        }
    }

    private IEnumerable<(MachineState State, int Count)> ByState() =>
        _machines.Values.GroupBy(m => m.State).OrderBy(g => g.Key).Select(g => (g.Key, g.Count()));

    private CoreFourUsage For(HostView host)
    {
        var machines = _machines.Values.Where(m => m.HostId == host.Id).ToList();
        var ids = machines.Select(m => m.Id).ToHashSet();
        var rates = _rates.All.Where(r => ids.Contains(r.Id)).ToList();
        var caps = host.Capabilities;
        return new CoreFourUsage(
            Cores: caps?.Cores ?? 0,
            AllocatedVcpus: machines.Sum(m => m.Vcpus),
            CpuPercent: host.CpuPercent,
            MemoryBytes: caps?.MemoryBytes ?? 0,
            MemoryUsedBytes: host.MemoryUsedBytes,
            AllocatedMemoryMiB: machines.Sum(m => (long)m.MemoryMiB),
            DiskTotalBytes: caps?.DiskTotalBytes ?? 0,
            DiskUsedBytes: caps is null ? 0 : caps.DiskTotalBytes - caps.DiskFreeBytes,
            AllocatedDiskGiB: machines.Sum(m => (long)m.DiskGiB),
            NetRxPerSecond: rates.Sum(r => r.NetRxPerSecond),
            NetTxPerSecond: rates.Sum(r => r.NetTxPerSecond),
            NetworkCount: machines.Sum(m => m.Networks));
    }

    /// <summary>
    /// Said when a host's machines are given more memory than it has: a warning up to the
    /// overcommit ratio placement allows, an error beyond it (machines placed before a lower ratio, or moved there).
    /// </summary>
    private (Severity Severity, string Text)? MemoryWarning(HostView host)
    {
        var totalMiB = (host.Capabilities?.MemoryBytes ?? 0) / (1024 * 1024);
        var givenMiB = _machines.Values.Where(m => m.HostId == host.Id).Sum(m => (long)m.MemoryMiB);
        if (totalMiB <= 0 || givenMiB <= totalMiB)
        {
            return null;
        }

        var ratio = (double)givenMiB / totalMiB;
        var allowed = Data.MemoryOvercommitRatio;
        var text = $"Memory overcommitted: {Display.Mib(givenMiB)} given of {Display.Mib(totalMiB)} ({ratio:0.##}×). "
            + (ratio > allowed
                ? $"That is beyond the {allowed:0.##}× placement allows: no new machine goes here, and guests that use their memory will make the host swap or be killed."
                : $"Placement allows up to {allowed:0.##}×; guests that use all they are given make the host swap.");
        return (ratio > allowed ? Severity.Error : Severity.Warning, text);
    }

    private CoreFourUsage Total()
    {
        var all = _hosts!.Select(For).ToList();
        var cores = all.Sum(u => u.Cores);
        return new CoreFourUsage(
            cores,
            _machines.Values.Sum(m => m.Vcpus),
            cores == 0 ? 0 : all.Sum(u => u.CpuPercent * u.Cores) / cores,
            all.Sum(u => u.MemoryBytes),
            all.Sum(u => u.MemoryUsedBytes),
            _machines.Values.Sum(m => (long)m.MemoryMiB),
            all.Sum(u => u.DiskTotalBytes),
            all.Sum(u => u.DiskUsedBytes),
            _machines.Values.Sum(m => (long)m.DiskGiB),
            _rates.All.Sum(r => r.NetRxPerSecond),
            _rates.All.Sum(r => r.NetTxPerSecond),
            _machines.Values.Sum(m => m.Networks));
    }
}
