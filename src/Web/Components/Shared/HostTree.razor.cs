using Microsoft.AspNetCore.Components;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Shared;

/// <summary>
/// Every host with the machines on it (those the signed-in user sees), each linked to its page and
/// with its state kept live; a new, moved, renamed or removed machine takes a new snapshot.
/// </summary>
public partial class HostTree
{
    private List<HostBranch>? _branches;

    [Inject] public required IDashboardSearch Search { get; init; }

    protected override async Task LoadAsync(CancellationToken cancellationToken) =>
        _branches = [.. await Search.GetHostTreeAsync(cancellationToken)];

    protected override bool Apply(LiveChange change)
    {
        if (_branches is null)
        {
            return false;
        }

        switch (change)
        {
            case MachineChanged { Machine: var machine }:
                for (var b = 0; b < _branches.Count; b++)
                {
                    var leaves = _branches[b].Machines;
                    var at = IndexOf(leaves, machine.Id);
                    if (at < 0)
                    {
                        continue;
                    }

                    if (_branches[b].HostId != machine.HostId || leaves[at].Name != machine.Name)
                    {
                        RequestReload();
                        return false;
                    }

                    _branches[b] = _branches[b] with { Machines = [.. leaves.Select((l, i) => i == at ? l with { State = machine.State, LastKnownState = machine.LastKnownState } : l)] };
                    return true;
                }

                // A machine the tree does not show yet.
                RequestReload();
                return false;
            case MachineRemoved removed when _branches.Any(b => b.Machines.Any(l => l.Id == removed.MachineId)):
                RequestReload();
                return false;
            case HostChanged { Host: var host }:
                var shown = _branches.FindIndex(b => b.HostId == host.Id);
                if (shown < 0 || _branches[shown].Name != host.Name)
                {
                    RequestReload();
                    return false;
                }

                if (_branches[shown].Online == host.Online)
                {
                    return false;
                }

                _branches[shown] = _branches[shown] with { Online = host.Online };
                return true;
            default:
                return false;
        }
    }

    private static int IndexOf(IReadOnlyList<MachineLeaf> leaves, Guid id)
    {
        for (var i = 0; i < leaves.Count; i++)
        {
            if (leaves[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Count(int machines) => machines == 1 ? "1 machine" : $"{machines} machines";

    private static string State(MachineLeaf leaf) => leaf.State == MachineState.Unknown && leaf.LastKnownState is { } last
        ? $"unknown (was {Display.State(last)})"
        : Display.State(leaf.State);
}
