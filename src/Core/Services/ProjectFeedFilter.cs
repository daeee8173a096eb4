using Microsoft.EntityFrameworkCore;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>
/// Filters the live feed for a caller restricted to some projects: machine changes of its projects,
/// operations of its projects, removals of machines it saw, metrics of its guests.
/// </summary>
public sealed class ProjectFeedFilter
{
    private readonly IReadOnlyCollection<string> _projects;
    private readonly HashSet<Guid> _visible;

    private ProjectFeedFilter(IReadOnlyCollection<string> projects, HashSet<Guid> visible)
    {
        _projects = projects;
        _visible = visible;
    }

    /// <summary>Null when <paramref name="scope"/> sees everything (nothing to filter).</summary>
    public static async Task<ProjectFeedFilter?> ForAsync(IAccessScope scope, IDbContextFactory<RingmasterDbContext> dbFactory, CancellationToken cancellationToken)
    {
        if (scope.Projects is not { } projects)
        {
            return null;
        }

        var list = projects.ToList();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var ids = await db.Machines.IgnoreQueryFilters().Where(m => list.Contains(m.Project)).Select(m => m.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        return new ProjectFeedFilter(list, [.. ids]);
    }

    /// <summary>The change as this caller may see it, or null.</summary>
    public LiveChange? Apply(LiveChange change)
    {
        switch (change)
        {
            case MachineChanged m when _projects.Contains(m.Machine.Project):
                _visible.Add(m.Machine.Id);
                return change;
            case MachineChanged m:
                _visible.Remove(m.Machine.Id);
                return null;
            case MachineRemoved r:
                return _visible.Remove(r.MachineId) ? change : null;
            case OperationChanged o:
                // An operation belongs to the project of what it works on; work across projects (null) is for admins.
                return o.Operation.Project is { } project && _projects.Contains(project) ? change : null;
            case AlertChanged a:
                // An alert about a host (no project) is everyone's, like the host itself.
                return a.Alert.Project is not { } alertProject || _projects.Contains(alertProject) ? change : null;
            case MetricsChanged x:
                var mine = x.Metrics.Where(g => _visible.Contains(g.Id)).ToList();
                return mine.Count == 0 ? null : x with { Metrics = mine };
            default:
                return change;
        }
    }
}
