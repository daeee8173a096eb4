using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Services;

/// <summary>What a search result is; the search box groups its results by it, in this order.</summary>
public enum SearchKind
{
    Machine,
    Host,
    Operation,
    Image,
    Snapshot,
}

/// <summary>One thing the search found: what it is called, a word about it, and the page it is on.</summary>
public sealed record SearchHit(SearchKind Kind, string Title, string? Detail, string Href);

/// <summary>
/// What a search for <paramref name="Text"/> found, grouped by kind, a few of each; <paramref name="More"/>
/// says how many more of a kind match than are shown.
/// </summary>
public sealed record SearchResults(string Text, IReadOnlyList<SearchHit> Hits, IReadOnlyDictionary<SearchKind, int>? More = null)
{
    public static SearchResults None(string text) => new(text, []);

    /// <summary>How many of <paramref name="kind"/> match beyond those shown.</summary>
    public int MoreOf(SearchKind kind) => More is not null && More.TryGetValue(kind, out var n) ? n : 0;
}

/// <summary>A host and the machines on it that the caller sees (the machines without a host: <see cref="HostId"/> null).</summary>
public sealed record HostBranch(Guid? HostId, string Name, bool Online, IReadOnlyList<MachineLeaf> Machines)
{
    /// <summary>The host's page (null for the machines without a host).</summary>
    public string? Href => HostId is null ? null : $"/hosts/{Uri.EscapeDataString(Name)}";
}

public sealed record MachineLeaf(Guid Id, string Name, MachineState State, MachineState? LastKnownState = null)
{
    public string Href => $"/machines/{Id}";
}

/// <summary>The dashboard's "find anything" and its tree of hosts and their machines.</summary>
public interface IDashboardSearch
{
    /// <summary>
    /// Machines (by name, or by a label's <c>key=value</c>), hosts, operations (by kind and target, or
    /// by the user who started them), images and snapshots whose name holds <paramref name="text"/>
    /// (in any case), or the machine, host or operation whose id it is; at most <paramref name="perKind"/>
    /// of each and how many more there are, as the caller may see them.
    /// </summary>
    Task<SearchResults> SearchAsync(string text, int perKind = 5, CancellationToken cancellationToken = default);

    /// <summary>Every host with the machines on it the caller sees, by name.</summary>
    Task<IReadOnlyList<HostBranch>> GetHostTreeAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The search and the tree against the inventory: every query runs in the database through the
/// caller's scope (the store's filters on machines and operations; snapshots through their
/// machines), a few rows of each kind; hosts and the catalog are everyone's, as their pages are.
/// </summary>
public sealed class DashboardSearch(IDbContextFactory<RingmasterDbContext> dbFactory) : IDashboardSearch
{
    /// <summary>The longest text searched for; more is cut off (a name is never that long).</summary>
    public const int MaxText = 100;

