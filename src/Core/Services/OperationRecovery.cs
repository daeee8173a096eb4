using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;
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
public sealed partial class OperationRecovery(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    OperationService operations,
    InventoryService inventory,
    IAgentGateway agents,
    ConsoleBroker consoles,
    LiveFeed feed,
    ILeadership leadership,
    IOptions<RecoveryOptions> options,
    ILogger<OperationRecovery> logger) : IHostedService
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<Guid, Interrupted> _interrupted = new();
    private readonly ConcurrentDictionary<Guid, AgentHoldings> _holdings = new();
    private readonly ConcurrentDictionary<Guid, DateTime> _registered = new();

    /// <summary>Guests reported at registration (machine, the host that reported it), looked at for copies of another host's machine.</summary>
    private readonly ConcurrentDictionary<(Guid Machine, Guid Host), bool> _copies = new();

    /// <summary>
    /// Commands of interrupted operations whose outcome the server has (command, when): an agent's
    /// registration lists the commands under way when it takes its list, so one that arrives after
    /// the outcome (a registration again, asked for while the command ran) may still name it.
    /// </summary>
    private readonly ConcurrentDictionary<Guid, DateTime> _finished = new();
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

    private sealed record Claimed(Guid HostId, Guid CommandId) : Work;

    private sealed record Tick : Work;

    /// <summary>The node <paramref name="Instance"/> is gone, and these operations of it are still queued or running.</summary>
    private sealed record NodeGone(string Instance, Guid[] Operations) : Work;

    /// <summary>How an interrupted operation ends.</summary>
    private sealed record Settlement(OperationStatus State, string? Error, object? Result, params string[] Log)
    {
        public static Settlement Done(object? result, params string[] log) => new(OperationStatus.Succeeded, null, result, log);

        public static Settlement Failed(string error, params string[] log) => new(OperationStatus.Failed, error, null, log);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Settling sees every project: what the server's stop interrupted may be anyone's.
        WorkScope.Enter(new SystemScope("recovery"));
        if (leadership.Shared && !leadership.IsLeader)
        {
            // Another node leads, so it runs: the operations left Running may be its own, still at work.
            // A node that died is seen by the leader's watch of the nodes (this node's, should it lead).
            logger.LogInformation("Node {Node} leaves queued and running operations alone: another node leads and may be running them", leadership.Node);
            _loop = Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None);
            return;
        }

        // Sharing the inventory, the leader takes only what no running node runs (nodes that died, or
        // operations from before nodes said who runs them).
        var live = leadership.Shared ? await leadership.LiveInstancesAsync(cancellationToken).ConfigureAwait(false) : null;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            var interrupted = await db.Operations.IgnoreQueryFilters()
                .Where(o => o.State == OperationStatus.Queued || o.State == OperationStatus.Running)
                .OrderBy(o => o.CreatedAt)
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            var hosts = await db.Hosts.AsNoTracking().ToDictionaryAsync(h => h.Id, h => h.Name, cancellationToken).ConfigureAwait(false);
            foreach (var operation in interrupted.Where(o => live is null || o.RunBy is null || !live.Contains(o.RunBy)))
            {
                await TakeInHandAsync(db, operation, hosts, ServerStopped).ConfigureAwait(false);
            }
        }

        _loop = Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None);
    }

    private const string ServerStopped = "The server restarted";

    /// <summary>What an operation's log says when the node that ran it died and the leader settles it.</summary>
    public const string NodeStopped = "The web node that ran this operation stopped";

    /// <summary>
    /// An operation the stop of its server (<paramref name="stopped"/>: this one's, or another node's)
    /// interrupted: one that never began is cancelled, one with no host to ask is failed, and the
    /// others wait for their hosts' reports; returns the hosts it waits for.
    /// </summary>
    private async Task<Guid[]> TakeInHandAsync(RingmasterDbContext db, OperationEntity operation, Dictionary<Guid, string> hosts, string stopped)
    {
        var intent = operation.Intent ?? new OperationIntent();
        if (operation.State == OperationStatus.Queued)
        {
            await CancelNeverBegunAsync(operation, intent, stopped).ConfigureAwait(false);
            return [];
        }

        var machine = operation.MachineId is { } id ? await db.Machines.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(m => m.Id == id).ConfigureAwait(false) : null;
        var on = new[] { intent.HostId ?? machine?.HostId, intent.TargetHostId }.OfType<Guid>().Distinct().ToArray();
        var machines = new[] { operation.MachineId, intent.NewMachineId }.OfType<Guid>().Distinct().ToArray();
        if (on.Length == 0)
        {
            // Work of the server alone (an evacuation, a group's deletion): what it started is settled on its own.
            await operations.SettleAsync(operation.Id, OperationStatus.Failed, "Interrupted: the server stopped while this operation ran; what it had started is settled on its own.", null,
                [$"{stopped} while this operation ran; it has no host to ask about it."]).ConfigureAwait(false);
            return [];
        }

        var names = string.Join(" and ", on.Select(h => hosts.GetValueOrDefault(h, h.ToString())));
        _interrupted[operation.Id] = new Interrupted(operation, intent, on, machines);
        operations.HoldForSettling(operation.Id, machines);
        await operations.NoteAsync(operation.Id, $"{stopped} while this operation ran; waiting for {names} to report what it did").ConfigureAwait(false);
        logger.LogWarning("Operation {Operation} ({Kind} {Target}) was interrupted: {Stopped}; it is settled when {Hosts} report", operation.Id, operation.Kind.Name(), operation.Target, stopped, names);
        return on;
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
    public void UnclaimedOutcome(Guid hostId, CommandResult result)
    {
        Finished(result);
        _work.Writer.TryWrite(new Outcome(hostId, result));
    }

    /// <summary>A command's outcome a request took (one sent while settling): no later registration that still names it is waited for.</summary>
    public void ClaimedOutcome(Guid hostId, CommandResult result)
    {
        if (Finished(result))
        {
            _work.Writer.TryWrite(new Claimed(hostId, result.CommandId));
        }
    }

    private bool Finished(CommandResult result)
    {
        if (result.OperationId is not { } operationId || !_interrupted.ContainsKey(operationId))
        {
            return false;
        }

        _finished[result.CommandId] = DateTime.UtcNow;
        return true;
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        WorkScope.Enter(new SystemScope("recovery"));
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var ticks = TicksAsync(timer, cancellationToken);
        var nodes = leadership.Shared ? leadership.WhileLeadingAsync(WatchNodesAsync, cancellationToken) : Task.CompletedTask;
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
        await nodes.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// While this node leads: looks for queued and running operations of nodes that are no longer
    /// running (their session on the database ended with their process), and once a node has been
    /// gone for <see cref="RecoveryOptions.NodeGraceSeconds"/>, takes its operations in hand as if this
    /// node had restarted in their middle.
    /// </summary>
    private async Task WatchNodesAsync(CancellationToken leading)
    {
        var goneSince = new Dictionary<string, DateTime>();
        using var timer = new PeriodicTimer(leadership.PollInterval * 2);
        do
        {
            try
            {
                var live = await leadership.LiveInstancesAsync(leading).ConfigureAwait(false);
                await using var db = await dbFactory.CreateDbContextAsync(leading).ConfigureAwait(false);
                var own = leadership.Instance;
                var running = await db.Operations.IgnoreQueryFilters().AsNoTracking()
                    .Where(o => (o.State == OperationStatus.Queued || o.State == OperationStatus.Running) && o.RunBy != null && o.RunBy != own)
                    .Select(o => new { o.Id, o.RunBy })
                    .ToListAsync(leading).ConfigureAwait(false);
                var gone = running.Where(o => !live.Contains(o.RunBy!)).GroupBy(o => o.RunBy!).ToDictionary(g => g.Key, g => g.Select(o => o.Id).ToArray());
                foreach (var back in goneSince.Keys.Where(k => !gone.ContainsKey(k)).ToList())
                {
                    goneSince.Remove(back);
                }

                foreach (var (instance, ids) in gone)
                {
                    var since = goneSince.TryGetValue(instance, out var first) ? first : goneSince[instance] = DateTime.UtcNow;
                    var waiting = ids.Where(id => !_interrupted.ContainsKey(id)).ToArray();
                    if (waiting.Length > 0 && DateTime.UtcNow - since >= TimeSpan.FromSeconds(options.Value.NodeGraceSeconds))
                    {
                        _work.Writer.TryWrite(new NodeGone(instance, waiting));
                    }
                }
            }
            catch (Exception ex) when (!leading.IsCancellationRequested)
            {
                logger.LogWarning("Looking for the operations of nodes that stopped failed ({Reason}); trying again", ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(leading).ConfigureAwait(false));
    }

    /// <summary>Takes a gone node's operations in hand, and asks their hosts' agents (reconnected to a running node) for what they hold now.</summary>
    private async Task TakeOverAsync(NodeGone gone, CancellationToken cancellationToken)
    {
        var hostsToAsk = new HashSet<Guid>();
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            var ids = gone.Operations;
            var orphans = await db.Operations.IgnoreQueryFilters()
                .Where(o => ids.Contains(o.Id) && (o.State == OperationStatus.Queued || o.State == OperationStatus.Running))
                .OrderBy(o => o.CreatedAt)
                .ToListAsync(cancellationToken).ConfigureAwait(false);
            var hosts = await db.Hosts.AsNoTracking().ToDictionaryAsync(h => h.Id, h => h.Name, cancellationToken).ConfigureAwait(false);
            foreach (var operation in orphans.Where(o => !_interrupted.ContainsKey(o.Id)))
            {
                logger.LogWarning("Node {Instance} is gone with operation {Operation} ({Kind} {Target}) {State}; node {Node} settles it", gone.Instance, operation.Id, operation.Kind.Name(), operation.Target, operation.State, leadership.Node);
                hostsToAsk.UnionWith(await TakeInHandAsync(db, operation, hosts, NodeStopped).ConfigureAwait(false));
            }
        }

        // Their last registration here (if any) came before the operations were taken in hand, so it
        // named none of their commands: each waits for a fresh one.
        foreach (var host in hostsToAsk)
        {
            _registered.TryRemove(host, out _);
            await agents.AskToRegisterAgainAsync(host).ConfigureAwait(false);
        }
    }

    private async Task TicksAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!_interrupted.IsEmpty)
            {
                _work.Writer.TryWrite(new Tick());
            }

            foreach (var (command, at) in _finished)
            {
                if (DateTime.UtcNow - at > TimeSpan.FromMinutes(10))
                {
                    _finished.TryRemove(command, out _);
                }
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
                        if (command.OperationId == x.Operation.Id && !_finished.ContainsKey(command.CommandId))
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

            case NodeGone gone:
                await TakeOverAsync(gone, cancellationToken).ConfigureAwait(false);
                break;

            case Claimed(var hostId, var commandId):
                foreach (var x in _interrupted.Values)
                {
                    x.Awaited.Remove((hostId, commandId));
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

    /// <summary>An operation that never began did nothing on a host; the machine record made when it was asked for goes.</summary>
    private async Task CancelNeverBegunAsync(OperationEntity operation, OperationIntent intent, string stopped)
    {
        var log = new List<string> { $"{stopped} before this operation began." };
        if (intent.NewMachineId is { } id && await RemoveRecordAsync(id, "machine.removed", name => $"Machine {name} is removed: the server stopped before its operation began.").ConfigureAwait(false) is { } name)
        {
            log.Add($"Removed the record of machine {name}, made for this operation; nothing was made on a host.");
        }

        await operations.SettleAsync(operation.Id, OperationStatus.Cancelled, "Cancelled: the server stopped before this operation began; nothing was done.", null, log).ConfigureAwait(false);
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
        logger.LogInformation("Settled interrupted operation {Operation} ({Kind} {Target}): {State}{Error}", x.Operation.Id, x.Operation.Kind.Name(), x.Operation.Target, settlement.State,
            settlement.Error is null ? "" : " — " + settlement.Error);
    }

    private async Task<Settlement> NotKnownAsync(Interrupted x)
    {
        var missing = string.Join(" and ", await Task.WhenAll(x.Hosts.Where(h => !agents.IsConnected(h)).Select(HostNameAsync)).ConfigureAwait(false));
        return Settlement.Failed($"Interrupted: the server stopped while this operation ran, and {missing} has not reported since; what it did is not known. The machine shows what its host reports when it is back.");
    }
}

/// <summary>Settings of the settling of interrupted operations (section <c>Recovery</c>).</summary>
public sealed record RecoveryOptions
{
    public const string Section = "Recovery";

    /// <summary>How long an interrupted operation waits for a host that does not report before it is settled as not known (Recovery:HostGraceSeconds).</summary>
    public double HostGraceSeconds { get; init; } = 90;

    /// <summary>How long a web node's session must have been gone before the leader settles the operations it ran (Recovery:NodeGraceSeconds).</summary>
    public double NodeGraceSeconds { get; init; } = 10;
}
