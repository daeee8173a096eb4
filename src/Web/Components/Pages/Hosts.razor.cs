using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

public partial class Hosts
{
    /// <summary>How many machines each host lists here; the Machines page shows them all.</summary>
    private const int MachinesShown = 20;
    private List<HostView>? _hosts;
    private Dictionary<Guid, List<MachineView>> _machinesByHost = [];
    private string? _error;

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var hosts = await Data.GetHostsAsync(cancellationToken);
            var byHost = new Dictionary<Guid, List<MachineView>>();
            foreach (var host in hosts)
            {
                var page = await Data.QueryMachinesAsync(new MachineQuery(0, MachinesShown, HostId: host.Id), cancellationToken);
                byHost[host.Id] = [.. page.Items];
            }

            _hosts = [.. hosts];
            _machinesByHost = byHost;
            _error = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _error = "The hosts could not be read: " + ex.Message;
        }
    }

    protected override bool Apply(LiveChange change)
    {
        switch (change)
        {
            case HostChanged changed when _hosts is not null:
                var at = _hosts.FindIndex(h => h.Id == changed.Host.Id);
                if (at < 0)
                {
                    RequestReload();
                    return false;
                }

                _hosts[at] = changed.Host;
                return true;
            case MachineChanged changed:
                foreach (var list in _machinesByHost.Values)
                {
                    var i = list.FindIndex(m => m.Id == changed.Machine.Id);
                    if (i >= 0)
                    {
                        if (changed.Machine.IsOlderThan(list[i].UpdatedAt))
                        {
                            return false;
                        }

                        list[i] = changed.Machine;
                        return true;
                    }
                }

                RequestReload();
                return false;
            case MachineRemoved:
                RequestReload();
                return false;
            default:
                return false;
        }
    }
}