    public async Task<SearchResults> SearchAsync(string text, int perKind = 5, CancellationToken cancellationToken = default)
    {
        var trimmed = (text ?? "").Trim();
        if (trimmed.Length == 0)
        {
            return SearchResults.None("");
        }

        // Lowered on both sides, in SQL: contains in any case on SQLite and PostgreSQL alike.
        var term = (trimmed.Length > MaxText ? trimmed[..MaxText] : trimmed).ToLowerInvariant();
        var take = Math.Clamp(perKind, 1, 50);
        // An id pasted from the API, the CLI or a log finds what it names (and nothing else matches it).
        Guid? id = Guid.TryParse(trimmed, out var parsed) ? parsed : null;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var hits = new List<SearchHit>();

        // A machine is found by its name or by one of its labels, written key=value ("tier=web", "tier", "web").
        var matching = db.Machines.AsNoTracking()
            .Where(m => m.Id == id || m.Name.ToLower().Contains(term)
                || db.MachineLabels.Any(l => l.MachineId == m.Id && (l.Key + "=" + l.Value).ToLower().Contains(term)));
        var machines = await matching
            .OrderBy(m => m.Name).Take(take)
            .Select(m => new
            {
                m.Id, m.Name, m.State, m.Kind, m.Project,
                Label = db.MachineLabels.Where(l => l.MachineId == m.Id && (l.Key + "=" + l.Value).ToLower().Contains(term))
                    .OrderBy(l => l.Key).Select(l => l.Key + "=" + l.Value).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        hits.AddRange(machines.Select(m => new SearchHit(SearchKind.Machine, m.Name,
            $"{Kind(m.Kind)} · {State(m.State)} · {m.Project}" + (m.Label is not null && !m.Name.Contains(term, StringComparison.OrdinalIgnoreCase) ? $" · label {m.Label}" : ""),
            $"/machines/{m.Id}")));
        var more = new Dictionary<SearchKind, int>();
        await CountMoreAsync(more, SearchKind.Machine, machines.Count, take, matching, cancellationToken);

        var matchingHosts = db.Hosts.AsNoTracking().Where(h => h.Id == id || h.Name.ToLower().Contains(term));
        var hosts = await matchingHosts
            .OrderBy(h => h.Name).Take(take)
            .Select(h => new { h.Name, h.Online })
            .ToListAsync(cancellationToken);
        hits.AddRange(hosts.Select(h => new SearchHit(SearchKind.Host, h.Name, h.Online ? "online" : "offline", $"/hosts/{Uri.EscapeDataString(h.Name)}")));
        await CountMoreAsync(more, SearchKind.Host, hosts.Count, take, matchingHosts, cancellationToken);

        // An operation is named by its kind and its target ("machine.start web-1"), and found by those
        // or by who started it; newest first.
        var kinds = Enum.GetValues<OperationKind>().Where(k => k.Name().Contains(term, StringComparison.OrdinalIgnoreCase)).ToList();
        var matchingOperations = db.Operations.AsNoTracking()
            .Where(o => o.Id == id || o.Target.ToLower().Contains(term) || kinds.Contains(o.Kind) || o.User.ToLower().Contains(term));
        var operations = await matchingOperations
            .OrderByDescending(o => o.CreatedAt).Take(take)
            .Select(o => new { o.Id, o.Kind, o.Target, o.State, o.User })
            .ToListAsync(cancellationToken);
        hits.AddRange(operations.Select(o => new SearchHit(SearchKind.Operation, $"{o.Kind.Name()} {o.Target}", $"{o.State.ToString().ToLowerInvariant()} · by {o.User}", $"/operations/{o.Id}")));
        await CountMoreAsync(more, SearchKind.Operation, operations.Count, take, matchingOperations, cancellationToken);

        // Images and templates lead to their row on the Images and templates page.
        var matchingTemplates = db.Templates.AsNoTracking().Where(t => t.Name.ToLower().Contains(term) || t.Image.ToLower().Contains(term));
        var templates = await matchingTemplates
            .OrderBy(t => t.Name).Take(take)
            .Select(t => new { t.Name, t.Image })
            .ToListAsync(cancellationToken);
        var matchingImages = db.Images.AsNoTracking().Where(i => i.Name.ToLower().Contains(term));
        var images = await matchingImages
            .OrderBy(i => i.Name).Take(take)
            .Select(i => new { i.Name, i.Kind })
            .ToListAsync(cancellationToken);
        var catalog = templates.Select(t => new SearchHit(SearchKind.Image, t.Name, $"template · image {t.Image}", Components.Pages.Images.LinkTo(t.Name, template: true)))
            .Concat(images.Select(i => new SearchHit(SearchKind.Image, i.Name, $"{i.Kind.ToString().ToLowerInvariant()} image", Components.Pages.Images.LinkTo(i.Name, template: false))))
            .Take(take).ToList();
        hits.AddRange(catalog);
        if (templates.Count + images.Count > catalog.Count || templates.Count == take || images.Count == take)
        {
            var all = await matchingTemplates.CountAsync(cancellationToken) + await matchingImages.CountAsync(cancellationToken);
            if (all > catalog.Count)
            {
                more[SearchKind.Image] = all - catalog.Count;
            }
        }

        // Snapshots have no project of their own: the join with the (filtered) machines scopes them.
        var matchingSnapshots = from s in db.Snapshots.AsNoTracking()
                                join m in db.Machines.AsNoTracking() on s.MachineId equals m.Id
                                where s.Name.ToLower().Contains(term)
                                select new { s.Name, s.CreatedAt, MachineId = m.Id, Machine = m.Name };
        var snapshots = await matchingSnapshots.OrderByDescending(s => s.CreatedAt).Take(take).ToListAsync(cancellationToken);
        hits.AddRange(snapshots.Select(s => new SearchHit(SearchKind.Snapshot, s.Name, $"snapshot of {s.Machine}", $"/machines/{s.MachineId}")));
        await CountMoreAsync(more, SearchKind.Snapshot, snapshots.Count, take, matchingSnapshots, cancellationToken);

        return new SearchResults(trimmed, hits, more);
    }

    /// <summary>Counts the matches of a kind only when a full page of them was shown: then there may be more.</summary>
    private static async Task CountMoreAsync<T>(Dictionary<SearchKind, int> more, SearchKind kind, int shown, int take, IQueryable<T> matching, CancellationToken cancellationToken)
    {
        if (shown < take)
        {
            return;
        }

        var all = await matching.CountAsync(cancellationToken);
        if (all > shown)
        {
            more[kind] = all - shown;
        }
    }

    /// <summary>The Machines page listing every machine whose name holds <paramref name="text"/>.</summary>
    public static string MachinesNamed(string text) => $"/machines?name={Uri.EscapeDataString(text)}";

    public async Task<IReadOnlyList<HostBranch>> GetHostTreeAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var hosts = await db.Hosts.AsNoTracking().OrderBy(h => h.Name)
            .Select(h => new { h.Id, h.Name, h.Online })
            .ToListAsync(cancellationToken);
        // Only what a leaf shows, of the machines the caller sees.
        var machines = await db.Machines.AsNoTracking().OrderBy(m => m.Name)
            .Select(m => new { m.Id, m.Name, m.State, m.LastKnownState, m.HostId })
            .ToListAsync(cancellationToken);
        var byHost = machines.ToLookup(m => m.HostId);
        var branches = hosts
            .Select(h => new HostBranch(h.Id, h.Name, h.Online, [.. byHost[h.Id].Select(m => new MachineLeaf(m.Id, m.Name, m.State, m.LastKnownState))]))
            .ToList();
        var known = hosts.Select(h => (Guid?)h.Id).ToHashSet();
        var homeless = machines.Where(m => m.HostId is null || !known.Contains(m.HostId)).ToList();
        if (homeless.Count > 0)
        {
            branches.Add(new HostBranch(null, "No host", false, [.. homeless.Select(m => new MachineLeaf(m.Id, m.Name, m.State, m.LastKnownState))]));
        }

        return branches;
    }

    private static string Kind(MachineKind kind) => kind == MachineKind.Vm ? "VM" : "container";

    private static string State(MachineState state) => state.ToString().ToLowerInvariant();
}
