using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

/// <summary>
/// Keeps the inventory in step with what the agents report: registration and reconciliation,
/// heartbeats, guest changes, and hosts going offline.
/// </summary>
public sealed class InventoryService(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    LiveFeed feed,
    PendingCommands pending,
    MetricsHistory history,
    ILogger<InventoryService> logger)
{
    /// <summary>One change of a machine at a time (see <see cref="GuestChangedAsync"/>).</summary>
    private readonly KeyedGates<Guid> _machineGates = new();

    /// <summary>
    /// Registers (or re-registers) a host and reconciles its machines with the guests its agent
    /// reports: known guests take the reported state, unknown running guests are adopted, and
    /// machines the agent no longer has are marked lost — never silently dropped.
    /// </summary>
    public async Task<RegistrationResult> RegisterAsync(AgentRegistration registration, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using var turn = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await DatabaseProvider.LockHostAsync(db, registration.HostId, cancellationToken).ConfigureAwait(false);
        var now = DateTime.UtcNow;
        var host = await db.Hosts.FindAsync([registration.HostId], cancellationToken).ConfigureAwait(false);
        var isNew = host is null;
        if (host is null)
        {
            host = new HostEntity { Id = registration.HostId, Name = registration.HostName, RegisteredAt = now };
            db.Hosts.Add(host);
        }

        host.Name = registration.HostName;
        host.Online = true;
        host.LastSeenAt = now;
        host.AgentVersion = registration.AgentVersion;
        host.Capabilities = registration.Capabilities;
        AddEvent(db, isNew ? "host.registered" : "host.online", null, host.Id, $"Host {host.Name} is online.");

        var reported = registration.Guests.ToDictionary(g => g.Id);
        var unlisted = registration.Unlisted ?? [];
        var commanded = (registration.Holdings?.Running ?? []).Select(c => c.MachineId).ToHashSet();
        // Read untracked: a reported machine is tracked when its report is applied; the lost ones change
        // together in a few statements (a host back with none of its thousands of machines).
        var known = await db.Machines.AsNoTracking().Where(m => m.HostId == host.Id || reported.Keys.Contains(m.Id))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var changed = new List<MachineEntity>();
        var lost = new List<MachineEntity>();
        foreach (var machine in known)
        {
            if (reported.Remove(machine.Id, out var guest))
            {
                if (machine.HostId is { } owner && owner != host.Id)
                {
                    // A copy of a machine that belongs to another host (a move that did not finish letting go):
                    // only Ringmaster's own commands move a machine; settling the move removes the copy.
                    logger.LogWarning("Host {Host} reports {Machine}, which belongs to host {Owner}: a leftover copy, not moved", host.Name, machine.Name, owner);
                    continue;
                }

                db.Machines.Attach(machine);
                machine.HostId = host.Id;
                Apply(machine, guest, now);
                changed.Add(machine);
            }
            else if (machine.HostId == host.Id && machine.State is not (MachineState.Creating or MachineState.Deleting or MachineState.Migrating or MachineState.Lost)
                && !unlisted.Contains(machine.Kind) && !commanded.Contains(machine.Id))
            {
                // Not for a machine a command was changing when the agent listed its guests (a create
                // that finished since, whose outcome came first), nor for one of a kind the agent
                // could not list: that is no news about it.
                lost.Add(machine);
                changed.Add(machine);
            }
        }

        await MarkLostAsync(db, host, lost, now, cancellationToken).ConfigureAwait(false);

        var names = new HashSet<string>(await db.Machines.Select(m => m.Name).ToListAsync(cancellationToken).ConfigureAwait(false), StringComparer.Ordinal);
        foreach (var guest in reported.Values)
        {
            var name = UniqueName(guest.Name, names);
            var machine = new MachineEntity
            {
                Id = guest.Id,
                Name = name,
                Kind = guest.Kind,
                Engine = MachineEngines.EngineOf(guest.Kind, guest.Engine),
                Template = "adopted",
                Image = guest.Image,
                Spec = guest.Spec,
                HostId = host.Id,
                Labels = guest.Labels,
                CreatedAt = now,
            };
            Apply(machine, guest, now);
            db.Machines.Add(machine);
            changed.Add(machine);
            AddEvent(db, "machine.adopted", machine.Id, host.Id, $"Adopted {guest.Kind.ToString().ToLowerInvariant()} {name} found on {host.Name}.");
            logger.LogInformation("Adopted guest {Name} ({Id}) found on host {Host}", name, guest.Id, host.Name);
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await turn.CommitAsync(cancellationToken).ConfigureAwait(false);
        var count = await db.Machines.CountAsync(m => m.HostId == host.Id, cancellationToken).ConfigureAwait(false);
        feed.Publish(new HostChanged(host.ToView(count)));
        foreach (var machine in changed)
        {
            feed.Publish(new MachineChanged(machine.ToView(host.Name)));
        }

        return new RegistrationResult(host.Id, HeartbeatSeconds);
    }

    public const int HeartbeatSeconds = 3;

    /// <summary>
    /// Records a heartbeat. True when the host had been taken for offline (its heartbeats came late
    /// while its connection stayed up): its machines say Unknown, and its agent should send its whole
    /// state again.
    /// </summary>
    public async Task<bool> HeartbeatAsync(AgentHeartbeat heartbeat, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using var turn = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await DatabaseProvider.LockHostAsync(db, heartbeat.HostId, cancellationToken).ConfigureAwait(false);
        var host = await db.Hosts.FindAsync([heartbeat.HostId], cancellationToken).ConfigureAwait(false);
        if (host is null)
        {
            return false;
        }

        var cameBack = !host.Online;

        host.LastSeenAt = DateTime.UtcNow;
        host.CpuPercent = heartbeat.CpuPercent;
        host.MemoryUsedBytes = heartbeat.MemoryUsedBytes;
        if (host.Capabilities is { } capabilities && heartbeat.DiskFreeBytes > 0)
        {
            host.Capabilities = capabilities with { DiskFreeBytes = heartbeat.DiskFreeBytes };
        }

        host.Online = true;
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await turn.CommitAsync(cancellationToken).ConfigureAwait(false);
        history.RecordHost(host.Id, heartbeat.At, heartbeat.CpuPercent, heartbeat.MemoryUsedBytes, host.Capabilities?.MemoryBytes ?? 0);
        var count = await db.Machines.CountAsync(m => m.HostId == host.Id, cancellationToken).ConfigureAwait(false);
        feed.Publish(new HostChanged(host.ToView(count)));
        return cameBack;
    }

    /// <summary>Keeps what a host can do now (its agent says so when it changes).</summary>
    public async Task CapabilitiesChangedAsync(Guid hostId, HostCapabilities capabilities, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var host = await db.Hosts.FindAsync([hostId], cancellationToken).ConfigureAwait(false);
        if (host is null)
        {
            return;
        }

        host.Capabilities = capabilities;
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        var count = await db.Machines.CountAsync(m => m.HostId == host.Id, cancellationToken).ConfigureAwait(false);
        feed.Publish(new HostChanged(host.ToView(count)));
    }

    /// <summary>Applies a guest's reported state to its machine.</summary>
    public async Task<MachineView?> GuestChangedAsync(Guid hostId, GuestInfo guest, CancellationToken cancellationToken = default)
    {
        // One change of a machine at a time, so what is published follows the order it was saved in.
        using var held = await _machineGates.EnterAsync(guest.Id, cancellationToken).ConfigureAwait(false);
        return await ApplyGuestAsync(hostId, guest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A guest's state as its agent saw it on its own (the watch loop). A report from a host the
    /// machine no longer belongs to is late news (the source of a migration that ended, listed just
    /// before it let go) and changes nothing: only Ringmaster's own commands move a machine.
    /// </summary>
    public async Task<MachineView?> GuestReportedAsync(Guid hostId, GuestInfo guest, CancellationToken cancellationToken = default)
    {
        using var held = await _machineGates.EnterAsync(guest.Id, cancellationToken).ConfigureAwait(false);
        return await ApplyGuestAsync(hostId, guest, cancellationToken, onlyFromItsHost: true).ConfigureAwait(false);
    }

    private async Task<MachineView?> ApplyGuestAsync(Guid hostId, GuestInfo guest, CancellationToken cancellationToken, bool onlyFromItsHost = false)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var machine = await db.Machines.FindAsync([guest.Id], cancellationToken).ConfigureAwait(false);
        if (machine is null)
        {
            return null;
        }

        if (onlyFromItsHost && machine.HostId is { } owner && owner != hostId)
        {
            logger.LogDebug("Ignored a report of {Machine} from host {Host}: it belongs to host {Owner}", machine.Name, hostId, owner);
            return null;
        }

        var before = machine.State;
        machine.HostId = hostId;
        Apply(machine, guest, DateTime.UtcNow);
        if (before != machine.State)
        {
            AddEvent(db, "machine.state", machine.Id, hostId, $"Machine {machine.Name}: {before} → {machine.State}.");
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        var hostName = await db.Hosts.Where(h => h.Id == hostId).Select(h => h.Name).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        var view = machine.ToView(hostName);
        feed.Publish(new MachineChanged(view));
        return view;
    }

    /// <summary>The agent no longer has a guest: unless Ringmaster is deleting it, the machine is lost.</summary>
    public async Task GuestRemovedAsync(Guid hostId, Guid machineId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var machine = await db.Machines.FindAsync([machineId], cancellationToken).ConfigureAwait(false);
        if (machine is null || machine.HostId != hostId || machine.State is MachineState.Creating or MachineState.Deleting or MachineState.Lost)
        {
            return;
        }

        var hostName = await db.Hosts.Where(h => h.Id == hostId).Select(h => h.Name).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        machine.State = MachineState.Lost;
        machine.Detail = $"The agent on {hostName} no longer reports this machine.";
        machine.UpdatedAt = DateTime.UtcNow;
        AddEvent(db, "machine.lost", machine.Id, hostId, $"Machine {machine.Name} is lost: it disappeared from its host.");
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        feed.Publish(new MachineChanged(machine.ToView(hostName)));
    }

    /// <summary>
    /// Marks a host offline: its machines show <see cref="MachineState.Unknown"/> until the agent is back.
    /// With <paramref name="silentBefore"/> (the offline sweep), only if the agent has still not been heard
    /// from since then: it may have registered or sent a heartbeat after the sweep chose the host.
    /// </summary>
    public async Task MarkOfflineAsync(Guid hostId, string reason, DateTime? silentBefore = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        // In turn with the host's registration and heartbeats: a registration that wrote its machines'
        // states while this read them would otherwise be overwritten with Unknown, on a host it left online.
        await using var turn = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await DatabaseProvider.LockHostAsync(db, hostId, cancellationToken).ConfigureAwait(false);
        var host = await db.Hosts.FindAsync([hostId], cancellationToken).ConfigureAwait(false);
        if (host is null)
        {
            return;
        }

        if (silentBefore is { } cutoff && host.LastSeenAt >= cutoff)
        {
            return;
        }

        pending.FailHost(hostId, $"The host's agent went away ({reason}).");

        var wasOnline = host.Online;
        host.Online = false;
        // Read untracked and changed in one statement per state they were in, not one UPDATE per machine:
        // a host may hold thousands, and the database is locked for writing until this commits.
        var machines = await db.Machines.AsNoTracking().Where(m => m.HostId == hostId).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (!wasOnline && machines.All(m => m.State is MachineState.Unknown or MachineState.Lost))
        {
            return;
        }

        var now = DateTime.UtcNow;
        foreach (var group in machines.Where(m => m.State is not (MachineState.Unknown or MachineState.Lost)).GroupBy(m => m.State))
        {
            var last = group.Key;
            var detail = $"Host {host.Name} is offline; last known state: {last}.";
            await db.Machines.Where(m => m.HostId == hostId && m.State == last)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(m => m.LastKnownState, last)
                    .SetProperty(m => m.State, MachineState.Unknown)
                    .SetProperty(m => m.Detail, detail)
                    .SetProperty(m => m.UpdatedAt, now), cancellationToken).ConfigureAwait(false);
            foreach (var machine in group)
            {
                machine.LastKnownState = last;
                machine.State = MachineState.Unknown;
                machine.Detail = detail;
                machine.UpdatedAt = now;
            }
        }

        AddEvent(db, "host.offline", null, hostId, $"Host {host.Name} is offline: {reason}.");
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await turn.CommitAsync(cancellationToken).ConfigureAwait(false);
        logger.LogWarning("Host {Host} is offline: {Reason}", host.Name, reason);
        feed.Publish(new HostChanged(host.ToView(machines.Count)));
        foreach (var machine in machines)
        {
            feed.Publish(new MachineChanged(machine.ToView(host.Name)));
        }
    }

    /// <summary>
    /// Marks offline every host whose agent has been silent for longer than <paramref name="timeout"/>:
    /// online hosts that stopped heartbeating, and hosts not yet reconnected since the server started
    /// whose machines still show their last reported state.
    /// </summary>
    public async Task<int> SweepAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var cutoff = DateTime.UtcNow - timeout;
        List<Guid> stale;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            var silent = db.Hosts.Where(h => h.LastSeenAt == null || h.LastSeenAt < cutoff);
            stale = await silent
                .Where(h => h.Online || db.Machines.Any(m => m.HostId == h.Id && m.State != MachineState.Unknown && m.State != MachineState.Lost))
                .Select(h => h.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var id in stale)
        {
            await MarkOfflineAsync(id, $"no heartbeat for {timeout.TotalSeconds:0} s", cutoff, cancellationToken).ConfigureAwait(false);
        }

        return stale.Count;
    }

    /// <summary>
    /// At server start no agent is connected yet: every host counts as offline until its agent
    /// registers again. Machines keep their last reported state for one heartbeat timeout (agents
    /// dial back within seconds); <see cref="SweepAsync"/> turns them Unknown if it does not.
    /// </summary>
    public async Task ResetConnectionsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await db.Hosts.Where(h => h.Online).ExecuteUpdateAsync(u => u.SetProperty(h => h.Online, false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Marks <paramref name="machines"/> (untracked, of <paramref name="host"/>) lost, in a statement per
    /// thousand machines rather than one each, with an event each; the entities say so too, for what is published.
    /// </summary>
    private static async Task MarkLostAsync(RingmasterDbContext db, HostEntity host, List<MachineEntity> machines, DateTime now, CancellationToken cancellationToken)
    {
        var detail = $"The agent on {host.Name} no longer reports this machine.";
        foreach (var chunk in machines.Chunk(1000))
        {
            var ids = chunk.Select(m => m.Id).ToList();
            await db.Machines.Where(m => m.HostId == host.Id && ids.Contains(m.Id))
                .ExecuteUpdateAsync(u => u
                    .SetProperty(m => m.State, MachineState.Lost)
                    .SetProperty(m => m.Detail, detail)
                    .SetProperty(m => m.UpdatedAt, now), cancellationToken).ConfigureAwait(false);
        }

        foreach (var machine in machines)
        {
            machine.State = MachineState.Lost;
            machine.Detail = detail;
            machine.UpdatedAt = now;
            AddEvent(db, "machine.lost", machine.Id, host.Id, $"Machine {machine.Name} is lost: its host's agent does not report it.");
        }
    }

    private static void Apply(MachineEntity machine, GuestInfo guest, DateTime now)
    {
        machine.State = guest.State;
        machine.LastKnownState = null;
        machine.Detail = guest.Detail;
        // A start time is kept as reported (a time, not an age); a report without one keeps the
        // one known while the guest still runs.
        machine.StartedAt = guest.State is MachineState.Running or MachineState.Paused
            ? guest.StartedAt?.UtcDateTime ?? machine.StartedAt
            : null;
        machine.UpdatedAt = now;
    }

    private static string UniqueName(string wanted, HashSet<string> taken)
    {
        var name = MachineNames.IsValid(wanted) ? wanted : MachineNames.Sanitize(wanted);
        var candidate = name;
        for (var i = 2; taken.Contains(candidate); i++)
        {
            var suffix = "-" + i;
            candidate = name[..Math.Min(name.Length, MachineNames.MaxLength - suffix.Length)] + suffix;
        }

        taken.Add(candidate);
        return candidate;
    }

    internal static void AddEvent(RingmasterDbContext db, string type, Guid? machineId, Guid? hostId, string message) =>
        db.Events.Add(new EventEntity { At = DateTime.UtcNow, Type = type, MachineId = machineId, HostId = hostId, Message = message });
}
