using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>What agents hold and report: adopted, recorded, copies removed, machines left transitional set right.</summary>
public sealed partial class OperationRecovery
{
    /// <summary>Records what an agent removed at its start, in an event each and in the log of the interrupted operation it belonged to.</summary>
    private async Task RecordDiscardedAsync(Guid hostId, IReadOnlyList<DiscardedLeftover> discarded)
    {
        if (discarded.Count == 0)
        {
            return;
        }

        var host = await HostNameAsync(hostId).ConfigureAwait(false);
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        foreach (var leftover in discarded)
        {
            var message = $"{host} removed {leftover.What}, {leftover.Bytes / 1024} KiB, left unfinished by an interrupted operation.";
            InventoryService.AddEvent(db, "leftover.removed", leftover.MachineId, hostId, message);
            foreach (var x in _interrupted.Values.Where(x => x.Hosts.Contains(hostId)
                && ((leftover.MachineId is { } m && x.Machines.Contains(m)) || (leftover.BackupId is { } b && x.Intent.BackupId == b))))
            {
                x.Notes.Add(message);
            }
        }

        await db.SaveChangesAsync().ConfigureAwait(false);
    }

    /// <summary>Records the snapshots and backups an agent holds that the inventory does not know (an interrupted operation made them).</summary>
    private async Task AdoptAsync(Guid hostId, AgentHoldings holdings, CancellationToken cancellationToken)
    {
        foreach (var held in holdings.Snapshots)
        {
            foreach (var snapshot in held.Snapshots)
            {
                await AdoptSnapshotAsync(hostId, held.MachineId, snapshot, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var backup in holdings.Backups ?? [])
        {
            await AdoptBackupAsync(hostId, backup.Info, backup.Spec, backup.Image, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AdoptOutcomeAsync(Guid hostId, CommandResult result, CancellationToken cancellationToken)
    {
        if (result.Snapshot is { } snapshot && result.OperationId is { } operationId)
        {
            var machineId = _interrupted.TryGetValue(operationId, out var x) ? x.Operation.MachineId : await MachineOfAsync(operationId).ConfigureAwait(false);
            if (machineId is { } id)
            {
                await AdoptSnapshotAsync(hostId, id, snapshot, cancellationToken).ConfigureAwait(false);
            }
        }

        if (result.Backup is { } backup)
        {
            MachineSpec? spec = null;
            var image = "";
            await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await db.Machines.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(m => m.Id == backup.MachineId, cancellationToken).ConfigureAwait(false) is { } machine)
                {
                    (spec, image) = (machine.Spec, machine.Image);
                }
            }

            await AdoptBackupAsync(hostId, backup, spec, image, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Guid?> MachineOfAsync(Guid operationId)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        return await db.Operations.IgnoreQueryFilters().Where(o => o.Id == operationId).Select(o => o.MachineId).FirstOrDefaultAsync().ConfigureAwait(false);
    }

    private async Task AdoptSnapshotAsync(Guid hostId, Guid machineId, SnapshotInfo info, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (await db.Snapshots.AnyAsync(s => s.Id == info.Id, cancellationToken).ConfigureAwait(false)
            || await db.Machines.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(m => m.Id == machineId, cancellationToken).ConfigureAwait(false) is not { } machine
            || machine.HostId != hostId)
        {
            return;
        }

        // A name is unique per machine: a snapshot the inventory already names otherwise keeps its id, with its name marked.
        var name = info.Name;
        if (await db.Snapshots.AnyAsync(s => s.MachineId == machineId && s.Name == name, cancellationToken).ConfigureAwait(false))
        {
            name = $"{info.Name}-{info.Id.ToString("N")[..6]}";
        }

        db.Snapshots.Add(new SnapshotEntity
        {
            Id = info.Id,
            MachineId = machineId,
            Name = name,
            Description = info.Description,
            ParentId = info.ParentId,
            IncludesMemory = info.IncludesMemory,
            CreatedAt = info.CreatedAt.UtcDateTime,
        });
        var host = await HostNameAsync(hostId).ConfigureAwait(false);
        var message = $"Snapshot {name} of {machine.Name} found on {host} and recorded{(info.IncludesMemory ? " (with memory)" : "")}: an operation interrupted by the server's stop had taken it.";
        InventoryService.AddEvent(db, "snapshot.adopted", machineId, hostId, message);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var x in _interrupted.Values.Where(x => x.Intent.SnapshotId == info.Id))
        {
            x.Notes.Add(message);
        }

        logger.LogInformation("Adopted snapshot {Snapshot} of {Machine} found on {Host}", name, machine.Name, host);
        feed.Publish(new MachineChanged(machine.ToView(host)));
    }

    private async Task AdoptBackupAsync(Guid hostId, BackupInfo info, MachineSpec? spec, string image, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (await db.Backups.IgnoreQueryFilters().AnyAsync(b => b.Id == info.Id, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var scheduleId = _interrupted.Values.FirstOrDefault(x => x.Intent.BackupId == info.Id)?.Intent.ScheduleId;
        // It belongs where its machine (or the rest of its chain) belongs.
        var project = await db.Machines.IgnoreQueryFilters().Where(m => m.Id == info.MachineId).Select(m => m.Project).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? await db.Backups.IgnoreQueryFilters().Where(b => b.MachineId == info.MachineId).Select(b => b.Project).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? ProjectEntity.Default;
        db.Backups.Add(new BackupEntity
        {
            Id = info.Id,
            MachineId = info.MachineId,
            MachineName = info.MachineName,
            Project = project,
            Kind = info.Kind,
            HostId = hostId,
            PreviousBackupId = info.PreviousBackupId,
            IncludesMemory = info.IncludesMemory,
            CreatedAt = info.CreatedAt.UtcDateTime,
            SizeBytes = info.SizeBytes,
            DiskBytes = info.DiskBytes,
            StoredBlocks = info.StoredBlocks,
            File = info.File,
            Spec = spec,
            Image = image,
            ScheduleId = scheduleId,
        });
        var host = await HostNameAsync(hostId).ConfigureAwait(false);
        var message = $"A backup of {info.MachineName} ({info.SizeBytes / 1024} KiB) found in the store of {host} and recorded: an operation interrupted by the server's stop had written it.";
        var machineId = await db.Machines.IgnoreQueryFilters().AnyAsync(m => m.Id == info.MachineId, cancellationToken).ConfigureAwait(false) ? info.MachineId : (Guid?)null;
        InventoryService.AddEvent(db, "backup.adopted", machineId, hostId, message);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var x in _interrupted.Values.Where(x => x.Intent.BackupId == info.Id))
        {
            x.Notes.Add(message);
        }

        logger.LogInformation("Adopted backup {Backup} of {Machine} found on {Host}", info.Id, info.MachineName, host);
    }

    /// <summary>
    /// Machines of a host left in a transitional state (creating, deleting, migrating) with no
    /// operation behind them take what their host reports; one whose guest the host does not have
    /// is removed (nothing was made, or its delete was done) or, mid-move, found on another host or
    /// marked lost.
    /// </summary>
    private async Task SweepAsync(Guid hostId, CancellationToken cancellationToken)
    {
        List<MachineEntity> stuck;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            stuck = await db.Machines.IgnoreQueryFilters().AsNoTracking()
                .Where(m => m.HostId == hostId && (m.State == MachineState.Creating || m.State == MachineState.Deleting || m.State == MachineState.Migrating))
                .ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        stuck.RemoveAll(m => operations.IsBusy(m.Id));
        if (stuck.Count == 0)
        {
            return;
        }

        var guests = new Guests(agents, cancellationToken);
        var host = await HostNameAsync(hostId).ConfigureAwait(false);
        foreach (var machine in stuck)
        {
            try
            {
                if (await guests.OnAsync(hostId, machine.Id).ConfigureAwait(false) is { } guest)
                {
                    await inventory.GuestChangedAsync(hostId, guest, cancellationToken).ConfigureAwait(false);
                    await AddEventAsync("machine.settled", machine.Id, hostId, $"Machine {machine.Name} was {machine.State} with no operation behind it; {host} reports it {guest.State}.").ConfigureAwait(false);
                    continue;
                }

                if (machine.State == MachineState.Migrating)
                {
                    await SetLostAsync(machine.Id, $"It was moving, with no operation behind it, and {host} does not report it.").ConfigureAwait(false);
                    continue;
                }

                var verb = machine.State == MachineState.Creating ? "never made" : "already deleted";
                await RemoveRecordAsync(machine.Id, "machine.removed", n => $"Machine {n} is removed: it was {machine.State} with no operation behind it, and {host} does not have it ({verb}).").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AgentUnavailableException or AgentCommandException)
            {
                logger.LogWarning("Could not settle machine {Machine}, left {State}: {Reason}", machine.Name, machine.State, ex.Message);
            }
        }
    }

    private async Task DeleteOnHostAsync(Guid? hostId, Guid machineId)
    {
        if (hostId is { } id && agents.IsConnected(id))
        {
            await agents.ExecuteAsync(id, new AgentCommand(Guid.NewGuid(), _settling, AgentCommandKind.Delete, machineId), s_commandTimeout, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a machine's record (and its snapshots' records), with an event; returns its name, or null when there was none.</summary>
    private async Task<string?> RemoveRecordAsync(Guid machineId, string eventType, Func<string, string> message)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var machine = await db.Machines.IgnoreQueryFilters().FirstOrDefaultAsync(m => m.Id == machineId).ConfigureAwait(false);
        if (machine is null)
        {
            return null;
        }

        await db.Snapshots.Where(s => s.MachineId == machineId).ExecuteDeleteAsync().ConfigureAwait(false);
        db.Machines.Remove(machine);
        InventoryService.AddEvent(db, eventType, null, machine.HostId, message(machine.Name));
        await db.SaveChangesAsync().ConfigureAwait(false);
        consoles.Forget(machineId);
        feed.Publish(new MachineRemoved(machineId, machine.Name));
        return machine.Name;
    }

    private async Task SetLostAsync(Guid machineId, string detail)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var machine = await db.Machines.IgnoreQueryFilters().FirstOrDefaultAsync(m => m.Id == machineId).ConfigureAwait(false);
        if (machine is null)
        {
            return;
        }

        machine.State = MachineState.Lost;
        machine.Detail = detail;
        machine.UpdatedAt = DateTime.UtcNow;
        InventoryService.AddEvent(db, "machine.lost", machine.Id, machine.HostId, $"Machine {machine.Name} is lost: {detail}");
        await db.SaveChangesAsync().ConfigureAwait(false);
        var host = machine.HostId is { } h ? await HostNameAsync(h).ConfigureAwait(false) : null;
        feed.Publish(new MachineChanged(machine.ToView(host)));
    }

    private async Task AddEventAsync(string type, Guid? machineId, Guid? hostId, string message)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        InventoryService.AddEvent(db, type, machineId, hostId, message);
        await db.SaveChangesAsync().ConfigureAwait(false);
    }

    private async Task<string> HostNameAsync(Guid hostId)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        return await db.Hosts.Where(h => h.Id == hostId).Select(h => h.Name).FirstOrDefaultAsync().ConfigureAwait(false) ?? $"host {hostId}";
    }

    /// <summary>
    /// Guests a host reports of machines that belong to another host are copies (a move that failed
    /// after the target had it all, when the target could not be told). Once the machine's own host
    /// reports it too and no operation works on it, the copy goes, with an event.
    /// </summary>
    private async Task RemoveCopiesAsync(CancellationToken cancellationToken)
    {
        Dictionary<Guid, MachineEntity> machines;
        var reported = _copies.Keys.ToArray();
        _copies.Clear();
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            var ids = reported.Select(r => r.Machine).Distinct().ToList();
            machines = await db.Machines.IgnoreQueryFilters().AsNoTracking().Where(m => ids.Contains(m.Id) && m.HostId != null).ToDictionaryAsync(m => m.Id, cancellationToken).ConfigureAwait(false);
        }

        var guests = new Guests(agents, cancellationToken);
        _settling = Guid.Empty;
        foreach (var (machineId, copyHost) in reported)
        {
            if (!machines.TryGetValue(machineId, out var machine) || machine.HostId == copyHost || operations.IsBusy(machine.Id))
            {
                continue;
            }

            try
            {
                if (!agents.IsConnected(machine.HostId!.Value) || !agents.IsConnected(copyHost))
                {
                    // Looked at again when a host registers.
                    _copies[(machine.Id, copyHost)] = true;
                    continue;
                }

                if (await guests.OnAsync(machine.HostId, machine.Id).ConfigureAwait(false) is null)
                {
                    continue;
                }

                await DeleteOnHostAsync(copyHost, machine.Id).ConfigureAwait(false);
                var (copy, owner) = (await HostNameAsync(copyHost).ConfigureAwait(false), await HostNameAsync(machine.HostId.Value).ConfigureAwait(false));
                await AddEventAsync("machine.copy-removed", machine.Id, copyHost, $"{copy} had a copy of machine {machine.Name}, which is on {owner}: the copy is removed.").ConfigureAwait(false);
                logger.LogWarning("Removed the copy of {Machine} on {Copy}: the machine is on {Owner}", machine.Name, copy, owner);
            }
            catch (Exception ex) when (ex is AgentUnavailableException or AgentCommandException)
            {
                logger.LogWarning("Could not remove the copy of {Machine} on host {Host}: {Reason}", machine.Name, copyHost, ex.Message);
            }
        }
    }
}
