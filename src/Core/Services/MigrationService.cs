using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

/// <summary>How the core asks agents about a migration before anything moves (the web implements it over the hub).</summary>
public interface IMigrationProbes
{
    Task<MigrationProbe> ProbeAsync(Guid hostId, MigrationProbeRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// Moves machines between hosts: pre-flight checks, then live (VMs that run: memory pre-copied in
/// rounds, a short stop-and-copy, resume on the target) or offline (stopped VMs; containers: stop,
/// export, import, start), as an operation whose result carries the figures. The guest stays on the
/// source until the target confirms; a failed or cancelled move leaves it as it was on the source.
/// Evacuating a host moves all of its machines with a concurrency limit, as one parent operation.
/// </summary>
public sealed class MigrationService(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    OperationService operations,
    InventoryService inventory,
    IAgentGateway agents,
    IMigrationProbes probes,
    TransferRelay relay,
    LiveFeed feed,
    ILogger<MigrationService> logger,
    IAccessScope? scope = null)
{
    public static readonly TimeSpan MoveTimeout = TimeSpan.FromMinutes(30);

    public const string CriuMessage =
        "Live migration and checkpoint of containers need CRIU, which does not work on this kernel; use \"live\": false to move the container offline (stop, export, import, start).";

    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>What a pre-flight found, and what the move needs.</summary>
    private sealed record Plan(MigrationPreflight Preflight, MachineEntity Machine, HostEntity? Source, HostEntity? Target, bool SendImage);

    public async Task<ServiceResult<MigrationPreflight>> PreflightAsync(Guid machineId, string? host, bool? live, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            return ServiceResult<MigrationPreflight>.Invalid("host", "Name the target host (host=NAME or id).");
        }

        var plan = await PlanAsync(machineId, host, live, cancellationToken).ConfigureAwait(false);
        return plan is null ? ServiceResult<MigrationPreflight>.NotFound($"No machine {machineId}.") : ServiceResult<MigrationPreflight>.Ok(plan.Preflight);
    }

    private async Task<Plan?> PlanAsync(Guid machineId, string wanted, bool? liveWanted, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var machine = await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Id == machineId, cancellationToken).ConfigureAwait(false);
        if (machine is null)
        {
            return null;
        }

        var hosts = await db.Hosts.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        var source = hosts.FirstOrDefault(h => h.Id == machine.HostId);
        var target = hosts.FirstOrDefault(h => h.IsNamed(wanted));
        var live = liveWanted ?? (machine.Kind == MachineKind.Vm && machine.State is MachineState.Running or MachineState.Paused);
        var checks = new List<PreflightCheck>();
        void Check(string name, bool passed, string detail) => checks.Add(new PreflightCheck(name, passed, detail));

        // The machine itself.
        var movable = machine.State is MachineState.Running or MachineState.Paused or MachineState.Stopped;
        Check("machine", movable, movable
            ? $"{machine.Name} is {machine.State.ToString().ToLowerInvariant()}."
            : $"{machine.Name} is {machine.State}; only a running, paused or stopped machine can move.");
        var qemuRefusal = machine.QemuRefusal("Migrations");
        if (qemuRefusal is not null)
        {
            Check("engine", false, qemuRefusal);
        }

        if (machine.Kind == MachineKind.Container)
        {
            Check("mode", !live, live ? CriuMessage : "Offline: the container stops, its filesystem is exported, imported on the target and started there.");
        }
        else
        {
            var mode = live
                ? machine.State is MachineState.Running or MachineState.Paused
                : machine.State is MachineState.Stopped;
            Check("mode", mode, (live, machine.State) switch
            {
                (true, MachineState.Running or MachineState.Paused) => "Live: memory is copied in rounds while the VM runs, then a short pause moves the rest.",
                (true, _) => "A stopped VM moves offline; use \"live\": false.",
                (false, MachineState.Stopped) => "Offline: the stopped VM's disk moves.",
                _ => "A running VM moves live; use \"live\": true, or stop it first.",
            });
        }

        var sourceOnline = source is not null && source.Online && agents.IsConnected(source.Id);
        Check("source online", sourceOnline, source is null ? "The machine has no host." : sourceOnline ? $"{source.Name} is online." : $"{source.Name} is offline.");
        if (target is null)
        {
            Check("target online", false, $"No host named '{InputText.Clip(wanted, 64)}'.");
        }
        else
        {
            var online = target.Online && agents.IsConnected(target.Id);
            Check("target online", online && target.Id != source?.Id, target.Id == source?.Id
                ? $"{machine.Name} already runs on {target.Name}."
                : online ? $"{target.Name} is online." : $"{target.Name} is offline.");
        }

        var sendImage = false;
        if (target is { Capabilities: { } caps } && target.Id != source?.Id)
        {
            var committed = await db.Machines.AsNoTracking()
                .Where(m => m.HostId == target.Id && m.Id != machine.Id && m.State != MachineState.Lost)
                .Select(m => m.Spec).ToListAsync(cancellationToken).ConfigureAwait(false);
            var totalMiB = caps.MemoryBytes / (1024 * 1024);
            var freeMiB = totalMiB - committed.Sum(s => (long)s.MemoryMiB);
            var memoryOk = freeMiB >= machine.Spec.MemoryMiB;
            var cpuOk = machine.Spec.Vcpus <= Math.Max(1, caps.Cores);
            var diskOk = caps.DiskFreeBytes <= 0 || caps.DiskFreeBytes >= (long)machine.Spec.DiskGiB << 30;
            var problems = new List<string>();
            if (!memoryOk)
            {
                problems.Add($"{machine.Spec.MemoryMiB} MiB of memory needed, {Math.Max(0, freeMiB)} MiB of {totalMiB} MiB not yet given to machines");
            }

            if (!cpuOk)
            {
                problems.Add($"{machine.Spec.Vcpus} vCPUs needed, the host has {caps.Cores} cores");
            }

            if (!diskOk)
            {
                problems.Add($"{machine.Spec.DiskGiB} GiB of disk needed, {caps.DiskFreeBytes >> 30} GiB free");
            }

            Check("capacity", problems.Count == 0, problems.Count == 0
                ? $"{machine.Spec.Vcpus} vCPU, {machine.Spec.MemoryMiB} MiB, {machine.Spec.DiskGiB} GiB fit on {target.Name} ({freeMiB} MiB free); networks: {string.Join(", ", machine.Spec.Networks.Select(n => n.Name))} on the host's default network."
                : $"{target.Name} lacks room: {string.Join("; ", problems)}.");

            if (machine.Kind == MachineKind.Container)
            {
                Check("engine", caps.ContainerEngine is not null, caps.ContainerEngine is { } engine ? $"{target.Name} runs {engine.Name} {engine.Version}." : $"{target.Name} has no container engine.");
            }
            else if (qemuRefusal is null)
            {
                var sameIsa = source?.Capabilities?.EmulatorIsa is { } isa && isa == caps.EmulatorIsa;
                Check("isa", sameIsa, sameIsa ? $"Both run the emulator with {caps.EmulatorIsa}." : $"The target's emulator ({caps.EmulatorIsa}) differs from the source's ({source?.Capabilities?.EmulatorIsa ?? "unknown"}).");
            }

            // Ask the agents: the source's image by checksum, and whether the target has it and the name free.
            if (qemuRefusal is null && sourceOnline && target.Online && agents.IsConnected(target.Id))
            {
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(s_probeTimeout);
                    var request = new MigrationProbeRequest(machine.Id, machine.Name, machine.Kind, machine.Image);
                    var fromSource = machine.Kind == MachineKind.Vm ? await probes.ProbeAsync(source!.Id, request, timeout.Token).ConfigureAwait(false) : null;
                    var manifest = fromSource?.Manifest ?? new ImageManifest(machine.Image, []);
                    var fromTarget = await probes.ProbeAsync(target.Id, request with { Manifest = manifest }, timeout.Token).ConfigureAwait(false);
                    if (!fromTarget.Supported)
                    {
                        Check("image", false, fromTarget.Detail ?? "The target cannot take this kind of machine.");
                    }
                    else if (machine.Kind == MachineKind.Container)
                    {
                        Check("image", true, "The container's filesystem goes as an export; the target needs no image.");
                    }
                    else if (fromSource?.Manifest is null)
                    {
                        Check("image", false, $"The source cannot read image '{machine.Image}': {fromSource?.Detail}");
                    }
                    else if (fromTarget.ImagePresent)
                    {
                        Check("image", true, $"{target.Name} has image '{machine.Image}' (same SHA-256).");
                    }
                    else
                    {
                        sendImage = true;
                        Check("image", true, $"{target.Name} lacks image '{machine.Image}' (or has another version): it will be copied ({fromSource.Manifest.TotalBytes / (1024.0 * 1024):0.0} MiB).");
                    }

                    Check("name", fromTarget.NameFree, fromTarget.NameFree ? $"No other guest named {machine.Name} on {target.Name}." : fromTarget.Detail ?? $"The name {machine.Name} is taken on {target.Name}.");
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    Check("agents", false, $"The agents did not answer the pre-flight: {ex.Message}");
                }
            }
        }

