using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>The tree of hosts and machines read from the fake data's lists (the search itself is tried on a real store, <see cref="SearchTestContext"/>).</summary>
public sealed class FakeDashboardSearch(FakeDashboardData data) : IDashboardSearch
{
    public Task<SearchResults> SearchAsync(string text, int perKind = 5, CancellationToken cancellationToken = default) =>
        Task.FromResult(SearchResults.None(text.Trim()));

    public Task<IReadOnlyList<HostBranch>> GetHostTreeAsync(CancellationToken cancellationToken = default)
    {
        lock (data.Machines)
        {
            IReadOnlyList<HostBranch> tree = [.. data.Hosts.OrderBy(h => h.Name).Select(h => new HostBranch(h.Id, h.Name, h.Online,
                [.. data.Machines.Where(m => m.HostId == h.Id).OrderBy(m => m.Name).Select(m => new MachineLeaf(m.Id, m.Name, m.State, m.LastKnownState))]))];
            return Task.FromResult(tree);
        }
    }
}
