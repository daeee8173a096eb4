using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

/// <summary>What a running operation's work gets: progress, a log, cancellation and undo steps.</summary>
public sealed class OperationContext(Guid operationId, OperationService service, CancellationToken cancellationToken)
{
    private readonly Stack<(string Description, Func<Task> Undo)> _undo = new();

    public Guid OperationId { get; } = operationId;
    public CancellationToken CancellationToken { get; } = cancellationToken;

    public Task ReportAsync(int progress, string? message) => service.ReportProgressAsync(OperationId, progress, message);

    public Task LogAsync(string line) => service.AppendLogAsync(OperationId, line);

    /// <summary>Registers how to undo a step that just succeeded; undone in reverse order if a later step fails.</summary>
    public void OnUndo(string description, Func<Task> undo) => _undo.Push((description, undo));

    /// <summary>Records what the work is about to do (a snapshot's id, a backup's id, the host), so that a crash in the next step can be settled.</summary>
    public Task IntendAsync(Func<OperationIntent, OperationIntent> change) => service.IntendAsync(OperationId, change);

    internal IEnumerable<(string Description, Func<Task> Undo)> UndoSteps() => _undo;
}

/// <summary>
/// Runs every long action as an operation: written before the work starts, run in the background,
/// serialized per machine, with progress, a log and undo on failure.
/// </summary>
public sealed class OperationService(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    LiveFeed feed,
    ILogger<OperationService> logger) : IHostedService
{
    private const int MaxLogChars = 64 * 1024;
    private readonly KeyedGates<Guid> _machineLocks = new();
    private readonly ConcurrentDictionary<Guid, Active> _running = new();
    private readonly ConcurrentDictionary<Guid, Guid[]> _settling = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>An operation of this process: queued for its machine, then running.</summary>
    private sealed class Active(CancellationTokenSource cancel, Guid[] machines)
    {
        public CancellationTokenSource Cancel { get; } = cancel;
        public Guid[] Machines { get; } = machines;
        public Task Task { get; set; } = Task.CompletedTask;
        public volatile bool Started;
        public string? CancelReason { get; set; }
    }

    /// <summary>
    /// A new operation in state Queued, to be saved together with what it is about. <paramref name="project"/>
    /// is the project of what the work touches (its work runs with that project's scope); null only for
    /// work across projects, which only admins see.
    /// </summary>
    public static OperationEntity New(OperationKind kind, Guid? machineId, string target, string user, string? project) => new()
    {
        Id = Guid.NewGuid(),
        Kind = kind,
        MachineId = machineId,
        Target = target,
        User = user,
        Project = project,
        CreatedAt = DateTime.UtcNow,
        State = OperationStatus.Queued,
        Message = "Queued",
        Intent = new OperationIntent(),
        RunBy = NodeInstance.Id,
    };

    /// <summary>
    /// The one way a request becomes an operation: saves <paramref name="operation"/> with whatever else
    /// the caller added to <paramref name="db"/>, starts <paramref name="work"/> and answers with what
    /// a 202 shows. With <paramref name="room"/>, the save happens only if the project's quotas still hold
    /// (else a conflict naming the quota), and a machine name taken meanwhile (the unique index) is a
    /// conflict too; a new machine (<paramref name="announce"/>) is published once it is saved.
    /// </summary>
    public async Task<ServiceResult<OperationAccepted>> BeginAsync(RingmasterDbContext db, OperationEntity operation, MachineView? machine,
        Func<OperationContext, Task<object?>> work, CancellationToken cancellationToken, QuotaRoom? room = null, bool announce = false)
    {
        db.Operations.Add(operation);
        if (room is null)
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            try
            {
                if (await ProjectQuotas.SaveWithinQuotaAsync(db, room.Project, room.Delta, cancellationToken).ConfigureAwait(false) is { } over)
                {
                    return ServiceResult<OperationAccepted>.Conflict(over);
                }
            }
            catch (DbUpdateException)
            {
                return ServiceResult<OperationAccepted>.Conflict($"A machine named '{room.Name}' already exists.");
            }
        }

        if (announce && machine is not null)
        {
            feed.Publish(new MachineChanged(machine));
        }

        Run(operation, work);
        return ServiceResult<OperationAccepted>.Ok(new OperationAccepted(operation.ToView(), machine));
    }

    /// <summary>Starts the work of an operation already saved. Operations on one machine run one at a time.</summary>
    public void Run(OperationEntity operation, Func<OperationContext, Task<object?>> work)
    {
        var machines = new[] { operation.MachineId, operation.Intent?.NewMachineId }.OfType<Guid>().Distinct().ToArray();
        var active = new Active(CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token), machines);
        _running[operation.Id] = active;
        active.Task = Task.Run(() => ExecuteAsync(operation, work, active));
        feed.Publish(new OperationChanged(operation.ToView()));
    }

    /// <summary>Asks a queued or running operation to stop; its undo steps run. The reason goes in its error.</summary>
    public bool Cancel(Guid operationId, string? reason = null)
    {
        if (!_running.TryGetValue(operationId, out var entry))
        {
            return false;
        }

        entry.CancelReason ??= reason;
        entry.Cancel.Cancel();
        return true;
    }

    /// <summary>Cancels the operations waiting for a machine that have not begun (a delete of the machine goes first); returns how many.</summary>
    public int CancelQueued(Guid machineId, string reason, Guid except)
    {
        var cancelled = 0;
        foreach (var (id, entry) in _running)
        {
            if (id != except && !entry.Started && entry.Machines.Contains(machineId) && Cancel(id, reason))
            {
                cancelled++;
            }
        }

        return cancelled;
    }

    public bool IsActive(Guid operationId) => _running.ContainsKey(operationId) || _settling.ContainsKey(operationId);

    /// <summary>Whether some operation works on the machine now: queued or running here, or interrupted by a restart and not settled yet.</summary>
    public bool IsBusy(Guid machineId) =>
        _running.Values.Any(a => a.Machines.Contains(machineId)) || _settling.Values.Any(m => m.Contains(machineId));

    /// <summary>An operation a restart interrupted holds its machines until it is settled (see <see cref="OperationRecovery"/>).</summary>
    internal void HoldForSettling(Guid operationId, Guid[] machines) => _settling[operationId] = machines;

    internal void ReleaseSettled(Guid operationId) => _settling.TryRemove(operationId, out _);

    /// <summary>Waits until no operation runs (for shutdown and tests).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_running.Values.Select(v => v.Task));

    private async Task ExecuteAsync(OperationEntity operation, Func<OperationContext, Task<object?>> work, Active active)
    {
        var cancellationToken = active.Cancel.Token;
        // The work sees what the operation's project holds, whoever started it and whenever it runs.
        WorkScope.Enter(WorkScope.For(operation));
        var context = new OperationContext(operation.Id, this, cancellationToken);
        IDisposable? held = null;
        long started = 0;
        try
        {
            if (operation.MachineId is { } machineId)
            {
                held = await _machineLocks.EnterAsync(machineId, cancellationToken).ConfigureAwait(false);
            }

            active.Started = true;

            // The machine may have gone while this operation waited for it (a delete queued before it).
            if (operation.MachineId is { } target && !await MachineExistsAsync(target).ConfigureAwait(false))
            {
                active.CancelReason ??= $"machine {operation.Target} was deleted before this operation began; nothing was done";
                throw new OperationCanceledException(active.CancelReason);
            }

            await UpdateAsync(operation.Id, o =>
            {
                o.State = OperationStatus.Running;
                o.StartedAt = DateTime.UtcNow;
                o.Message = "Running";
            }).ConfigureAwait(false);
            started = System.Diagnostics.Stopwatch.GetTimestamp();

            var result = await work(context).ConfigureAwait(false);
            await UpdateAsync(operation.Id, o =>
            {
                o.State = OperationStatus.Succeeded;
                o.Progress = 100;
                o.EndedAt = DateTime.UtcNow;
                o.Message = "Done";
                o.ResultJson = result is null ? null : JsonSerializer.Serialize(result, result.GetType(), JsonSerializerOptions.Web);
            }).ConfigureAwait(false);
            RingmasterMeter.OperationEnded(operation, "succeeded", System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex)
        {
            var cancelled = cancellationToken.IsCancellationRequested || active.CancelReason is not null;
            if (!cancelled)
            {
                logger.LogWarning(ex, "Operation {OperationId} ({Kind} {Target}) failed", operation.Id, operation.Kind.Name(), operation.Target);
            }

            var undoErrors = await UndoAsync(context).ConfigureAwait(false);
            var error = !cancelled ? Describe(ex)
                : active.CancelReason is { } reason ? $"Cancelled: {reason}."
                : "Cancelled.";
            if (undoErrors.Length > 0)
            {
                error += " Undo incomplete: " + undoErrors;
            }

            await UpdateAsync(operation.Id, o =>
            {
                o.State = cancelled ? OperationStatus.Cancelled : OperationStatus.Failed;
                o.EndedAt = DateTime.UtcNow;
                o.Error = Truncate(error, 4000);
                o.Message = cancelled ? "Cancelled" : "Failed";
            }).ConfigureAwait(false);
            RingmasterMeter.OperationEnded(operation, cancelled ? "cancelled" : "failed", started == 0 ? TimeSpan.Zero : System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            held?.Dispose();

            if (_running.TryRemove(operation.Id, out var entry))
            {
                entry.Cancel.Dispose();
            }
        }
    }

    private async Task<bool> MachineExistsAsync(Guid machineId)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        return await db.Machines.IgnoreQueryFilters().AnyAsync(m => m.Id == machineId).ConfigureAwait(false);
    }

    internal Task IntendAsync(Guid operationId, Func<OperationIntent, OperationIntent> change) =>
        UpdateAsync(operationId, o => o.Intent = change(o.Intent ?? new OperationIntent()), publish: false);

    /// <summary>Ends an operation a restart interrupted, as its settling found it, with what it found in the log.</summary>
    internal Task SettleAsync(Guid operationId, OperationStatus state, string? error, object? result, IEnumerable<string> log) =>
        UpdateAsync(operationId, o =>
        {
            foreach (var line in log)
            {
                AppendLog(o, line);
            }

            o.State = state;
            o.EndedAt = DateTime.UtcNow;
            o.Error = error is null ? null : Truncate(error, 4000);
            o.Message = state switch
            {
                OperationStatus.Succeeded => "Done",
                OperationStatus.Cancelled => "Cancelled",
                _ => "Failed",
            };
            if (state == OperationStatus.Succeeded)
            {
                o.Progress = 100;
                o.ResultJson = result is null ? null : JsonSerializer.Serialize(result, result.GetType(), JsonSerializerOptions.Web);
            }
        });

    /// <summary>Says, in an interrupted operation's message and log, what its settling waits for.</summary>
    internal Task NoteAsync(Guid operationId, string message, bool log = true) =>
        UpdateAsync(operationId, o =>
        {
            o.Message = Truncate(message, 2000);
            if (log)
            {
                AppendLog(o, message);
            }
        });

    private async Task<string> UndoAsync(OperationContext context)
    {
        var errors = new StringBuilder();
        foreach (var (description, undo) in context.UndoSteps())
        {
            try
            {
                await AppendLogAsync(context.OperationId, "Undo: " + description).ConfigureAwait(false);
                await undo().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Undo step '{Step}' of operation {OperationId} failed", description, context.OperationId);
                errors.Append(description).Append(": ").Append(Describe(ex)).Append(' ');
            }
        }

        return errors.ToString().Trim();
    }

    private static string Describe(Exception ex) => ex switch
    {
        AggregateException { InnerExceptions.Count: 1 } agg => Describe(agg.InnerExceptions[0]),
        _ => ex.Message,
    };

    /// <summary>Records progress and, with a message, a log line: one write.</summary>
    public Task ReportProgressAsync(Guid operationId, int progress, string? message)
    {
        progress = Math.Clamp(progress, 0, 99);
        return UpdateAsync(operationId, o =>
        {
            if (o.State is OperationStatus.Running or OperationStatus.Queued)
            {
                o.Progress = Math.Max(o.Progress, progress);
                o.Message = message is null ? o.Message : Truncate(message, 2000);
            }

            if (message is not null)
            {
                AppendLog(o, message);
            }
        });
    }

    public Task AppendLogAsync(Guid operationId, string line) => UpdateAsync(operationId, o => AppendLog(o, line), publish: false);

    private static void AppendLog(OperationEntity operation, string line)
    {
        var log = operation.Log + $"{DateTime.UtcNow:HH:mm:ss.fff} {line}\n";
        operation.Log = log.Length > MaxLogChars ? log[^MaxLogChars..] : log;
    }

    private async Task UpdateAsync(Guid operationId, Action<OperationEntity> change, bool publish = true)
    {
        await using var db = await dbFactory.CreateDbContextAsync().ConfigureAwait(false);
        var operation = await db.Operations.FindAsync(operationId).ConfigureAwait(false);
        if (operation is null)
        {
            return;
        }

        change(operation);
        await db.SaveChangesAsync().ConfigureAwait(false);
        if (publish)
        {
            feed.Publish(new OperationChanged(operation.ToView()));
        }
    }

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];

    /// <summary>Operations a stop interrupted are settled by <see cref="OperationRecovery"/>, against what the agents report.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
