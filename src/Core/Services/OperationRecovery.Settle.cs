using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>How each kind of interrupted operation is settled: finished when its work is done, undone when it is not, from what its hosts have now.</summary>
public sealed partial class OperationRecovery
{
    /// <summary>What each host has now, asked once per settling.</summary>
    private sealed class Guests(IAgentGateway agents, CancellationToken cancellationToken)
    {
        private readonly Dictionary<Guid, IReadOnlyList<GuestInfo>> _byHost = [];

        public async Task<GuestInfo?> OnAsync(Guid? hostId, Guid machineId)
        {
            if (hostId is not { } id)
            {
                return null;
            }

            if (!_byHost.TryGetValue(id, out var guests))
            {
                guests = await agents.ListGuestsAsync(id, cancellationToken).ConfigureAwait(false);
                _byHost[id] = guests;
            }

            return guests.FirstOrDefault(g => g.Id == machineId);
        }
    }

    private async Task<Settlement> DecideAsync(Interrupted x, Guests guests)
    {
        var operation = x.Operation;
        var intent = x.Intent;
        MachineEntity? machine;
        await using (var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false))
        {
            machine = operation.MachineId is { } id ? await db.Machines.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(m => m.Id == id).ConfigureAwait(false) : null;
        }

        var hostId = intent.HostId ?? machine?.HostId;
        var host = hostId is { } h ? await HostNameAsync(h).ConfigureAwait(false) : "its host";
        if (operation.Intent is null && operation.Kind is not (OperationKind.MachineCreate or OperationKind.MachineDelete))
        {
            // Begun by a server that did not record intents: what it took or moved is not known.
            return await SettleOtherAsync(operation, hostId, host, guests).ConfigureAwait(false);
        }