        var preflight = new MigrationPreflight(machine.Id, machine.Name, source?.Name, target?.Name, live, checks.All(c => c.Passed), checks, sendImage);
        return new Plan(preflight, machine, source, target, sendImage);
    }

    public async Task<ServiceResult<OperationAccepted>> MigrateAsync(Guid machineId, MigrateRequest request, string user, CancellationToken cancellationToken = default)
    {
        var (result, _) = await StartAsync(machineId, request, user, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Starts a migration; the task ends with the migration (for evacuations).</summary>
    private async Task<(ServiceResult<OperationAccepted> Result, Task<MigrationResult>? Done)> StartAsync(Guid machineId, MigrateRequest request, string user, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Host))
        {
            return (ServiceResult<OperationAccepted>.Invalid("host", "Name the target host."), null);
        }

        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            var kind = await db.Machines.Where(m => m.Id == machineId).Select(m => (MachineKind?)m.Kind).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            if (kind is null)
            {
                return (ServiceResult<OperationAccepted>.NotFound($"No machine {machineId}."), null);
            }

            if (kind == MachineKind.Container && request.Live == true)
            {
                return (ServiceResult<OperationAccepted>.Invalid("live", CriuMessage), null);
            }
        }

        var plan = await PlanAsync(machineId, request.Host, request.Live, cancellationToken).ConfigureAwait(false);
        if (plan is null)
        {
            return (ServiceResult<OperationAccepted>.NotFound($"No machine {machineId}."), null);
        }

        if (!plan.Preflight.CanMigrate)
        {
            var failed = plan.Preflight.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Detail}");
            return (ServiceResult<OperationAccepted>.Conflict($"{plan.Machine.Name} cannot move to {plan.Target?.Name ?? request.Host}. " + string.Join(" ", failed)), null);
        }

        var machine = plan.Machine;
        var operation = OperationService.New(OperationKind.MachineMigrate, machine.Id, machine.Name, user, machine.Project);
        operation.Intent = new OperationIntent { HostId = plan.Source?.Id, TargetHostId = plan.Target?.Id, PreviousState = machine.State };
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            db.Operations.Add(operation);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        var done = new TaskCompletionSource<MigrationResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        operations.Run(operation, async context =>
        {
            try
            {
                var moved = await MoveAsync(context, plan).ConfigureAwait(false);
                done.TrySetResult(moved);
                return moved;
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
                throw;
            }
        });
        return (ServiceResult<OperationAccepted>.Ok(new OperationAccepted(operation.ToView(), machine.ToView(plan.Source?.Name))), done.Task);
    }

    /// <summary>
    /// Moves a machine inside an operation already running (a clone placed on another host): the
    /// pre-flight, then the move, whose undo steps join the operation's.
    /// </summary>
    internal async Task<MigrationResult> MoveWithinAsync(OperationContext context, Guid machineId, Guid targetHostId, bool live)
    {
        var plan = await PlanAsync(machineId, targetHostId.ToString(), live, context.CancellationToken).ConfigureAwait(false)
            ?? throw new MigrationFailedException("The machine to move no longer exists.");
        if (!plan.Preflight.CanMigrate)
        {
            var failed = plan.Preflight.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Detail}");
            throw new MigrationFailedException($"{plan.Machine.Name} cannot move to {plan.Target?.Name}. " + string.Join(" ", failed));
        }

        return await MoveAsync(context, plan).ConfigureAwait(false);
    }

    private async Task<MigrationResult> MoveAsync(OperationContext context, Plan plan)
    {
        var clock = Stopwatch.StartNew();
        var machine = plan.Machine;
        var source = plan.Source!;
        var target = plan.Target!;
        var live = plan.Preflight.Live;

        // The state may have changed while the operation waited for the machine.
        var current = await CurrentAsync(machine.Id).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{machine.Name} no longer exists.");
        if (current.HostId != source.Id || current.State != machine.State)
        {
            throw new InvalidOperationException($"{machine.Name} changed (now {current.State} on another host or state) before the move began; check again and retry.");
        }

        var previous = current.State;
        var mode = live ? "live" : "offline";
        await context.ReportAsync(5, $"Moving {machine.Name} {mode} from {source.Name} to {target.Name}").ConfigureAwait(false);
        await SetStateAsync(machine.Id, MachineState.Migrating, $"Moving to {target.Name} ({mode}).").ConfigureAwait(false);
        context.OnUndo("put the machine back as it was on its source", () => AbortAsync(context.OperationId, machine, source, previous));

        var definition = new GuestDefinition(machine.Id, machine.Name, machine.Kind, machine.Image, machine.Command, machine.Spec, machine.Labels, Engine: machine.EngineOf());
        using var transfer = relay.Open(source.Id, target.Id, $"migrate {machine.Name}");
        var order = new MigrationOrder(transfer.Id, live, plan.SendImage);
        using var cancelled = context.CancellationToken.Register(() => transfer.Fail("The migration was cancelled."));

        // Both sides at once: the target reads what the source sends. Neither wait is cancelled by the
        // operation: a cancel fails the transfer, and both sides then stop on their own.
        var receive = agents.ExecuteAsync(target.Id, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.MigrateIn, machine.Id, definition, Migration: order), MoveTimeout, CancellationToken.None);
        var (sent, sourceError, received, targetError) = await transfer.RunAsync(receive,
            () => agents.ExecuteAsync(source.Id, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.MigrateOut, machine.Id, Migration: order), MoveTimeout, CancellationToken.None),
            source.Name, target.Name).ConfigureAwait(false);
        if (sent is not null)
        {
            await context.LogAsync($"Source sent {sent.Migration?.Bytes ?? 0} bytes in {sent.Migration?.Rounds ?? 0} rounds").ConfigureAwait(false);
        }

        if (sourceError is not null || targetError is not null || received?.Guest is null)
        {
            // The side whose agent went away is the cause; otherwise the side that failed first (the source stops when the target does).
            var reason = context.CancellationToken.IsCancellationRequested ? "The migration was cancelled."
                : targetError is AgentUnavailableException ? Describe(targetError, target.Name, "target")
                : sourceError is AgentUnavailableException ? Describe(sourceError, source.Name, "source")
                : targetError is not null && sourceError?.Message.Contains("transfer", StringComparison.OrdinalIgnoreCase) != false ? Describe(targetError, target.Name, "target")
                : sourceError is not null ? Describe(sourceError, source.Name, "source")
                : "The target did not report the machine.";
            if (received?.Guest is not null)
            {
                // The target had it all, the move failed elsewhere: its copy goes, the machine stays on its source.
                await RemoveCopyAsync(context, machine, target).ConfigureAwait(false);
            }

            throw new MigrationFailedException($"{reason} {machine.Name} stays on {source.Name}.");
        }

        // The target has the machine (running, when it ran): the inventory follows, then the source lets go.
        await inventory.GuestChangedAsync(target.Id, received.Guest, CancellationToken.None).ConfigureAwait(false);
        await context.ReportAsync(95, $"{machine.Name} runs on {target.Name}; removing it from {source.Name}").ConfigureAwait(false);
        try
        {
            await agents.ExecuteAsync(source.Id, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.Delete, machine.Id), MachineService.ActionTimeout, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not remove migrated machine {Machine} from {Host}", machine.Name, source.Name);
            await context.LogAsync($"Warning: the copy on {source.Name} could not be removed ({ex.Message}); delete it there by hand.").ConfigureAwait(false);
        }

        await using (var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false))
        {
            InventoryService.AddEvent(db, "machine.migrated", machine.Id, target.Id, $"Machine {machine.Name} moved {mode} from {source.Name} to {target.Name}.");
            await db.SaveChangesAsync().ConfigureAwait(false);
        }

        var figures = received.Migration;
        var result = new MigrationResult(machine.Id, machine.Name, source.Name, target.Name, live,
            Math.Round(clock.Elapsed.TotalMilliseconds, 1),
            figures?.DowntimeMs is { } d ? Math.Round(d, 1) : null,
            sent?.Migration?.Bytes ?? figures?.Bytes ?? 0,
            sent?.Migration?.Rounds ?? 0,
            sent?.Migration?.Pages ?? figures?.Pages ?? 0,
            figures?.ImageCopied ?? false,
            figures?.DowntimeMs is { } down && sent?.Migration?.StopCopyMs is { } stopCopy && figures.LoadMs is { } load
                ? new DowntimeBreakdown(Math.Round(stopCopy, 2), Math.Round(Math.Max(0, down - stopCopy - load), 2), Math.Round(load, 2), sent.Migration.FinalPages)
                : null);
        if (result.DowntimeMs is { } downtime)
        {
            RingmasterMeter.MigrationDowntime.Record(downtime / 1000, new KeyValuePair<string, object?>("mode", live ? "live" : "cold"));
        }

        logger.LogInformation("Moved {Machine} {Mode} from {Source} to {Target} in {Total} ms (downtime {Downtime} ms, {Bytes} bytes, {Rounds} rounds)",
            machine.Name, mode, source.Name, target.Name, result.TotalMs, result.DowntimeMs, result.Bytes, result.Rounds);
        return result;
    }

    private async Task RemoveCopyAsync(OperationContext context, MachineEntity machine, HostEntity target)
    {
        try
        {
            await agents.ExecuteAsync(target.Id, new AgentCommand(Guid.NewGuid(), context.OperationId, AgentCommandKind.Delete, machine.Id), MachineService.ActionTimeout, CancellationToken.None).ConfigureAwait(false);
            await context.LogAsync($"Removed the copy {target.Name} had received").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AgentUnavailableException or AgentCommandException)
        {
            logger.LogWarning("Could not remove the copy of {Machine} on {Host}: {Reason}", machine.Name, target.Name, ex.Message);
            await context.LogAsync($"Warning: the copy on {target.Name} could not be removed ({ex.Message}); it goes when that host next reports it.").ConfigureAwait(false);
        }
    }

    private static string Describe(Exception ex, string host, string side) => ex switch
    {
        AgentUnavailableException => $"The {side} host {host}'s agent went away during the migration ({ex.Message}).",
        AgentCommandException => $"The {side} host {host} failed: {ex.Message}",
        _ => $"The {side} host {host} failed: {ex.Message}",
    };

    /// <summary>After a failed move: the source puts the guest back (a live VM resumes) and the inventory shows it there.</summary>
    private async Task AbortAsync(Guid operationId, MachineEntity machine, HostEntity source, MachineState previous)
    {
        try
        {
            var back = await agents.ExecuteAsync(source.Id, new AgentCommand(Guid.NewGuid(), operationId, AgentCommandKind.MigrateAbort, machine.Id, Migration: new MigrationOrder(Guid.Empty, false, false)), MachineService.ActionTimeout, CancellationToken.None).ConfigureAwait(false);
            if (back.Guest is { } guest)
            {
                await inventory.GuestChangedAsync(source.Id, guest, CancellationToken.None).ConfigureAwait(false);
                return;
            }
        }
        catch (Exception ex) when (ex is AgentUnavailableException or AgentCommandException)
        {
            logger.LogWarning("Could not ask {Host} to take {Machine} back: {Reason}", source.Name, machine.Name, ex.Message);
        }

        await SetStateAsync(machine.Id, previous, null).ConfigureAwait(false);
    }

    private async Task<MachineEntity?> CurrentAsync(Guid machineId)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        return await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Id == machineId).ConfigureAwait(false);
    }

    private async Task SetStateAsync(Guid machineId, MachineState state, string? detail)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var machine = await db.Machines.FindAsync(machineId).ConfigureAwait(false);
        if (machine is null)
        {
            return;
        }

        machine.State = state;
        machine.Detail = detail;
        machine.UpdatedAt = DateTime.UtcNow;
        await db.SaveChangesAsync().ConfigureAwait(false);
        var hostName = machine.HostId is { } id ? await db.Hosts.Where(h => h.Id == id).Select(h => h.Name).FirstOrDefaultAsync().ConfigureAwait(false) : null;
        feed.Publish(new MachineChanged(machine.ToView(hostName)));
    }

    /// <summary>Moves every machine off a host (live for running VMs, offline otherwise), <paramref name="request"/>'s concurrency at a time.</summary>
    public async Task<ServiceResult<OperationAccepted>> EvacuateAsync(string hostIdOrName, EvacuateRequest request, string user, CancellationToken cancellationToken = default)
    {
        var concurrency = request.Concurrency ?? 2;
        if (concurrency is < 1 or > 8)
        {
            return ServiceResult<OperationAccepted>.Invalid("concurrency", "concurrency must be between 1 and 8.");
        }

        if (scope?.Projects is not null)
        {
            // It would move only the caller's machines and leave the others: emptying a host is for admins.
            return ServiceResult<OperationAccepted>.Forbidden("Evacuating a host moves the machines of every project: only an admin may do it.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var hosts = await db.Hosts.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        var host = hosts.FirstOrDefault(h => h.IsNamed(hostIdOrName));
        if (host is null)
        {
            return ServiceResult<OperationAccepted>.NotFound("No such host.");
        }

        if (!host.Online || !agents.IsConnected(host.Id))
        {
            return ServiceResult<OperationAccepted>.Conflict($"Host {host.Name} is offline: its machines cannot be moved off it.");
        }

        var evacuating = await MachineService.EvacuatingAsync(db, cancellationToken).ConfigureAwait(false);
        if (evacuating.Contains(host.Name))
        {
            return ServiceResult<OperationAccepted>.Conflict($"Host {host.Name} is already being evacuated.");
        }

        var targets = hosts.Where(h => h.Id != host.Id && h.Online && agents.IsConnected(h.Id) && !evacuating.Contains(h.Name)).ToList();
        if (targets.Count == 0)
        {
            return ServiceResult<OperationAccepted>.Conflict($"No other host is online to take the machines of {host.Name}.");
        }

        var machines = await db.Machines.AsNoTracking().Where(m => m.HostId == host.Id).OrderBy(m => m.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        var committed = (await db.Machines.AsNoTracking().Where(m => m.HostId != null && m.State != MachineState.Lost).Select(m => new { m.HostId, m.Spec.MemoryMiB }).ToListAsync(cancellationToken).ConfigureAwait(false))
            .GroupBy(m => m.HostId!.Value).ToDictionary(g => g.Key, g => g.Sum(m => (long)m.MemoryMiB));
        var operation = OperationService.New(OperationKind.HostEvacuate, null, host.Name, user, project: null);
        db.Operations.Add(operation);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);

        // Targets are chosen up front, each machine on the host with the most memory left for it.
        var plan = new List<(MachineEntity Machine, HostEntity? Target)>();
        foreach (var m in machines)
        {
            var fit = targets
                .Where(t => m.Kind == MachineKind.Vm || t.Capabilities?.ContainerEngine is not null)
                .Select(t => (Host: t, Free: (t.Capabilities?.MemoryBytes ?? 0) / (1024 * 1024) - committed.GetValueOrDefault(t.Id)))
                .Where(t => t.Free >= m.Spec.MemoryMiB)
                .OrderByDescending(t => t.Free)
                .Select(t => t.Host).FirstOrDefault();
            if (fit is not null)
            {
                committed[fit.Id] = committed.GetValueOrDefault(fit.Id) + m.Spec.MemoryMiB;
            }

            plan.Add((m, fit));
        }

        operations.Run(operation, context => EvacuateWorkAsync(context, host.Name, plan, concurrency, user));
        return ServiceResult<OperationAccepted>.Ok(new OperationAccepted(operation.ToView(), null));
    }

    private async Task<object?> EvacuateWorkAsync(OperationContext context, string hostName, List<(MachineEntity Machine, HostEntity? Target)> plan, int concurrency, string user)
    {
        var items = new EvacuationItem[plan.Count];
        var finished = 0;
        await context.ReportAsync(1, $"Moving {plan.Count} machines off {hostName}, {concurrency} at a time").ConfigureAwait(false);
        using var gate = new SemaphoreSlim(concurrency);
        await Task.WhenAll(plan.Select(async (entry, i) =>
        {
            var (machine, target) = entry;
            await gate.WaitAsync(context.CancellationToken).ConfigureAwait(false);
            try
            {
                items[i] = await MoveOneAsync(context, machine, target, user).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
                var n = Interlocked.Increment(ref finished);
                await context.ReportAsync(Math.Min(99, n * 100 / Math.Max(1, plan.Count)), $"{machine.Name}: {items[i]?.State ?? "failed"}").ConfigureAwait(false);
            }
        })).ConfigureAwait(false);

        var failed = items.Where(i => i.Error is not null).ToList();
        if (failed.Count > 0)
        {
            throw new MigrationFailedException($"{failed.Count} of {items.Length} machines could not leave {hostName}: "
                + string.Join("; ", failed.Select(f => $"{f.Machine}: {f.Error}")));
        }

        return new { host = hostName, moved = items.Length, items };
    }

    private async Task<EvacuationItem> MoveOneAsync(OperationContext context, MachineEntity machine, HostEntity? target, string user)
    {
        var live = machine.Kind == MachineKind.Vm && machine.State is MachineState.Running or MachineState.Paused;
        if (target is null)
        {
            await context.LogAsync($"{machine.Name}: no other online host has room for it").ConfigureAwait(false);
            return new EvacuationItem(machine.Id, machine.Name, null, live, "Failed", null, "No other online host has room for it.", null);
        }

        try
        {
            var (started, done) = await StartAsync(machine.Id, new MigrateRequest(target.Name, live), user, context.CancellationToken).ConfigureAwait(false);
            if (started.Kind != ResultKind.Ok || done is null)
            {
                await context.LogAsync($"{machine.Name}: {started.Message}").ConfigureAwait(false);
                return new EvacuationItem(machine.Id, machine.Name, target.Name, live, "Failed", null, started.Message ?? "refused", null);
            }

            await context.LogAsync($"{machine.Name}: moving {(live ? "live" : "offline")} to {target.Name} (operation {started.Value!.Operation.Id})").ConfigureAwait(false);
            try
            {
                var moved = await done.ConfigureAwait(false);
                await context.LogAsync($"{machine.Name}: on {target.Name} after {moved.TotalMs:0} ms").ConfigureAwait(false);
                return new EvacuationItem(machine.Id, machine.Name, target.Name, live, "Moved", started.Value.Operation.Id, null, moved.DowntimeMs);
            }
            catch (Exception ex)
            {
                await context.LogAsync($"{machine.Name}: {ex.Message}").ConfigureAwait(false);
                return new EvacuationItem(machine.Id, machine.Name, target.Name, live, "Failed", started.Value.Operation.Id, ex.Message, null);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new EvacuationItem(machine.Id, machine.Name, target.Name, live, "Failed", null, ex.Message, null);
        }
    }

}

/// <summary>A migration failed; the message says why and where the machine is.</summary>
public sealed class MigrationFailedException(string message) : Exception(message);
