using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ringmaster.Core.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>
/// Settles what a stop of the server interrupted, against what the agents report. At start, every
/// operation that was queued (it never began: cancelled, and the machine record made for it removed)
/// or running (kept running until its hosts report) is taken in hand. When an agent registers it
/// tells what it holds: its guests, the snapshots of each, its backup store's archives, the commands
/// still under way and what it removed at its own start; outcomes of commands the agent finished
/// while the server was down arrive afterwards. From that each interrupted operation is finished
/// (its work is done: the snapshot or backup is recorded, the machine kept) or undone (what it half
/// made is removed), and its machine left in a real state. What an agent holds that the inventory
/// does not know (a snapshot or backup whose operation was interrupted) is adopted, and what it
/// removed is recorded; both are said in an event and in the operation's log. Machines left in a
/// transitional state with no operation behind them are set to what their host reports.
/// </summary>
public sealed class OperationRecovery(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    OperationService operations,
    InventoryService inventory,
    IAgentGateway agents,
    ConsoleBroker consoles,
    LiveFeed feed,
    IOptions<RecoveryOptions> options,
    ILogger<OperationRecovery> logger) : IHostedService
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<Guid, Interrupted> _interrupted = new();
    private readonly ConcurrentDictionary<Guid, AgentHoldings> _holdings = new();
    private readonly ConcurrentDictionary<Guid, DateTime> _registered = new();

    /// <summary>Guests reported at registration (machine, the host that reported it), looked at for copies of another host's machine.</summary>
    private readonly ConcurrentDictionary<(Guid Machine, Guid Host), bool> _copies = new();
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>The operation being settled (commands sent to agents for it carry its id, so their progress goes to its log).</summary>
    private Guid _settling;

    /// <summary>An operation the stop interrupted, until it is settled.</summary>
    private sealed class Interrupted(OperationEntity operation, OperationIntent intent, Guid[] hosts, Guid[] machines)
    {
        public OperationEntity Operation { get; } = operation;
        public OperationIntent Intent { get; } = intent;
        public Guid[] Hosts { get; } = hosts;
        public Guid[] Machines { get; } = machines;

        /// <summary>Commands of this operation still under way on its hosts (host, command).</summary>
        public HashSet<(Guid Host, Guid Command)> Awaited { get; } = [];

        /// <summary>What was learnt for its log while it waited (removed leftovers, adopted things, outcomes).</summary>
        public List<string> Notes { get; } = [];

        /// <summary>The last time a host of it reported (or the server started).</summary>
        public DateTime LastNews { get; set; } = DateTime.UtcNow;

        /// <summary>Settlings tried that could not ask a host.</summary>
        public int Attempts { get; set; }
    }

    private const int MaxAttempts = 5;

    private abstract record Work;

    private sealed record Registered(Guid HostId, AgentRegistration Registration) : Work;

    private sealed record Outcome(Guid HostId, CommandResult Result) : Work;

    private sealed record Tick : Work;

    /// <summary>How an interrupted operation ends.</summary>
    private sealed record Settlement(OperationState State, string? Error, object? Result, params string[] Log)
    {
        public static Settlement Done(object? result, params string[] log) => new(OperationState.Succeeded, null, result, log);

        public static Settlement Failed(string error, params string[] log) => new(OperationState.Failed, error, null, log);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            var interrupted = await db.Operations.IgnoreQueryFilters()
                .Where(o => o.State == OperationState.Queued || o.State == OperationState.Running)
                .OrderBy(o => o.CreatedAt)
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            var hosts = await db.Hosts.AsNoTracking().ToDictionaryAsync(h => h.Id, h => h.Name, cancellationToken).ConfigureAwait(false);
            foreach (var operation in interrupted)
            {
                var intent = operation.Intent ?? new OperationIntent();
                if (operation.State == OperationState.Queued)
                {
                    await CancelNeverBegunAsync(operation, intent).ConfigureAwait(false);
                    continue;
                }

                var machine = operation.MachineId is { } id ? await db.Machines.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, cancellationToken).ConfigureAwait(false) : null;
                var on = new[] { intent.HostId ?? machine?.HostId, intent.TargetHostId }.OfType<Guid>().Distinct().ToArray();
                var machines = new[] { operation.MachineId, intent.NewMachineId }.OfType<Guid>().Distinct().ToArray();
                if (on.Length == 0)
                {
                    // Work of the server alone (an evacuation, a group's deletion): what it started is settled on its own.
                    await operations.SettleAsync(operation.Id, OperationState.Failed, "Interrupted: the server stopped while this operation ran; what it had started is settled on its own.", null,
                        ["The server restarted while this operation ran; it has no host to ask about it."]).ConfigureAwait(false);
                    continue;
                }

                var names = string.Join(" and ", on.Select(h => hosts.GetValueOrDefault(h, h.ToString())));
                _interrupted[operation.Id] = new Interrupted(operation, intent, on, machines);
                operations.HoldForSettling(operation.Id, machines);
                await operations.NoteAsync(operation.Id, $"The server restarted while this operation ran; waiting for {names} to report what it did").ConfigureAwait(false);
                logger.LogWarning("Operation {Operation} ({Kind} {Target}) was interrupted by the server's stop; it is settled when {Hosts} report", operation.Id, operation.Kind, operation.Target, names);
            }
        }

        _loop = Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _work.Writer.TryComplete();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>An agent registered (the inventory has applied its guests): adopt what it holds and settle what waited for it.</summary>
    public void HostRegistered(Guid hostId, AgentRegistration registration) => _work.Writer.TryWrite(new Registered(hostId, registration));

    /// <summary>A command's outcome no request waits for: its server stopped after sending it. It settles its operation, or is adopted.</summary>
    public void UnclaimedOutcome(Guid hostId, CommandResult result) => _work.Writer.TryWrite(new Outcome(hostId, result));

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var ticks = TicksAsync(timer, cancellationToken);
        try
        {
            await foreach (var work in _work.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await HandleAsync(work, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    logger.LogError(ex, "Settling interrupted operations failed at {Work}; trying again at the next report", work.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await ticks.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task TicksAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!_interrupted.IsEmpty)
            {
                _work.Writer.TryWrite(new Tick());
            }
        }
    }

    private async Task HandleAsync(Work work, CancellationToken cancellationToken)
    {
        var sweep = new HashSet<Guid>();
        switch (work)
        {
            case Registered(var hostId, var registration):
                _registered[hostId] = DateTime.UtcNow;
                if (registration.Holdings is { } holdings)
                {
                    _holdings[hostId] = holdings;
                    await RecordDiscardedAsync(hostId, holdings.Discarded).ConfigureAwait(false);
                    await AdoptAsync(hostId, holdings, cancellationToken).ConfigureAwait(false);
                }

                foreach (var guest in registration.Guests)
                {
                    _copies[(guest.Id, hostId)] = true;
                }

                foreach (var x in _interrupted.Values.Where(x => x.Hosts.Contains(hostId)))
                {
                    x.LastNews = DateTime.UtcNow;
                    x.Awaited.RemoveWhere(a => a.Host == hostId);
                    foreach (var command in registration.Holdings?.Running ?? [])
                    {
                        if (command.OperationId == x.Operation.Id)
                        {
                            x.Awaited.Add((hostId, command.CommandId));
                        }
                    }

                    if (x.Awaited.Count > 0)
                    {
                        await operations.NoteAsync(x.Operation.Id, $"{await HostNameAsync(hostId).ConfigureAwait(false)} is still carrying out its part; waiting for it to finish", log: true).ConfigureAwait(false);
                    }
                }

                sweep.Add(hostId);
                break;

            case Outcome(var hostId, var result):
                await AdoptOutcomeAsync(hostId, result, cancellationToken).ConfigureAwait(false);
                if (result.OperationId is { } operationId && _interrupted.TryGetValue(operationId, out var waiting))
                {
                    waiting.Awaited.Remove((hostId, result.CommandId));
                    waiting.LastNews = DateTime.UtcNow;
                    waiting.Notes.Add(result.Succeeded
                        ? $"{await HostNameAsync(hostId).ConfigureAwait(false)} finished its part while the server was down."
                        : $"{await HostNameAsync(hostId).ConfigureAwait(false)} could not finish its part while the server was down: {result.Error}");
                }
                else if (result.Guest is { } guest)
                {
                    // Late news of an operation already settled: only the machine's own host moves it.
                    await inventory.GuestReportedAsync(hostId, guest, cancellationToken).ConfigureAwait(false);
                }

                break;
        }

        foreach (var x in _interrupted.Values.OrderBy(x => x.Operation.CreatedAt).ToList())
        {
            var ready = x.Awaited.Count == 0 && x.Hosts.All(h => _registered.ContainsKey(h) && agents.IsConnected(h));
            var given = !ready && DateTime.UtcNow - x.LastNews > TimeSpan.FromSeconds(options.Value.HostGraceSeconds) && x.Hosts.Any(h => !agents.IsConnected(h));
            if (ready || given)
            {
                await SettleAsync(x, given, cancellationToken).ConfigureAwait(false);
                foreach (var host in x.Hosts)
                {
                    sweep.Add(host);
                }
            }
        }

        foreach (var host in sweep.Where(agents.IsConnected))
        {
            await SweepAsync(host, cancellationToken).ConfigureAwait(false);
        }

        if (work is Registered && !_copies.IsEmpty)
        {
            await RemoveCopiesAsync(cancellationToken).ConfigureAwait(false);
        }
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

    /// <summary>An operation that never began did nothing on a host; the machine record made when it was asked for goes.</summary>
    private async Task CancelNeverBegunAsync(OperationEntity operation, OperationIntent intent)
    {
        var log = new List<string> { "The server restarted before this operation began." };
        if (intent.NewMachineId is { } id && await RemoveRecordAsync(id, "machine.removed", name => $"Machine {name} is removed: the server stopped before its operation began.").ConfigureAwait(false) is { } name)
        {
            log.Add($"Removed the record of machine {name}, made for this operation; nothing was made on a host.");
        }

        await operations.SettleAsync(operation.Id, OperationState.Cancelled, "Cancelled: the server stopped before this operation began; nothing was done.", null, log).ConfigureAwait(false);
    }

    private async Task SettleAsync(Interrupted x, bool givenUp, CancellationToken cancellationToken)
    {
        _settling = x.Operation.Id;
        Settlement settlement;
        try
        {
            settlement = givenUp ? await NotKnownAsync(x).ConfigureAwait(false) : await DecideAsync(x, new Guests(agents, cancellationToken)).ConfigureAwait(false);
        }
        catch (AgentCommandException ex)
        {
            // The host refused a step of the undo: said as it is, nothing more can be done here.
            settlement = Settlement.Failed($"Interrupted: the server stopped while this operation ran, and putting things right failed: {ex.Message}");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ++x.Attempts < MaxAttempts)
        {
            // A host went away while it was asked: wait for its next report.
            logger.LogWarning("Settling operation {Operation} must wait: {Reason}", x.Operation.Id, ex.Message);
            x.LastNews = DateTime.UtcNow;
            return;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            settlement = Settlement.Failed($"Interrupted: the server stopped while this operation ran, and its hosts could not be asked what it did ({ex.Message}).");
        }

        _interrupted.TryRemove(x.Operation.Id, out _);

        await operations.SettleAsync(x.Operation.Id, settlement.State, settlement.Error, settlement.Result, [.. x.Notes, .. settlement.Log]).ConfigureAwait(false);
        operations.ReleaseSettled(x.Operation.Id);
        logger.LogInformation("Settled interrupted operation {Operation} ({Kind} {Target}): {State}{Error}", x.Operation.Id, x.Operation.Kind, x.Operation.Target, settlement.State,
            settlement.Error is null ? "" : " — " + settlement.Error);
    }

    private async Task<Settlement> NotKnownAsync(Interrupted x)
    {
        var missing = string.Join(" and ", await Task.WhenAll(x.Hosts.Where(h => !agents.IsConnected(h)).Select(HostNameAsync)).ConfigureAwait(false));
        return Settlement.Failed($"Interrupted: the server stopped while this operation ran, and {missing} has not reported since; what it did is not known. The machine shows what its host reports when it is back.");
    }

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
        return operation.Kind switch
        {
            "machine.create" => await SettleMadeAsync(intent.NewMachineId ?? operation.MachineId!.Value, hostId, host, guests, "create",
                g => intent.Start && g.State != MachineState.Running ? $" It is {g.State.ToString().ToLowerInvariant()}, not running: start it." : "").ConfigureAwait(false),
            "machine.clone" => await SettleCloneAsync(x, hostId, host, guests).ConfigureAwait(false),
            "backup.restore" when intent.NewMachineId is not null => await SettleMadeAsync(intent.NewMachineId.Value, hostId, host, guests, "restore", _ => "").ConfigureAwait(false),
            "backup.restore" => await SettleReplaceAsync(operation, hostId, host, guests).ConfigureAwait(false),
            "machine.delete" => await SettleDeleteAsync(operation, hostId, host, guests).ConfigureAwait(false),
            "machine.migrate" => await SettleMigrationAsync(x, machine, guests).ConfigureAwait(false),
            "snapshot.create" or "schedule.snapshot" => await SettleSnapshotAsync(x, hostId, host).ConfigureAwait(false),
            "snapshot.delete" => await SettleSnapshotDeleteAsync(x, hostId, host).ConfigureAwait(false),
            "machine.backup" or "schedule.backup" => await SettleBackupAsync(x, host).ConfigureAwait(false),
            "backup.delete" => await SettleBackupDeleteAsync(x, hostId, host).ConfigureAwait(false),
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
        if (await db.Backups.AnyAsync(b => b.Id == info.Id, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var scheduleId = _interrupted.Values.FirstOrDefault(x => x.Intent.BackupId == info.Id)?.Intent.ScheduleId;
        db.Backups.Add(new BackupEntity
        {
            Id = info.Id,
            MachineId = info.MachineId,
            MachineName = info.MachineName,
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
}

/// <summary>Settings of the settling of interrupted operations (section <c>Recovery</c>).</summary>
public sealed record RecoveryOptions
{
    public const string Section = "Recovery";

    /// <summary>How long an interrupted operation waits for a host that does not report before it is settled as not known (Recovery:HostGraceSeconds).</summary>
    public double HostGraceSeconds { get; init; } = 90;
}
