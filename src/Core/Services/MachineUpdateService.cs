using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>
/// A change to a machine (a JSON merge patch, already parsed): a new name, labels to set
/// (<c>null</c> values remove a key; <see cref="ClearLabels"/> removes all first), and a new spec.
/// </summary>
public sealed record MachinePatch(
    string? Name = null,
    bool ClearLabels = false,
    IReadOnlyDictionary<string, string?>? Labels = null,
    int? Vcpus = null,
    int? MemoryMiB = null,
    int? DiskGiB = null);

/// <summary>
/// How a patch ended: the machine now; the operation when its host must change a running guest
/// (containers' limits, changed live); a note (<see cref="Detail"/>) when the change waits for
/// the next start (a VM's vCPUs and memory); <see cref="Stale"/> when the If-Match version is no
/// longer the machine's (nothing was changed).
/// </summary>
public sealed record MachineUpdated(MachineView Machine, OperationAccepted? Operation = null, string? Detail = null, bool Stale = false);

/// <summary>Changes a machine's name, labels and spec under optimistic concurrency (its <see cref="MachineEntity.Version"/>).</summary>
public sealed class MachineUpdateService(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    OperationService operations,
    InventoryService inventory,
    IAgentGateway agents,
    LiveFeed feed,
    ProjectQuotas quotas,
    ILogger<MachineUpdateService> logger)
{
    public const string VmNextStartDetail = "The new vCPUs and memory take effect at the VM's next start.";

    /// <summary>Applies <paramref name="patch"/> if the machine is still at <paramref name="expectedVersion"/> (null: any version, for If-Match: *).</summary>
    public async Task<ServiceResult<MachineUpdated>> UpdateAsync(Guid machineId, long? expectedVersion, MachinePatch patch, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var machine = await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Id == machineId, cancellationToken).ConfigureAwait(false);
        if (machine is null)
        {
            return ServiceResult<MachineUpdated>.NotFound("No such machine.");
        }

        var host = machine.HostId is { } hostId ? await db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Id == hostId, cancellationToken).ConfigureAwait(false) : null;
        if (expectedVersion is { } expected && machine.Version != expected)
        {
            return ServiceResult<MachineUpdated>.Ok(new MachineUpdated(machine.ToView(host?.Name), Stale: true));
        }

        // Validation, as on create.
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field) ?? [], message];
        if (patch.Name is not null && !MachineNames.IsValid(patch.Name))
        {
            Error("name", $"The name must be {MachineNames.Rule}.");
        }

        var minMemory = machine.Kind == MachineKind.Vm ? 64 : 16;
        if (patch.Vcpus is { } vcpus && vcpus is < 1 or > 64)
        {
            Error("spec.vcpus", "vCPUs must be between 1 and 64.");
        }

        if (patch.MemoryMiB is { } memory && (memory < minMemory || memory > 262_144))
        {
            Error("spec.memoryMiB", $"Memory must be between {minMemory} and 262144 MiB.");
        }

        if (patch.DiskGiB is { } disk)
        {
            if (disk is < 1 or > 4096)
            {
                Error("spec.diskGiB", "The disk must be between 1 and 4096 GiB.");
            }
            else if (disk < machine.Spec.DiskGiB)
            {
                Error("spec.diskGiB", $"A disk can grow but not shrink; it is {machine.Spec.DiskGiB} GiB.");
            }
        }

        var labels = patch.ClearLabels ? new Dictionary<string, string>() : new Dictionary<string, string>(machine.Labels);
        foreach (var (key, value) in patch.Labels ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                labels.Remove(key);
            }
            else
            {
                labels[key] = value;
            }
        }

        if (patch.Labels is not null || patch.ClearLabels)
        {
            if (labels.Count > MachineService.MaxLabels)
            {
                Error("labels", $"At most {MachineService.MaxLabels} labels.");
            }

            if (labels.Keys.Any(k => !LabelKeys.IsValid(k)))
            {
                Error("labels", "Label keys must be 1–63 characters of letters, digits, '-', '_', '.' and '/'.");
            }

            if (labels.Values.Any(v => !LabelKeys.IsValidValue(v)))
            {
                Error("labels", LabelKeys.ValueRule + ".");
            }
        }

        if (errors.Count > 0)
        {
            return ServiceResult<MachineUpdated>.Invalid(errors);
        }

        var name = patch.Name ?? machine.Name;
        var oldSpec = machine.Spec;
        var spec = new MachineSpec(
            patch.Vcpus ?? oldSpec.Vcpus,
            patch.MemoryMiB ?? oldSpec.MemoryMiB,
            patch.DiskGiB is { } newDisk && newDisk != oldSpec.DiskGiB ? GrowRootDisk(oldSpec.Disks, newDisk) : oldSpec.Disks,
            oldSpec.Networks);
        var labelsChanged = !LabelsEqual(labels, machine.Labels);
        var limitsChanged = spec.Vcpus != oldSpec.Vcpus || spec.MemoryMiB != oldSpec.MemoryMiB;
        var diskChanged = spec.DiskGiB != oldSpec.DiskGiB;
        if (name == machine.Name && !labelsChanged && !limitsChanged && !diskChanged)
        {
            return ServiceResult<MachineUpdated>.Ok(new MachineUpdated(machine.ToView(host?.Name)));
        }

        if (machine.State is MachineState.Creating or MachineState.Deleting or MachineState.Migrating)
        {
            return ServiceResult<MachineUpdated>.Conflict($"Machine {machine.Name} is busy ({machine.State}); try again when it is done.");
        }

        if (name != machine.Name && await db.Machines.AnyAsync(m => m.Name == name, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<MachineUpdated>.Conflict($"A machine named '{name}' already exists.");
        }

        var specChanged = limitsChanged || diskChanged;
        if (specChanged)
        {
            if (await CheckProjectQuotaAsync(machine, spec, cancellationToken).ConfigureAwait(false) is { } quotaProblem)
            {
                return ServiceResult<MachineUpdated>.Conflict(quotaProblem);
            }

            if (host is null || !agents.IsConnected(host.Id))
            {
                return ServiceResult<MachineUpdated>.Conflict($"Machine {machine.Name}'s spec cannot change while its host is offline (its host keeps the guest's limits).");
            }

            if (machine.Kind == MachineKind.Vm && diskChanged && machine.State is MachineState.Running or MachineState.Paused)
            {
                return ServiceResult<MachineUpdated>.Conflict($"Stop VM {machine.Name} to grow its disk.");
            }
        }

        string? detail = null;
        var definition = new GuestDefinition(machine.Id, name, machine.Kind, machine.Image, machine.Command, spec, labels, Engine: machine.EngineOf());
        if (specChanged && machine.Kind == MachineKind.Vm)
        {
            // The agent keeps the VM's definition; it applies it at the next start. Quick, so done in the request.
            try
            {
                await agents.ExecuteAsync(host!.Id, new AgentCommand(Guid.NewGuid(), Guid.Empty, AgentCommandKind.UpdateSpec, machine.Id, definition), MachineService.ActionTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (AgentCommandException e)
            {
                return ServiceResult<MachineUpdated>.Conflict($"The host refused the new spec: {e.Message}");
            }
            catch (AgentUnavailableException e)
            {
                return ServiceResult<MachineUpdated>.Unavailable(e.Message);
            }

            detail = machine.State is MachineState.Running or MachineState.Paused && limitsChanged ? VmNextStartDetail : null;
        }

        var now = DateTime.UtcNow;
        var rows = 0;
        try
        {
            // A new spec is checked against the project's quotas again, in one step with the write.
            var delta = specChanged ? QuotaDelta.Resize(machine.Spec, spec) : new QuotaDelta(0, 0, 0, 0, 0);
            async Task WriteAsync()
            {
                rows = await db.Machines
                    .Where(m => m.Id == machine.Id && m.Version == machine.Version)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(m => m.Name, name)
                        .SetProperty(m => m.Labels, labels)
                        .SetProperty(m => m.Spec, spec)
                        .SetProperty(m => m.UpdatedAt, now)
                        .SetProperty(m => m.Version, machine.Version + 1), cancellationToken)
                    .ConfigureAwait(false);
                if (labelsChanged && rows > 0)
                {
                    // The bulk update bypasses the change tracker: the label rows follow here, in the same transaction.
                    await MachineLabelIndex.SyncAsync(db, machine.Id, labels, cancellationToken).ConfigureAwait(false);
                }
            }

            if (await ProjectQuotas.WithinQuotaAsync(db, machine.Project, delta, WriteAsync, cancellationToken).ConfigureAwait(false) is { } over)
            {
                return ServiceResult<MachineUpdated>.Conflict(over);
            }
        }
        catch (DbUpdateException)
        {
            return ServiceResult<MachineUpdated>.Conflict($"A machine named '{name}' already exists.");
        }
        catch (System.Data.Common.DbException e) when (DatabaseProvider.IsUniqueViolation(e))
        {
            return ServiceResult<MachineUpdated>.Conflict($"A machine named '{name}' already exists.");
        }

        if (rows == 0)
        {
            var current = await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Id == machine.Id, cancellationToken).ConfigureAwait(false);
            return current is null
                ? ServiceResult<MachineUpdated>.NotFound("No such machine.")
                : ServiceResult<MachineUpdated>.Ok(new MachineUpdated(current.ToView(host?.Name), Stale: true));
        }

        var changes = string.Join(", ", new[]
        {
            name != machine.Name ? $"name {machine.Name} → {name}" : null,
            labelsChanged ? "labels" : null,
            limitsChanged ? $"{spec.Vcpus} vCPUs, {spec.MemoryMiB} MiB" : null,
            diskChanged ? $"disk {spec.DiskGiB} GiB" : null,
        }.Where(c => c is not null));
        db.Events.Add(new EventEntity { At = now, Type = "machine.updated", MachineId = machine.Id, HostId = machine.HostId, Message = $"Machine {name} changed ({changes}) by {user}." });
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        var updated = await db.Machines.AsNoTracking().FirstAsync(m => m.Id == machine.Id, cancellationToken).ConfigureAwait(false);
        var view = updated.ToView(host?.Name);
        feed.Publish(new MachineChanged(view));
        logger.LogInformation("Machine {Name} ({Id}) changed: {Changes}", name, machine.Id, changes);

        if (specChanged && machine.Kind == MachineKind.Container && limitsChanged)
        {
            var operation = OperationService.New(OperationKind.MachineUpdate, machine.Id, name, user, machine.Project);
            operation.Intent = new OperationIntent { HostId = host!.Id };
            db.Operations.Add(operation);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            var hostIdValue = host!.Id;
            operations.Run(operation, async context =>
            {
                context.OnUndo("restore the machine's previous spec", () => RestoreSpecAsync(machine.Id, oldSpec));
                await context.ReportAsync(10, $"Setting {name}'s limits to {spec.Vcpus} vCPUs and {spec.MemoryMiB} MiB").ConfigureAwait(false);
                var result = await agents.ExecuteAsync(hostIdValue, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.UpdateSpec, machine.Id, definition), MachineService.ActionTimeout, context.CancellationToken).ConfigureAwait(false);
                return result.Guest is { } guest
                    ? await inventory.GuestChangedAsync(hostIdValue, guest, context.CancellationToken).ConfigureAwait(false)
                    : view;
            });
            return ServiceResult<MachineUpdated>.Ok(new MachineUpdated(view, new OperationAccepted(operation.ToView(), view)));
        }

        return ServiceResult<MachineUpdated>.Ok(new MachineUpdated(detail is null ? view : view with { Detail = detail }, Detail: detail));
    }

    /// <summary>Why the machine's project cannot take the new spec (its quota on the core four), or null.</summary>
    private Task<string?> CheckProjectQuotaAsync(MachineEntity machine, MachineSpec newSpec, CancellationToken cancellationToken) =>
        quotas.CheckAsync(machine.Project, QuotaDelta.Resize(machine.Spec, newSpec), cancellationToken);

    private async Task RestoreSpecAsync(Guid machineId, MachineSpec spec)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var machine = await db.Machines.FirstOrDefaultAsync(m => m.Id == machineId).ConfigureAwait(false);
        if (machine is null)
        {
            return;
        }

        machine.Spec = spec;
        machine.UpdatedAt = DateTime.UtcNow;
        await db.SaveChangesAsync().ConfigureAwait(false);
        var hostName = machine.HostId is { } id ? await db.Hosts.Where(h => h.Id == id).Select(h => h.Name).FirstOrDefaultAsync().ConfigureAwait(false) : null;
        feed.Publish(new MachineChanged(machine.ToView(hostName)));
    }

    private static IReadOnlyList<DiskSpec> GrowRootDisk(IReadOnlyList<DiskSpec> disks, int totalGiB)
    {
        if (disks.Count == 0)
        {
            return [new DiskSpec("root", totalGiB)];
        }

        var others = disks.Skip(1).Sum(d => d.SizeGiB);
        return [disks[0] with { SizeGiB = Math.Max(disks[0].SizeGiB, totalGiB - others) }, .. disks.Skip(1)];
    }

    private static bool LabelsEqual(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);
}
