using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>
/// Brings backup archives from the store of the host that wrote them to another host's store, for a
/// restore there. Hosts that share one store folder never need it.
/// </summary>
public interface IBackupArchiveTransfer
{
    /// <summary>Copies the archives of <paramref name="chain"/> (newest first) to <paramref name="targetHostId"/>'s store, or throws with a reason the user should read.</summary>
    Task BringAsync(IReadOnlyList<BackupEntity> chain, Guid targetHostId, OperationContext context);
}

/// <summary>
/// Copies archives between hosts' stores through the server's transfer relay (the path live
/// migration uses): the host holding the chain sends, the target receives, both at once.
/// </summary>
public sealed class RelayBackupTransfer(IDbContextFactory<RingmasterDbContext> dbFactory, IAgentGateway agents, TransferRelay relay) : IBackupArchiveTransfer
{
    public async Task BringAsync(IReadOnlyList<BackupEntity> chain, Guid targetHostId, OperationContext context)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var names = await db.Hosts.ToDictionaryAsync(h => h.Id, h => h.Name).ConfigureAwait(false);
        string Name(Guid id) => names.GetValueOrDefault(id, id.ToString());
        var backup = chain[0];
        var sourceId = backup.HostId;
        if (chain.Any(b => b.HostId != sourceId))
        {
            throw new InvalidOperationException($"The chain of backup {backup.Id} spans several hosts' stores; restore it on host {Name(sourceId)}.");
        }

        if (sourceId == targetHostId)
        {
            throw new InvalidOperationException($"The archive of backup {backup.Id} is missing from the backup store of host {Name(sourceId)}.");
        }

        if (!agents.IsConnected(sourceId))
        {
            throw new InvalidOperationException($"Backup {backup.Id} is in the backup store of host {Name(sourceId)}, which is offline; restore when it is back, or on a host sharing its store.");
        }

        await context.ReportAsync(10, $"Copying {chain.Count} backup archive(s) from {Name(sourceId)} to {Name(targetHostId)}").ConfigureAwait(false);
        using var transfer = relay.Open(sourceId, targetHostId, $"backup {backup.Id}");
        using var cancelled = context.CancellationToken.Register(() => transfer.Fail("The restore was cancelled."));
        var order = new BackupArchiveOrder(transfer.Id, [.. chain.Select(b => b.Id)]);
        var receive = agents.ExecuteAsync(targetHostId, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.ReceiveBackups, backup.MachineId, Archives: order),
            BackupService.BackupTimeout, CancellationToken.None);
        var (_, sendError, _, receiveError) = await transfer.RunAsync(receive,
            () => agents.ExecuteAsync(sourceId, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.SendBackups, backup.MachineId, Archives: order), BackupService.BackupTimeout, CancellationToken.None),
            Name(sourceId), Name(targetHostId)).ConfigureAwait(false);
        if (receiveError is not null)
        {
            // The side that failed first is the cause: the target fails when the source stops sending.
            var sourceFirst = sendError is AgentUnavailableException || (sendError is not null && !sendError.Message.Contains("transfer", StringComparison.OrdinalIgnoreCase));
            var cause = sourceFirst ? $"host {Name(sourceId)} could not send it: {sendError!.Message}" : $"host {Name(targetHostId)} could not receive it: {receiveError.Message}";
            throw new InvalidOperationException($"Copying backup {backup.Id} failed: {(context.CancellationToken.IsCancellationRequested ? "the restore was cancelled" : cause)}");
        }

        if (sendError is not null)
        {
            throw new InvalidOperationException($"Copying backup {backup.Id} failed: host {Name(sourceId)} could not send it: {sendError.Message}");
        }

        await context.LogAsync($"Copied {chain.Count} archive(s), {transfer.Bytes / 1024} KiB, from {Name(sourceId)} to {Name(targetHostId)}").ConfigureAwait(false);
    }
}

