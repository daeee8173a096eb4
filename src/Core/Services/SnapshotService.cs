using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

/// <summary>Snapshots (a tree per machine) and clones, each as an operation carried out by the machine's agent.</summary>
public sealed class SnapshotService(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    OperationService operations,
    InventoryService inventory,
    IAgentGateway agents,
    MigrationService migrations,
    LiveFeed feed,
    ILogger<SnapshotService> logger,
    IOptions<PlacementOptions>? placement = null)
{
    private readonly double _overcommit = PlacementOptions.RatioOf(placement);

    public static readonly TimeSpan SnapshotTimeout = TimeSpan.FromMinutes(10);
    public const string NameRule = "1–64 letters, digits, '.', '_' or '-'";
    public const string ContainerMemoryRefusal =
        "Container snapshots with memory need CRIU checkpointing, which this host's kernel does not support. Take the snapshot without memory: it commits the container's filesystem to an image.";

    public static bool IsValidName(string? name) =>
        name is { Length: >= 1 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>The machine's snapshots as a tree (roots first, oldest first at every level).</summary>
    public async Task<IReadOnlyList<SnapshotView>?> TreeAsync(Guid machineId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (!await db.Machines.AnyAsync(m => m.Id == machineId, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var all = await db.Snapshots.AsNoTracking().Where(s => s.MachineId == machineId).ToListAsync(cancellationToken).ConfigureAwait(false);
        var ids = all.Select(s => s.Id).ToHashSet();
        IReadOnlyList<SnapshotView> Children(Guid? parent) => [.. all
            .Where(s => parent is null ? s.ParentId is null || !ids.Contains(s.ParentId.Value) : s.ParentId == parent)
            .OrderBy(s => s.CreatedAt)
            .Select(s => new SnapshotView(s.Id, s.Name, s.Description, s.ParentId, s.IncludesMemory, Views.Utc(s.CreatedAt), Children(s.Id)))];
        return Children(null);
    }

    public async Task<ServiceResult<OperationAccepted>> TakeAsync(Guid machineId, TakeSnapshotRequest request, string user, CancellationToken cancellationToken = default)
    {
        if (!IsValidName(request.Name))
        {
            return ServiceResult<OperationAccepted>.Invalid("name", $"A snapshot name is {NameRule}.");
        }

        if (InputText.CheckText(request.Description, 1024, "The description") is { } descriptionError)
        {
            return ServiceResult<OperationAccepted>.Invalid("description", descriptionError);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var target = await MachineTargets.FindAsync(db, agents, machineId, cancellationToken).ConfigureAwait(false);
        if (target.Kind != ResultKind.Ok)
        {
            return target.As<OperationAccepted>();
        }

        var (machine, host) = target.Value!;
        var includeMemory = request.IncludeMemory ?? false;
        if (machine.Kind == MachineKind.Container && includeMemory)
        {
            return ServiceResult<OperationAccepted>.Invalid("includeMemory", ContainerMemoryRefusal);
        }

        if (await db.Snapshots.AnyAsync(s => s.MachineId == machineId && s.Name == request.Name, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<OperationAccepted>.Conflict($"Machine {machine.Name} already has a snapshot named '{request.Name}'.");
        }

        var operation = OperationService.New(OperationKind.SnapshotCreate, machine.Id, machine.Name, user, machine.Project);
        var snapshotRequest = new SnapshotRequest(Guid.NewGuid(), request.Name!, request.Description, includeMemory);
        return await operations.BeginAsync(db, operation, machine.ToView(host.Name), context => TakeWorkAsync(context, machine, host, snapshotRequest), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The work of a snapshot, also run by schedules.</summary>
    internal async Task<object?> TakeWorkAsync(OperationContext context, MachineEntity machine, HostEntity host, SnapshotRequest request)
    {
        await context.IntendAsync(i => i with { HostId = host.Id, SnapshotId = request.SnapshotId, SnapshotName = request.Name }).ConfigureAwait(false);
        await context.ReportAsync(10, $"Taking snapshot {request.Name} of {machine.Name}{(request.IncludeMemory ? " with memory" : "")}").ConfigureAwait(false);
        var result = await agents.ExecuteAsync(host.Id, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.Snapshot, machine.Id, Snapshot: request), SnapshotTimeout, context.CancellationToken).ConfigureAwait(false);
        var info = result.Snapshot ?? throw new InvalidOperationException("The agent did not report the snapshot.");
        if (info.Note is { } note)
        {
            await context.LogAsync(note).ConfigureAwait(false);
        }

        await using (var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false))
        {
            db.Snapshots.Add(new SnapshotEntity
            {
                Id = info.Id,
                MachineId = machine.Id,
                Name = info.Name,
                Description = info.Description,
                ParentId = info.ParentId,
                IncludesMemory = info.IncludesMemory,
                CreatedAt = info.CreatedAt.UtcDateTime,
            });
            InventoryService.AddEvent(db, "snapshot.created", machine.Id, host.Id, $"Snapshot {info.Name} of {machine.Name} taken{(info.IncludesMemory ? " with memory" : "")}.{(info.Note is { } n ? " " + n : "")}");
            await db.SaveChangesAsync().ConfigureAwait(false);
        }

        if (result.Guest is { } guest)
        {
            await inventory.GuestChangedAsync(host.Id, guest).ConfigureAwait(false);
        }

        feed.Publish(new MachineChanged(machine.ToView(host.Name)));
        return info;
    }

    public async Task<ServiceResult<OperationAccepted>> RevertAsync(Guid machineId, string name, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var target = await MachineTargets.FindAsync(db, agents, machineId, cancellationToken).ConfigureAwait(false);
        if (target.Kind != ResultKind.Ok)
        {
            return target.As<OperationAccepted>();
        }

        var (machine, host) = target.Value!;
        var snapshot = await db.Snapshots.AsNoTracking().FirstOrDefaultAsync(s => s.MachineId == machineId && s.Name == name, cancellationToken).ConfigureAwait(false);
        if (snapshot is null)
        {
            return ServiceResult<OperationAccepted>.NotFound($"Machine {machine.Name} has no snapshot named '{InputText.Clip(name, 64)}'.");
        }

        var operation = OperationService.New(OperationKind.SnapshotRevert, machine.Id, machine.Name, user, machine.Project);
        operation.Intent = new OperationIntent { HostId = host.Id, SnapshotId = snapshot.Id, SnapshotName = snapshot.Name };
        return await operations.BeginAsync(db, operation, machine.ToView(host.Name), async context =>
        {
            await context.ReportAsync(10, $"Reverting {machine.Name} to snapshot {snapshot.Name}").ConfigureAwait(false);
            var result = await agents.ExecuteAsync(host.Id, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.RevertSnapshot, machine.Id,
                Snapshot: new SnapshotRequest(snapshot.Id, snapshot.Name, null, snapshot.IncludesMemory)), SnapshotTimeout, context.CancellationToken).ConfigureAwait(false);
            await using (var events = await dbFactory.CreateDbContextAsync().ConfigureAwait(false))
            {
                InventoryService.AddEvent(events, "snapshot.reverted", machine.Id, host.Id, $"{machine.Name} reverted to snapshot {snapshot.Name}.");
                await events.SaveChangesAsync().ConfigureAwait(false);
            }

            return result.Guest is { } guest ? await inventory.GuestChangedAsync(host.Id, guest).ConfigureAwait(false) : null;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ServiceResult<OperationAccepted>> DeleteAsync(Guid machineId, string name, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var target = await MachineTargets.FindAsync(db, agents, machineId, cancellationToken).ConfigureAwait(false);
        if (target.Kind != ResultKind.Ok)
        {
            return target.As<OperationAccepted>();
        }

        var (machine, host) = target.Value!;
        var snapshot = await db.Snapshots.AsNoTracking().FirstOrDefaultAsync(s => s.MachineId == machineId && s.Name == name, cancellationToken).ConfigureAwait(false);
        if (snapshot is null)
        {
            return ServiceResult<OperationAccepted>.NotFound($"Machine {machine.Name} has no snapshot named '{InputText.Clip(name, 64)}'.");
        }

        var operation = OperationService.New(OperationKind.SnapshotDelete, machine.Id, machine.Name, user, machine.Project);
        operation.Intent = new OperationIntent { HostId = host.Id, SnapshotId = snapshot.Id, SnapshotName = snapshot.Name };
        return await operations.BeginAsync(db, operation, machine.ToView(host.Name), context => DeleteWorkAsync(context, machine, host, snapshot), cancellationToken).ConfigureAwait(false);
    }

    internal async Task<object?> DeleteWorkAsync(OperationContext context, MachineEntity machine, HostEntity host, SnapshotEntity snapshot)
    {
        await context.ReportAsync(10, $"Deleting snapshot {snapshot.Name} of {machine.Name}").ConfigureAwait(false);
        await agents.ExecuteAsync(host.Id, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.DeleteSnapshot, machine.Id,
            Snapshot: new SnapshotRequest(snapshot.Id, snapshot.Name, null, false)), SnapshotTimeout, context.CancellationToken).ConfigureAwait(false);
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var children = await db.Snapshots.Where(s => s.ParentId == snapshot.Id).ToListAsync().ConfigureAwait(false);
        foreach (var child in children)
        {
            child.ParentId = snapshot.ParentId;
        }

        await db.Snapshots.Where(s => s.Id == snapshot.Id).ExecuteDeleteAsync().ConfigureAwait(false);
        InventoryService.AddEvent(db, "snapshot.deleted", machine.Id, host.Id, $"Snapshot {snapshot.Name} of {machine.Name} deleted.");
        await db.SaveChangesAsync().ConfigureAwait(false);
        feed.Publish(new MachineChanged(machine.ToView(host.Name)));
        return new { deleted = snapshot.Id, name = snapshot.Name };
    }

    public async Task<ServiceResult<OperationAccepted>> CloneAsync(Guid machineId, CloneMachineRequest request, string user, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || !MachineNames.IsValid(request.Name))
        {
            return ServiceResult<OperationAccepted>.Invalid("name", $"The clone's name must be {MachineNames.Rule}.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var target = await MachineTargets.FindAsync(db, agents, machineId, cancellationToken).ConfigureAwait(false);
        if (target.Kind != ResultKind.Ok)
        {
            return target.As<OperationAccepted>();
        }

        var (source, host) = target.Value!;
        var linked = request.Linked ?? source.Kind == MachineKind.Vm;
        var includeMemory = request.IncludeMemory ?? false;
        HostEntity? placeOn = null;
        if (!string.IsNullOrWhiteSpace(request.Host) && !host.IsNamed(request.Host))
        {
            // Made on the source's host as a full copy, then moved (offline, or live for a fork).
            if (request.Linked == true)
            {
                return ServiceResult<OperationAccepted>.Invalid("linked",
                    $"A linked clone shares {source.Name}'s disk layers on {host.Name}, so it stays there. Clone with \"linked\": false to place a full copy on {InputText.Clip(request.Host, 64)}.");
            }

            var hosts = await db.Hosts.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
            placeOn = hosts.FirstOrDefault(h => h.IsNamed(request.Host));
            if (placeOn is null)
            {
                return ServiceResult<OperationAccepted>.Invalid("host", $"No host named '{InputText.Clip(request.Host, 64)}'.");
            }

            var preflight = (await migrations.PreflightAsync(source.Id, placeOn.Id.ToString(), includeMemory, cancellationToken).ConfigureAwait(false)).Value;
            var failed = preflight?.Checks.Where(c => !c.Passed && c.Name is not ("mode" or "name")).Select(c => $"{c.Name}: {c.Detail}").ToList() ?? [];
            if (failed.Count > 0)
            {
                return ServiceResult<OperationAccepted>.Conflict($"A clone of {source.Name} cannot be placed on {placeOn.Name}. " + string.Join(" ", failed));
            }

            linked = false;
        }

        if (source.Kind == MachineKind.Container && includeMemory)
        {
            return ServiceResult<OperationAccepted>.Invalid("includeMemory", "Forking a container with its memory needs CRIU checkpointing, which this host's kernel does not support; clone it without memory.");
        }

        if (includeMemory && source.State != MachineState.Running)
        {
            return ServiceResult<OperationAccepted>.Conflict($"Only a running machine can be forked with its memory; {source.Name} is {source.State}.");
        }

        if (await db.Machines.AnyAsync(m => m.Name == request.Name, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<OperationAccepted>.Conflict($"A machine named '{request.Name}' already exists.");
        }

        // A clone on another host passed the pre-flight's capacity check above; beside its source it takes memory of the same host.
        if (placeOn is null && await HostMemory.RefusalAsync(db, host, source.Spec.MemoryMiB, _overcommit, cancellationToken).ConfigureAwait(false) is { } full)
        {
            return ServiceResult<OperationAccepted>.Conflict($"A clone of {source.Name} does not fit beside it: {full}");
        }

        var now = DateTime.UtcNow;
        var clone = new MachineEntity
        {
            Id = Guid.NewGuid(),
            Name = request.Name!,
            Kind = source.Kind,
            Engine = source.Engine,
            Template = source.Template,
            Image = source.Image,
            Command = source.Command,
            Spec = source.Spec with { Networks = [.. source.Spec.Networks.Select(n => n with { Mac = MacAddresses.New() })] },
            HostId = host.Id,
            Project = source.Project,
            State = MachineState.Creating,
            Labels = source.Labels,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var operation = OperationService.New(OperationKind.MachineClone, source.Id, source.Name, user, source.Project);
        operation.Intent = new OperationIntent { HostId = host.Id, NewMachineId = clone.Id, TargetHostId = placeOn?.Id };
        var definition = new GuestDefinition(clone.Id, clone.Name, clone.Kind, clone.Image, clone.Command, clone.Spec, clone.Labels, Engine: clone.EngineOf());
        db.Machines.Add(clone);
        InventoryService.AddEvent(db, "machine.created", clone.Id, host.Id, $"Machine {clone.Name} is being cloned from {source.Name} ({(linked ? "linked" : "full")}{(includeMemory ? ", with memory" : "")}).");
        var view = clone.ToView(host.Name);

        // What is made from a machine belongs to its project and counts against its quotas.
        var room = new QuotaRoom(clone.Project, QuotaDelta.For(clone.Spec), clone.Name);
        return await operations.BeginAsync(db, operation, view, async context =>
        {
            context.OnUndo("remove the clone's record", () => MachineTargets.RemoveRecordAsync(dbFactory, feed, clone.Id));
            await context.ReportAsync(10, $"Cloning {source.Name} as {clone.Name} ({(linked ? "linked" : "full")})").ConfigureAwait(false);
            var result = await agents.ExecuteAsync(host.Id, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.Clone, source.Id,
                CloneOf: new CloneRequest(definition, linked, includeMemory)), SnapshotTimeout, context.CancellationToken).ConfigureAwait(false);
            logger.LogInformation("Cloned {Source} as {Clone}", source.Name, clone.Name);
            var made = await inventory.GuestChangedAsync(host.Id, result.Guest!).ConfigureAwait(false);
            if (placeOn is null)
            {
                return made;
            }

            context.OnUndo($"delete the clone on {host.Name}", () => agents.ExecuteAsync(host.Id,
                new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.Delete, clone.Id), TimeSpan.FromMinutes(2), CancellationToken.None));
            await context.ReportAsync(50, $"Moving {clone.Name} to {placeOn.Name}").ConfigureAwait(false);
            var moved = await migrations.MoveWithinAsync(context, clone.Id, placeOn.Id, includeMemory).ConfigureAwait(false);
            await context.LogAsync($"{clone.Name} moved to {placeOn.Name} in {moved.TotalMs:0} ms ({moved.Bytes / 1024} KiB)").ConfigureAwait(false);
            await using var placed = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
            var entity = await placed.Machines.AsNoTracking().FirstAsync(m => m.Id == clone.Id).ConfigureAwait(false);
            return entity.ToView(placeOn.Name);
        }, cancellationToken, room, announce: true).ConfigureAwait(false);
    }

}
