using Cronos;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

/// <summary>
/// Snapshot and backup jobs on cron schedules (UTC), for one machine or every machine matching a
/// label selector, with keep-last / keep-daily / keep-weekly retention. Each run on each machine is
/// one operation: take the snapshot or backup, then prune what retention no longer keeps.
/// The clock is the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class ScheduleService(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    OperationService operations,
    SnapshotService snapshots,
    BackupService backups,
    IAgentGateway agents,
    TimeProvider clock,
    ILogger<ScheduleService> logger,
    IAccessScope? scope = null)
{
    public const string User = "scheduler";

    public static ScheduleView ToView(ScheduleEntity s) => new(
        s.Id, s.Name, s.Job.ToString().ToLowerInvariant(), s.Cron, s.MachineId, s.Selector, s.IncludeMemory,
        s.KeepLast, s.KeepDaily, s.KeepWeekly, s.Enabled, Views.Utc(s.LastRunAt), Views.Utc(s.NextRunAt), s.Project);

    public async Task<IReadOnlyList<ScheduleView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rows = await db.Schedules.AsNoTracking().OrderBy(s => s.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(ToView)];
    }

    public async Task<ScheduleView?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var row = await db.Schedules.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken).ConfigureAwait(false);
        return row is null ? null : ToView(row);
    }

    public async Task<ServiceResult<ScheduleView>> CreateAsync(CreateScheduleRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [message];
        if (!SnapshotService.IsValidName(request.Name))
        {
            Error("name", $"A schedule name is {SnapshotService.NameRule}.");
        }

        ScheduleJob job = default;
        if (request.Job is null || !Enum.TryParse(request.Job, ignoreCase: true, out job) || !Enum.IsDefined(job))
        {
            Error("job", "The job is 'snapshot' or 'backup'.");
        }

        var cron = TryParseCron(request.Cron);
        if (cron is null)
        {
            Error("cron", "The cron expression is five fields (minute hour day month weekday), e.g. '0 3 * * *', evaluated in UTC.");
        }

        if (string.IsNullOrWhiteSpace(request.Machine) == string.IsNullOrWhiteSpace(request.Selector))
        {
            Error("machine", "Give either a machine (id or name) or a label selector ('key' or 'key=value').");
        }

        foreach (var (field, value) in new[] { ("keepLast", request.KeepLast), ("keepDaily", request.KeepDaily), ("keepWeekly", request.KeepWeekly) })
        {
            if (value is < 0 or > 1000)
            {
                Error(field, "Retention counts are between 0 and 1000.");
            }
        }

        if (request.Selector is { Length: > 320 })
        {
            Error("selector", "The selector is at most 320 characters.");
        }
        else if (InputText.HasHiddenCharacters(request.Selector))
        {
            Error("selector", $"A selector {InputText.HiddenCharacters}.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        Guid? machineId = null;
        // A machine's schedule is in the machine's project; a selector's runs only on the machines of its own.
        var project = await ProjectNames.ResolveAsync(db, scope ?? UnrestrictedScope.Instance, request.Project, cancellationToken).ConfigureAwait(false);
        if (project is null)
        {
            Error("project", ProjectNames.Refusal);
        }

        if (!string.IsNullOrWhiteSpace(request.Machine))
        {
            var machine = Guid.TryParse(request.Machine, out var id)
                ? await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, cancellationToken).ConfigureAwait(false)
                : await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Name == request.Machine, cancellationToken).ConfigureAwait(false);
            if (machine is null)
            {
                Error("machine", "No such machine.");
            }
            else
            {
                machineId = machine.Id;
                project = machine.Project;
                if (machine.Kind == MachineKind.Container && request.IncludeMemory == true)
                {
                    Error("includeMemory", SnapshotService.ContainerMemoryRefusal);
                }

                if (machine.QemuRefusal("Scheduled snapshots and backups") is { } qemuRefusal)
                {
                    Error("machine", qemuRefusal);
                }
            }
        }

        if (errors.Count > 0 || project is null)
        {
            return ServiceResult<ScheduleView>.Invalid(errors);
        }

        if (await db.Schedules.AnyAsync(s => s.Name == request.Name, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<ScheduleView>.Conflict($"A schedule named '{request.Name}' already exists.");
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var schedule = new ScheduleEntity
        {
            Id = Guid.NewGuid(),
            Name = request.Name!,
            Project = project,
            Job = job,
            Cron = request.Cron!.Trim(),
            MachineId = machineId,
            Selector = string.IsNullOrWhiteSpace(request.Selector) ? null : request.Selector.Trim(),
            IncludeMemory = request.IncludeMemory ?? false,
            KeepLast = request.KeepLast ?? 0,
            KeepDaily = request.KeepDaily ?? 0,
            KeepWeekly = request.KeepWeekly ?? 0,
            Enabled = request.Enabled ?? true,
            CreatedAt = now,
            NextRunAt = cron!.GetNextOccurrence(now),
        };
        db.Schedules.Add(schedule);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ServiceResult<ScheduleView>.Ok(ToView(schedule));
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.Schedules.Where(s => s.Id == id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    private static CronExpression? TryParseCron(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 128)
        {
            return null;
        }

        try
        {
            return CronExpression.Parse(text.Trim());
        }
        catch (CronFormatException)
        {
            return null;
        }
    }

    /// <summary>Starts every job whose time has come (by the injected clock); returns the operations started.</summary>
    public async Task<IReadOnlyList<Guid>> RunDueAsync(CancellationToken cancellationToken = default)
    {
        // Every project's schedules are due here; each job then runs as an operation of its machine's project.
        WorkScope.Enter(new SystemScope("schedules"));
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var due = await db.Schedules.Where(s => s.Enabled && s.NextRunAt != null && s.NextRunAt <= now).ToListAsync(cancellationToken).ConfigureAwait(false);
        var started = new List<Guid>();
        foreach (var schedule in due)
        {
            schedule.LastRunAt = now;
            schedule.NextRunAt = TryParseCron(schedule.Cron)?.GetNextOccurrence(now);
            var machines = await MatchAsync(db, schedule, cancellationToken).ConfigureAwait(false);
            foreach (var machine in machines)
            {
                var host = machine.HostId is { } hostId ? await db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Id == hostId, cancellationToken).ConfigureAwait(false) : null;
                if (host is null || !host.Online || !agents.IsConnected(host.Id) || machine.State is MachineState.Creating or MachineState.Deleting or MachineState.Migrating or MachineState.Lost)
                {
                    logger.LogWarning("Schedule {Schedule} skips {Machine}: it cannot be reached now", schedule.Name, machine.Name);
                    continue;
                }

                if (machine.QemuRefusal("Scheduled snapshots and backups") is { } qemuRefusal)
                {
                    logger.LogInformation("Schedule {Schedule} skips {Machine}: {Reason}", schedule.Name, machine.Name, qemuRefusal);
                    continue;
                }

                var operation = OperationService.New(schedule.Job == ScheduleJob.Snapshot ? OperationKind.ScheduleSnapshot : OperationKind.ScheduleBackup, machine.Id, machine.Name, User, machine.Project);
                db.Operations.Add(operation);
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                var snapshotOf = schedule;
                operations.Run(operation, context => RunJobAsync(context, snapshotOf, machine, host, now));
                started.Add(operation.Id);
            }
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return started;
    }

    private static async Task<List<MachineEntity>> MatchAsync(RingmasterDbContext db, ScheduleEntity schedule, CancellationToken cancellationToken)
    {
        if (schedule.MachineId is { } id)
        {
            return await db.Machines.AsNoTracking().Where(m => m.Id == id && m.Project == schedule.Project).ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        var selector = schedule.Selector ?? "";
        var eq = selector.IndexOf('=', StringComparison.Ordinal);
        var (key, value) = eq < 0 ? (selector, (string?)null) : (selector[..eq], selector[(eq + 1)..]);
        var all = await db.Machines.AsNoTracking().Where(m => m.Project == schedule.Project).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. all.Where(m => m.Labels.TryGetValue(key, out var v) && (value is null || v == value))];
    }

    private async Task<object?> RunJobAsync(OperationContext context, ScheduleEntity schedule, MachineEntity machine, HostEntity host, DateTime now)
    {
        var includeMemory = schedule.IncludeMemory && machine.Kind == MachineKind.Vm && machine.State == MachineState.Running;
        object? result;
        if (schedule.Job == ScheduleJob.Snapshot)
        {
            var name = $"{schedule.Name}-{now:yyyyMMdd-HHmmss}";
            result = await snapshots.TakeWorkAsync(context, machine, host, new SnapshotRequest(Guid.NewGuid(), name, $"Taken by schedule {schedule.Name}.", includeMemory)).ConfigureAwait(false);
            await PruneSnapshotsAsync(context, schedule, machine, host).ConfigureAwait(false);
        }
        else
        {
            // A chain of incremental backups keeps its full backup alive; start a new chain now and then so retention can free old ones.
            var full = await ChainLengthAsync(machine.Id).ConfigureAwait(false) >= MaxChain;
            result = await backups.BackupWorkAsync(context, machine, host, includeMemory, full, schedule.Id).ConfigureAwait(false);
            await PruneBackupsAsync(context, schedule, machine).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>How many backups a scheduled chain holds before the next scheduled backup is a full one.</summary>
    public const int MaxChain = 7;

    private async Task<int> ChainLengthAsync(Guid machineId)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var all = await db.Backups.AsNoTracking().Where(b => b.MachineId == machineId).ToListAsync().ConfigureAwait(false);
        var byId = all.ToDictionary(b => b.Id);
        var length = 0;
        for (var at = all.OrderByDescending(b => b.CreatedAt).FirstOrDefault(); at is not null && length < 10_000; at = at.PreviousBackupId is { } p ? byId.GetValueOrDefault(p) : null)
        {
            length++;
        }

        return length;
    }

    private async Task PruneSnapshotsAsync(OperationContext context, ScheduleEntity schedule, MachineEntity machine, HostEntity host)
    {
        List<SnapshotEntity> mine;
        await using (var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false))
        {
            var prefix = schedule.Name + "-";
            mine = await db.Snapshots.AsNoTracking().Where(s => s.MachineId == machine.Id && s.Name.StartsWith(prefix)).ToListAsync().ConfigureAwait(false);
        }

        var keep = Retention.Keep(mine, s => s.CreatedAt, schedule.KeepLast, schedule.KeepDaily, schedule.KeepWeekly);
        foreach (var snapshot in mine.Where(s => !keep.Contains(s)).OrderBy(s => s.CreatedAt))
        {
            await context.LogAsync($"Retention: deleting snapshot {snapshot.Name}").ConfigureAwait(false);
            await snapshots.DeleteWorkAsync(context, machine, host, snapshot).ConfigureAwait(false);
        }
    }

    private async Task PruneBackupsAsync(OperationContext context, ScheduleEntity schedule, MachineEntity machine)
    {
        List<BackupEntity> all;
        await using (var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false))
        {
            all = await db.Backups.AsNoTracking().Where(b => b.MachineId == machine.Id).ToListAsync().ConfigureAwait(false);
        }

        var mine = all.Where(b => b.ScheduleId == schedule.Id).ToList();
        var keep = Retention.Keep(mine, b => b.CreatedAt, schedule.KeepLast, schedule.KeepDaily, schedule.KeepWeekly);

        // An incremental backup needs every backup below it: those stay while a kept one (or any backup not this schedule's) builds on them.
        var byId = all.ToDictionary(b => b.Id);
        var needed = new HashSet<Guid>();
        foreach (var root in all.Where(b => keep.Contains(b) || b.ScheduleId != schedule.Id))
        {
            for (Guid? at = root.Id; at is { } id && needed.Add(id) && byId.TryGetValue(id, out var b);)
            {
                at = b.PreviousBackupId;
            }
        }

        foreach (var backup in mine.Where(b => !needed.Contains(b.Id)).OrderByDescending(b => b.CreatedAt))
        {
            await context.LogAsync($"Retention: deleting backup {backup.Id} of {backup.CreatedAt:u}").ConfigureAwait(false);
            await backups.DeleteWorkAsync(context, backup).ConfigureAwait(false);
        }
    }
}