        return operation.Kind switch
        {
            OperationKind.MachineCreate => await SettleMadeAsync(intent.NewMachineId ?? operation.MachineId!.Value, hostId, host, guests, "create",
                g => intent.Start && g.State != MachineState.Running ? $" It is {g.State.ToString().ToLowerInvariant()}, not running: start it." : "").ConfigureAwait(false),
            OperationKind.MachineClone => await SettleCloneAsync(x, hostId, host, guests).ConfigureAwait(false),
            OperationKind.BackupRestore when intent.NewMachineId is not null => await SettleMadeAsync(intent.NewMachineId.Value, hostId, host, guests, "restore", _ => "").ConfigureAwait(false),
            OperationKind.BackupRestore => await SettleReplaceAsync(operation, hostId, host, guests).ConfigureAwait(false),
            OperationKind.MachineDelete => await SettleDeleteAsync(operation, hostId, host, guests).ConfigureAwait(false),
            OperationKind.MachineMigrate => await SettleMigrationAsync(x, machine, guests).ConfigureAwait(false),
            OperationKind.SnapshotCreate or OperationKind.ScheduleSnapshot => await SettleSnapshotAsync(x, hostId, host).ConfigureAwait(false),
            OperationKind.SnapshotDelete => await SettleSnapshotDeleteAsync(x, hostId, host).ConfigureAwait(false),
            OperationKind.MachineBackup or OperationKind.ScheduleBackup => await SettleBackupAsync(x, host).ConfigureAwait(false),
            OperationKind.BackupDelete => await SettleBackupDeleteAsync(x, hostId, host).ConfigureAwait(false),
            _ when intent.Action is { } action && operation.MachineId is { } target => await SettleActionAsync(target, action, hostId, host, guests).ConfigureAwait(false),
            _ => await SettleOtherAsync(operation, hostId, host, guests).ConfigureAwait(false),
        };
    }

    /// <summary>A create or a restore as a new machine: the guest exists on its host (finished) or not (undone: the record and anything half made go).</summary>
    private async Task<Settlement> SettleMadeAsync(Guid machineId, Guid? hostId, string host, Guests guests, string what, Func<GuestInfo, string> note)
    {
        if (await guests.OnAsync(hostId, machineId).ConfigureAwait(false) is { } guest)
        {
            var view = await inventory.GuestChangedAsync(hostId!.Value, guest).ConfigureAwait(false);
            return Settlement.Done(view, $"{host} reports {guest.Name} ({guest.State}): the {what} had done its work when the server stopped.{note(guest)}");
        }

        await DeleteOnHostAsync(hostId, machineId).ConfigureAwait(false);
        var name = await RemoveRecordAsync(machineId, "machine.removed", n => $"Machine {n} is removed: its {what} was interrupted before {host} made it.").ConfigureAwait(false) ?? "the machine";
        return Settlement.Failed($"Interrupted: the server stopped during the {what}, before {host} had made {name}. Undone: the machine record is removed and nothing of it is left on {host}.",
            $"{host} does not have {name}: undone.");
    }

    private async Task<Settlement> SettleCloneAsync(Interrupted x, Guid? hostId, string host, Guests guests)
    {
        if (x.Intent.NewMachineId is not { } cloneId)
        {
            return Settlement.Failed("Interrupted: the server stopped before the clone began; nothing was made.");
        }

        if (x.Intent.TargetHostId is not { } targetId)
        {
            return await SettleMadeAsync(cloneId, hostId, host, guests, "clone", _ => "").ConfigureAwait(false);
        }

        // A clone placed on another host: made on the source's host, then moved.
        var target = await HostNameAsync(targetId).ConfigureAwait(false);
        if (await guests.OnAsync(targetId, cloneId).ConfigureAwait(false) is { } moved)
        {
            var view = await inventory.GuestChangedAsync(targetId, moved).ConfigureAwait(false);
            var log = new List<string> { $"{target} reports the clone {moved.Name} ({moved.State}): it was made and moved before the server stopped." };
            if (await guests.OnAsync(hostId, cloneId).ConfigureAwait(false) is not null)
            {
                await DeleteOnHostAsync(hostId, cloneId).ConfigureAwait(false);
                log.Add($"Removed the copy left on {host}.");
            }

            return Settlement.Done(view, [.. log]);
        }

        await DeleteOnHostAsync(hostId, cloneId).ConfigureAwait(false);
        var name = await RemoveRecordAsync(cloneId, "machine.removed", n => $"Machine {n} is removed: its clone was interrupted before it reached {target}.").ConfigureAwait(false) ?? "the clone";
        return Settlement.Failed($"Interrupted: the server stopped before {name} was on {target}. Undone: the clone is removed from {host} and from the inventory.");
    }

    private async Task<Settlement> SettleReplaceAsync(OperationEntity operation, Guid? hostId, string host, Guests guests)
    {
        if (await guests.OnAsync(hostId, operation.MachineId!.Value).ConfigureAwait(false) is { } guest)
        {
            var view = await inventory.GuestChangedAsync(hostId!.Value, guest).ConfigureAwait(false);
            return Settlement.Failed($"Interrupted: the server stopped during the restore. {guest.Name} is on {host} ({guest.State}), but whether it is the restored backup or the machine as it was is not known; restore again to be sure.",
                $"{host} reports {guest.Name} ({guest.State}).");
        }

        await SetLostAsync(operation.MachineId.Value, $"The restore over this machine was interrupted after {host} removed the machine as it was; restore the backup again, or delete it.").ConfigureAwait(false);
        return Settlement.Failed($"Interrupted: the server stopped after {host} removed the machine as it was and before the backup was in place. {operation.Target} is lost: restore the backup again, or delete it.");
    }

    private async Task<Settlement> SettleDeleteAsync(OperationEntity operation, Guid? hostId, string host, Guests guests)
    {
        var machineId = operation.MachineId!.Value;
        if (await guests.OnAsync(hostId, machineId).ConfigureAwait(false) is { } guest)
        {
            await inventory.GuestChangedAsync(hostId!.Value, guest).ConfigureAwait(false);
            return Settlement.Failed($"Interrupted: the server stopped before {host} deleted {guest.Name}. It is kept ({guest.State}); delete it again.");
        }

        var name = await RemoveRecordAsync(machineId, "machine.deleted", n => $"Machine {n} is deleted: {host} no longer has it.").ConfigureAwait(false) ?? operation.Target;
        return Settlement.Done(new { deleted = machineId, name }, $"{host} no longer has {name}: the delete had done its work when the server stopped.");
    }

    private async Task<Settlement> SettleActionAsync(Guid machineId, GuestAction action, Guid? hostId, string host, Guests guests)
    {
        if (await guests.OnAsync(hostId, machineId).ConfigureAwait(false) is not { } guest)
        {
            return Settlement.Failed($"Interrupted: the server stopped during the {Words(action)}, and {host} no longer has the machine.");
        }

        var view = await inventory.GuestChangedAsync(hostId!.Value, guest).ConfigureAwait(false);
        if (action == GuestAction.Eject)
        {
            // The host does not report its CD-ROMs: the machine keeps its ISO until an eject (safe to repeat) is seen to end.
            return Settlement.Failed($"Interrupted: the server stopped during the eject; whether the ISO is out of {guest.Name} is not known. Eject it again.");
        }

        var wanted = action switch
        {
            GuestAction.Stop or GuestAction.ForceStop => MachineState.Stopped,
            GuestAction.Pause => MachineState.Paused,
            _ => MachineState.Running,
        };
        return guest.State == wanted
            ? Settlement.Done(view, $"{host} reports {guest.Name} {guest.State}: the {Words(action)} had done its work.")
            : Settlement.Failed($"Interrupted: the server stopped during the {Words(action)}; {guest.Name} is {guest.State.ToString().ToLowerInvariant()} on {host}.");
    }

    private static string Words(GuestAction action) => action switch
    {
        GuestAction.ForceStop => "forced stop",
        _ => action.ToString().ToLowerInvariant(),
    };

    private async Task<Settlement> SettleMigrationAsync(Interrupted x, MachineEntity? machine, Guests guests)
    {
        if (machine is null || x.Intent.HostId is not { } sourceId || x.Intent.TargetHostId is not { } targetId)
        {
            return Settlement.Failed("Interrupted: the server stopped before the move began.");
        }

        var source = await HostNameAsync(sourceId).ConfigureAwait(false);
        var target = await HostNameAsync(targetId).ConfigureAwait(false);
        var onTarget = await guests.OnAsync(targetId, machine.Id).ConfigureAwait(false);
        var onSource = await guests.OnAsync(sourceId, machine.Id).ConfigureAwait(false);
        if (onTarget is not null)
        {
            // The target lists a guest only once it has all of it: the move is done; the source lets go.
            await inventory.GuestChangedAsync(targetId, onTarget).ConfigureAwait(false);
            var log = new List<string> { $"{target} has {machine.Name} ({onTarget.State}): the move was done when the server stopped." };
            if (onSource is not null)
            {
                await DeleteOnHostAsync(sourceId, machine.Id).ConfigureAwait(false);
                log.Add($"Removed the copy left on {source}.");
            }

            await AddEventAsync("machine.migrated", machine.Id, targetId, $"Machine {machine.Name} moved from {source} to {target} (settled after the server restarted).").ConfigureAwait(false);
            return Settlement.Done(new { machineId = machine.Id, machine = machine.Name, source, target, settled = true }, [.. log]);
        }

        if (onSource is not null)
        {
            var back = await agents.ExecuteAsync(sourceId, new AgentCommand(Guid.NewGuid(), x.Operation.Id, AgentCommandKind.MigrateAbort, machine.Id, Migration: new MigrationOrder(Guid.Empty, false, false)),
                s_commandTimeout, CancellationToken.None).ConfigureAwait(false);
            var guest = back.Guest ?? onSource;
            await inventory.GuestChangedAsync(sourceId, guest).ConfigureAwait(false);
            return Settlement.Failed($"Interrupted: the server stopped before {target} had all of {machine.Name}. Undone: it stays on {source} ({guest.State}).",
                $"{target} does not have {machine.Name}; {source} has it: put back as it was.");
        }

        await SetLostAsync(machine.Id, $"Neither {source} nor {target} reports this machine after its move was interrupted.").ConfigureAwait(false);
        return Settlement.Failed($"Interrupted: the server stopped during the move, and neither {source} nor {target} has {machine.Name} now: it is lost.");
    }

    private async Task<Settlement> SettleSnapshotAsync(Interrupted x, Guid? hostId, string host)
    {
        if (x.Intent.SnapshotId is not { } snapshotId)
        {
            return Settlement.Failed($"Interrupted: the server stopped before the snapshot was asked of {host}; nothing was taken.");
        }

        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        if (await db.Snapshots.AsNoTracking().FirstOrDefaultAsync(s => s.Id == snapshotId).ConfigureAwait(false) is { } snapshot)
        {
            var info = new SnapshotInfo(snapshot.Id, snapshot.Name, snapshot.Description, snapshot.ParentId, snapshot.IncludesMemory, Views.Utc(snapshot.CreatedAt), 0);
            return Settlement.Done(info, $"{host} holds snapshot {snapshot.Name}: it was complete when the server stopped, and is recorded.");
        }

        if (!SnapshotsListed(hostId, x.Operation.MachineId))
        {
            return Settlement.Failed($"Interrupted: the server stopped while the snapshot was taken, and {host} could not list the machine's snapshots; whether it was taken is not known.");
        }

        return Settlement.Failed($"Interrupted: the server stopped before snapshot {x.Intent.SnapshotName} was complete on {host}. Nothing of it is left.");
    }

    private async Task<Settlement> SettleSnapshotDeleteAsync(Interrupted x, Guid? hostId, string host)
    {
        if (x.Intent.SnapshotId is not { } snapshotId || x.Operation.MachineId is not { } machineId
            || !_holdings.TryGetValue(hostId ?? Guid.Empty, out var holdings) || holdings.Snapshots.FirstOrDefault(s => s.MachineId == machineId) is not { } held)
        {
            return Settlement.Failed($"Interrupted: the server stopped while the snapshot was being deleted, and {host} could not say whether it still has it.");
        }

        if (held.Snapshots.Any(s => s.Id == snapshotId))
        {
            return Settlement.Failed($"Interrupted: the server stopped before {host} deleted snapshot {x.Intent.SnapshotName}; it is kept.");
        }

        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var snapshot = await db.Snapshots.FirstOrDefaultAsync(s => s.Id == snapshotId).ConfigureAwait(false);
        if (snapshot is not null)
        {
            foreach (var child in await db.Snapshots.Where(s => s.ParentId == snapshotId).ToListAsync().ConfigureAwait(false))
            {
                child.ParentId = snapshot.ParentId;
            }

            db.Snapshots.Remove(snapshot);
            InventoryService.AddEvent(db, "snapshot.deleted", machineId, hostId, $"Snapshot {snapshot.Name} of {x.Operation.Target} deleted (settled after the server restarted).");
            await db.SaveChangesAsync().ConfigureAwait(false);
        }

        return Settlement.Done(new { deleted = snapshotId, name = x.Intent.SnapshotName }, $"{host} no longer has snapshot {x.Intent.SnapshotName}: the delete had done its work.");
    }

    private async Task<Settlement> SettleBackupAsync(Interrupted x, string host)
    {
        if (x.Intent.BackupId is not { } backupId)
        {
            return Settlement.Failed($"Interrupted: the server stopped before the backup was asked of {host}; nothing was written.");
        }

        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        if (await db.Backups.AsNoTracking().FirstOrDefaultAsync(b => b.Id == backupId).ConfigureAwait(false) is { } backup)
        {
            var hostName = await db.Hosts.Where(h => h.Id == backup.HostId).Select(h => h.Name).FirstOrDefaultAsync().ConfigureAwait(false);
            return Settlement.Done(BackupService.ToView(backup, hostName), $"{host} holds the backup ({backup.SizeBytes / 1024} KiB): it was complete when the server stopped, and is recorded.");
        }

        return Settlement.Failed($"Interrupted: the server stopped before the backup was complete on {host}. Nothing of it is left.");
    }

    private async Task<Settlement> SettleBackupDeleteAsync(Interrupted x, Guid? hostId, string host)
    {
        if (x.Intent.BackupId is not { } backupId || !_holdings.TryGetValue(hostId ?? Guid.Empty, out var holdings) || holdings.Backups is not { } backups)
        {
            return Settlement.Failed($"Interrupted: the server stopped while the backup was being deleted, and {host} could not say whether its store still has it.");
        }

        if (backups.Any(b => b.Info.Id == backupId))
        {
            return Settlement.Failed($"Interrupted: the server stopped before {host} deleted the backup; it is kept.");
        }

        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        await db.Backups.Where(b => b.Id == backupId).ExecuteDeleteAsync().ConfigureAwait(false);
        return Settlement.Done(new { deleted = backupId }, $"The store of {host} no longer has the backup: the delete had done its work.");
    }

    private async Task<Settlement> SettleOtherAsync(OperationEntity operation, Guid? hostId, string host, Guests guests)
    {
        var state = operation.MachineId is { } id && await guests.OnAsync(hostId, id).ConfigureAwait(false) is { } guest
            ? $" {guest.Name} is {guest.State.ToString().ToLowerInvariant()} on {host}."
            : "";
        if (operation.MachineId is { } machineId && state.Length > 0)
        {
            await inventory.GuestChangedAsync(hostId!.Value, (await guests.OnAsync(hostId, machineId).ConfigureAwait(false))!).ConfigureAwait(false);
        }

        return Settlement.Failed($"Interrupted: the server stopped while this operation ran; whether it did its work is not known.{state}");
    }

    private bool SnapshotsListed(Guid? hostId, Guid? machineId) =>
        hostId is { } h && machineId is { } m && _holdings.TryGetValue(h, out var holdings) && holdings.Snapshots.Any(s => s.MachineId == m);
}