/// <summary>Backups, restores and verifications, each as an operation carried out by an agent.</summary>
public sealed class BackupService(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    OperationService operations,
    InventoryService inventory,
    IAgentGateway agents,
    IBackupArchiveTransfer transfer,
    LiveFeed feed,
    ILogger<BackupService> logger,
    IOptions<PlacementOptions>? placement = null)
{
    private readonly double _overcommit = PlacementOptions.RatioOf(placement);

    public static readonly TimeSpan BackupTimeout = TimeSpan.FromMinutes(30);

    public async Task<IReadOnlyList<BackupView>> ListAsync(Guid? machineId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var query = db.Backups.AsNoTracking();
        if (machineId is { } id)
        {
            query = query.Where(b => b.MachineId == id);
        }

        var rows = await query.ToListAsync(cancellationToken).ConfigureAwait(false);
        var hosts = await db.Hosts.AsNoTracking().ToDictionaryAsync(h => h.Id, h => h.Name, cancellationToken).ConfigureAwait(false);
        return [.. rows.OrderByDescending(b => b.CreatedAt).Select(b => ToView(b, hosts.GetValueOrDefault(b.HostId)))];
    }

    public async Task<BackupView?> GetAsync(Guid backupId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var backup = await db.Backups.AsNoTracking().FirstOrDefaultAsync(b => b.Id == backupId, cancellationToken).ConfigureAwait(false);
        if (backup is null)
        {
            return null;
        }

        var host = await db.Hosts.Where(h => h.Id == backup.HostId).Select(h => h.Name).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return ToView(backup, host);
    }

    public static BackupView ToView(BackupEntity b, string? host) => new(
        b.Id, b.MachineId, b.MachineName, b.Kind, b.HostId, host, b.PreviousBackupId, b.IncludesMemory, Views.Utc(b.CreatedAt),
        b.SizeBytes, b.DiskBytes, b.StoredBlocks, Views.Utc(b.VerifiedAt), b.VerifyOk, b.Project, b.VerifyMessage);

    public async Task<ServiceResult<OperationAccepted>> BackupAsync(Guid machineId, BackupMachineRequest request, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var target = await MachineTargets.FindAsync(db, agents, machineId, cancellationToken).ConfigureAwait(false);
        if (target.Kind != ResultKind.Ok)
        {
            return target.As<OperationAccepted>();
        }

        var (machine, host) = target.Value!;
        if (machine.QemuRefusal("Backups") is { } qemuRefusal)
        {
            return ServiceResult<OperationAccepted>.Conflict(qemuRefusal);
        }

        if (machine.Kind == MachineKind.Container && request.IncludeMemory == true)
        {
            return ServiceResult<OperationAccepted>.Invalid("includeMemory", "Backing a container up with its memory needs CRIU checkpointing, which this host's kernel does not support; back it up without memory (its filesystem and settings).");
        }

        var operation = OperationService.New(OperationKind.MachineBackup, machine.Id, machine.Name, user, machine.Project);
        return await operations.BeginAsync(db, operation, machine.ToView(host.Name), context => BackupWorkAsync(context, machine, host, request.IncludeMemory ?? false, request.Full ?? false, null), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The work of a backup, also run by schedules: incremental to the machine's newest backup on the same host unless <paramref name="full"/>.</summary>
    internal async Task<object?> BackupWorkAsync(OperationContext context, MachineEntity machine, HostEntity host, bool includeMemory, bool full, Guid? scheduleId)
    {
        Guid? previous = null;
        if (!full && machine.Kind == MachineKind.Vm)
        {
            await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
            previous = await db.Backups.Where(b => b.MachineId == machine.Id && b.HostId == host.Id)
                .OrderByDescending(b => b.CreatedAt).Select(b => (Guid?)b.Id).FirstOrDefaultAsync().ConfigureAwait(false);
        }

        var backupId = Guid.NewGuid();
        await context.IntendAsync(i => i with { HostId = host.Id, BackupId = backupId, ScheduleId = scheduleId }).ConfigureAwait(false);
        await context.ReportAsync(5, $"Backing {machine.Name} up ({(previous is null ? "full" : "incremental")}{(includeMemory ? ", with memory" : "")})").ConfigureAwait(false);
        var result = await agents.ExecuteAsync(host.Id, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.Backup, machine.Id,
            Backup: new BackupRequest(backupId, includeMemory, previous)), BackupTimeout, context.CancellationToken).ConfigureAwait(false);
        var info = result.Backup ?? throw new InvalidOperationException("The agent did not report the backup.");
        var entity = new BackupEntity
        {
            Id = info.Id,
            MachineId = machine.Id,
            MachineName = machine.Name,
            Project = machine.Project,
            Kind = machine.Kind,
            HostId = host.Id,
            PreviousBackupId = info.PreviousBackupId,
            IncludesMemory = info.IncludesMemory,
            CreatedAt = info.CreatedAt.UtcDateTime,
            SizeBytes = info.SizeBytes,
            DiskBytes = info.DiskBytes,
            StoredBlocks = info.StoredBlocks,
            File = info.File,
            Spec = machine.Spec,
            Image = machine.Image,
            ScheduleId = scheduleId,
        };
        await using (var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false))
        {
            db.Backups.Add(entity);
            InventoryService.AddEvent(db, "backup.created", machine.Id, host.Id, $"{machine.Name} backed up ({(info.PreviousBackupId is null ? "full" : "incremental")}, {info.SizeBytes / 1024} KiB).");
            await db.SaveChangesAsync().ConfigureAwait(false);
        }

        feed.Publish(new MachineChanged(machine.ToView(host.Name)));
        return ToView(entity, host.Name);
    }

    public async Task<ServiceResult<OperationAccepted>> RestoreAsync(Guid backupId, RestoreBackupRequest request, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var backup = await db.Backups.AsNoTracking().FirstOrDefaultAsync(b => b.Id == backupId, cancellationToken).ConfigureAwait(false);
        if (backup is null)
        {
            return ServiceResult<OperationAccepted>.NotFound($"No backup {backupId}.");
        }

        var hosts = await db.Hosts.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        HostEntity? wantedHost = null;
        if (!string.IsNullOrWhiteSpace(request.Host))
        {
            wantedHost = hosts.FirstOrDefault(h => h.IsNamed(request.Host));
            if (wantedHost is null)
            {
                return ServiceResult<OperationAccepted>.Invalid("host", "Unknown host.");
            }
        }

        var original = await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Id == backup.MachineId, cancellationToken).ConfigureAwait(false);
        var replace = string.IsNullOrWhiteSpace(request.Name) || (original is not null && request.Name == original.Name);
        MachineEntity machine;
        HostEntity? host;
        var isNew = false;
        if (replace && original is not null)
        {
            host = hosts.FirstOrDefault(h => h.Id == original.HostId);
            if (wantedHost is not null && wantedHost.Id != host?.Id)
            {
                return ServiceResult<OperationAccepted>.Invalid("host", $"Restoring over {original.Name} happens on its host; give a new name to restore the backup on another host.");
            }

            if (original.State is MachineState.Creating or MachineState.Deleting or MachineState.Migrating)
            {
                return ServiceResult<OperationAccepted>.Conflict($"Machine {original.Name} is busy ({original.State}); try again when it is done.");
            }

            machine = original;
        }
        else
        {
            var name = string.IsNullOrWhiteSpace(request.Name) ? backup.MachineName : request.Name;
            if (!MachineNames.IsValid(name))
            {
                return ServiceResult<OperationAccepted>.Invalid("name", $"The name must be {MachineNames.Rule}.");
            }

            if (await db.Machines.AnyAsync(m => m.Name == name, cancellationToken).ConfigureAwait(false))
            {
                return ServiceResult<OperationAccepted>.Conflict($"A machine named '{name}' already exists; restore under another name, or without a name to replace the machine the backup was taken of.");
            }

            host = wantedHost ?? hosts.FirstOrDefault(h => h.Id == backup.HostId);
            var now = DateTime.UtcNow;
            var spec = backup.Spec ?? new MachineSpec(1, 256, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]);
            machine = new MachineEntity
            {
                Id = original is null && string.IsNullOrWhiteSpace(request.Name) ? backup.MachineId : Guid.NewGuid(),
                Name = name!,
                Kind = backup.Kind,
                Template = original?.Template ?? (backup.Kind == MachineKind.Vm ? "default" : backup.Image),
                Image = backup.Image,
                Command = original?.Command ?? [],
                Spec = name == backup.MachineName ? spec : spec with { Networks = [.. spec.Networks.Select(n => n with { Mac = MacAddresses.New() })] },
                HostId = host?.Id,
                Project = backup.Project,
                State = MachineState.Creating,
                CreatedAt = now,
                UpdatedAt = now,
            };
            isNew = true;
        }

        if (host is null || !host.Online || !agents.IsConnected(host.Id))
        {
            return ServiceResult<OperationAccepted>.Conflict($"The host to restore on ({host?.Name ?? "none"}) is offline.");
        }

        // A machine restored as new takes memory of its host as a new machine does; a restore in place takes none more.
        if (isNew && await HostMemory.RefusalAsync(db, host, machine.Spec.MemoryMiB, _overcommit, cancellationToken).ConfigureAwait(false) is { } full)
        {
            return ServiceResult<OperationAccepted>.Conflict($"{machine.Name} does not fit on {host.Name}: {full}");
        }

        var operation = OperationService.New(OperationKind.BackupRestore, machine.Id, machine.Name, user, machine.Project);
        operation.Intent = new OperationIntent { HostId = host.Id, BackupId = backup.Id, NewMachineId = isNew ? machine.Id : null };
        if (isNew)
        {
            db.Machines.Add(machine);
            InventoryService.AddEvent(db, "machine.created", machine.Id, host.Id, $"Machine {machine.Name} is being restored from backup {backup.Id} of {backup.MachineName}.");
        }

        // A machine restored as new belongs to the backup's project and counts against its quotas.
        var room = new QuotaRoom(machine.Project, isNew ? QuotaDelta.For(machine.Spec) : new QuotaDelta(0, 0, 0, 0, 0), machine.Name);
        var view = machine.ToView(host.Name);
        var definition = new GuestDefinition(machine.Id, machine.Name, machine.Kind, machine.Image, machine.Command, machine.Spec, machine.Labels, Engine: machine.EngineOf());
        var hostId = host.Id;
        return await operations.BeginAsync(db, operation, view, async context =>
        {
            if (isNew)
            {
                context.OnUndo("remove the restored machine's record", () => MachineTargets.RemoveRecordAsync(dbFactory, feed, machine.Id));
            }

            await context.ReportAsync(5, $"Restoring backup of {backup.MachineName} as {machine.Name} on {view.Host}").ConfigureAwait(false);
            var command = new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.Restore, machine.Id, Restore: new RestoreRequest(backup.Id, definition, request.Start ?? true));
            CommandResult result;
            try
            {
                result = await agents.ExecuteAsync(hostId, command, BackupTimeout, context.CancellationToken).ConfigureAwait(false);
            }
            catch (AgentCommandException ex) when (ex.Result.NotFound)
            {
                await context.LogAsync(ex.Message).ConfigureAwait(false);
                var chain = await ChainAsync(backup.Id).ConfigureAwait(false);
                try
                {
                    await transfer.BringAsync(chain, hostId, context).ConfigureAwait(false);
                    await context.ReportAsync(60, $"Restoring backup of {backup.MachineName} as {machine.Name} on {view.Host}").ConfigureAwait(false);
                    result = await agents.ExecuteAsync(hostId, command with { CommandId = Guid.NewGuid() }, BackupTimeout, context.CancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    // The copies served this restore only: the backup stays listed on the host that wrote it.
                    await RemoveCopiesAsync(context, chain, hostId).ConfigureAwait(false);
                }
            }

            if (!isNew)
            {
                // Restoring over a machine replaces it whole: its snapshots went with it on the host.
                await using var snapshots = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
                await snapshots.Snapshots.Where(s => s.MachineId == machine.Id).ExecuteDeleteAsync().ConfigureAwait(false);
            }

            logger.LogInformation("Restored backup {Backup} as {Machine}", backup.Id, machine.Name);
            return await inventory.GuestChangedAsync(hostId, result.Guest!).ConfigureAwait(false);
        }, cancellationToken, room, announce: isNew).ConfigureAwait(false);
    }

    private async Task RemoveCopiesAsync(OperationContext context, IReadOnlyList<BackupEntity> chain, Guid hostId)
    {
        foreach (var copy in chain.Where(b => b.HostId != hostId))
        {
            try
            {
                await agents.ExecuteAsync(hostId, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.DeleteBackup, copy.MachineId, Backup: new BackupRequest(copy.Id, false, null)),
                    TimeSpan.FromMinutes(1), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AgentUnavailableException or AgentCommandException)
            {
                logger.LogWarning("The copy of backup {Backup} stays in the store of host {Host}: {Reason}", copy.Id, hostId, ex.Message);
            }
        }
    }

    /// <summary>The backup and those it is incremental to, newest first.</summary>
    private async Task<IReadOnlyList<BackupEntity>> ChainAsync(Guid backupId)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var chain = new List<BackupEntity>();
        for (Guid? at = backupId; at is { } id && chain.Count < 10_000;)
        {
            var backup = await db.Backups.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id).ConfigureAwait(false);
            if (backup is null)
            {
                break;
            }

            chain.Add(backup);
            at = backup.PreviousBackupId;
        }

        return chain;
    }

    public async Task<ServiceResult<OperationAccepted>> VerifyAsync(Guid backupId, VerifyBackupRequest request, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var backup = await db.Backups.AsNoTracking().FirstOrDefaultAsync(b => b.Id == backupId, cancellationToken).ConfigureAwait(false);
        if (backup is null)
        {
            return ServiceResult<OperationAccepted>.NotFound($"No backup {backupId}.");
        }

        var host = await db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Id == backup.HostId, cancellationToken).ConfigureAwait(false);
        if (host is null || !host.Online || !agents.IsConnected(host.Id))
        {
            return ServiceResult<OperationAccepted>.Conflict("The host whose store holds this backup is offline.");
        }

        var operation = OperationService.New(OperationKind.BackupVerify, null, $"backup of {backup.MachineName}", user, backup.Project);
        operation.Intent = new OperationIntent { HostId = host.Id, BackupId = backup.Id };
        return await operations.BeginAsync(db, operation, null, async context =>
        {
            await context.ReportAsync(5, $"Verifying backup {backup.Id} of {backup.MachineName}{(request.TestBoot == true ? " with a test boot" : "")}").ConfigureAwait(false);
            var result = await agents.ExecuteAsync(host.Id, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.VerifyBackup, backup.MachineId,
                Verify: new VerifyRequest(backup.Id, request.TestBoot ?? false)), BackupTimeout, context.CancellationToken).ConfigureAwait(false);
            var report = result.Verify ?? throw new InvalidOperationException("The agent did not report the verification.");
            var failure = report.Ok ? null : string.Join(" ", report.Checks.TakeLast(1));
            await using (var update = await dbFactory.CreateDbContextAsync().ConfigureAwait(false))
            {
                var entity = await update.Backups.FindAsync(backup.Id).ConfigureAwait(false);
                if (entity is not null)
                {
                    entity.VerifiedAt = DateTime.UtcNow;
                    entity.VerifyOk = report.Ok;
                    entity.VerifyMessage = failure;
                    await update.SaveChangesAsync().ConfigureAwait(false);
                }
            }

            foreach (var check in report.Checks)
            {
                await context.LogAsync(check).ConfigureAwait(false);
            }

            return report.Ok ? report : throw new InvalidOperationException("The backup failed verification: " + failure);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a backup's archive and record; refused while a later incremental backup needs it.</summary>
    public async Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid backupId, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var backup = await db.Backups.AsNoTracking().FirstOrDefaultAsync(b => b.Id == backupId, cancellationToken).ConfigureAwait(false);
        if (backup is null)
        {
            return ServiceResult<OperationAccepted>.NotFound($"No backup {backupId}.");
        }

        if (await db.Backups.AnyAsync(b => b.PreviousBackupId == backupId, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<OperationAccepted>.Conflict("A later incremental backup is built on this one; delete that one first.");
        }

        if (!agents.IsConnected(backup.HostId))
        {
            return ServiceResult<OperationAccepted>.Conflict("The host whose store holds this backup is offline.");
        }

        var operation = OperationService.New(OperationKind.BackupDelete, null, $"backup of {backup.MachineName}", user, backup.Project);
        operation.Intent = new OperationIntent { HostId = backup.HostId, BackupId = backup.Id };
        return await operations.BeginAsync(db, operation, null, context => DeleteWorkAsync(context, backup), cancellationToken).ConfigureAwait(false);
    }

    internal async Task<object?> DeleteWorkAsync(OperationContext context, BackupEntity backup)
    {
        await agents.ExecuteAsync(backup.HostId, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.DeleteBackup, backup.MachineId,
            Backup: new BackupRequest(backup.Id, false, null)), BackupTimeout, context.CancellationToken).ConfigureAwait(false);
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        await db.Backups.Where(b => b.Id == backup.Id).ExecuteDeleteAsync().ConfigureAwait(false);
        return new { deleted = backup.Id };
    }
}
