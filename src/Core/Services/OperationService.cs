using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

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
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _machineLocks = new();
    private readonly ConcurrentDictionary<Guid, (CancellationTokenSource Cancel, Task Task)> _running = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>
    /// A new operation in state Queued, to be saved together with what it is about. <paramref name="project"/>
    /// is the project of what the work touches (its work runs with that project's scope); null only for
    /// work across projects, which only admins see.
    /// </summary>
    public static OperationEntity New(string kind, Guid? machineId, string target, string user, string? project) => new()
    {
        Id = Guid.NewGuid(),
        Kind = kind,
        MachineId = machineId,
        Target = target,
        User = user,
        Project = project,
        CreatedAt = DateTime.UtcNow,
        State = OperationState.Queued,
        Message = "Queued",
    };

    /// <summary>Starts the work of an operation already saved. Operations on one machine run one at a time.</summary>
    public void Run(OperationEntity operation, Func<OperationContext, Task<object?>> work)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var task = Task.Run(() => ExecuteAsync(operation, work, cancel.Token));
        _running[operation.Id] = (cancel, task);
        feed.Publish(new OperationChanged(operation.ToView()));
    }

    /// <summary>Asks a queued or running operation to stop; its undo steps run.</summary>
    public bool Cancel(Guid operationId)
    {
        if (!_running.TryGetValue(operationId, out var entry))
        {
            return false;
        }

        entry.Cancel.Cancel();
        return true;
    }

    public bool IsActive(Guid operationId) => _running.ContainsKey(operationId);

    /// <summary>Waits until no operation runs (for shutdown and tests).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_running.Values.Select(v => v.Task));

    private async Task ExecuteAsync(OperationEntity operation, Func<OperationContext, Task<object?>> work, CancellationToken cancellationToken)
    {
        // The work sees what the operation's project holds, whoever started it and whenever it runs.
        WorkScope.Enter(WorkScope.For(operation));
        var gate = operation.MachineId is { } machineId ? _machineLocks.GetOrAdd(machineId, _ => new SemaphoreSlim(1, 1)) : null;
        var context = new OperationContext(operation.Id, this, cancellationToken);
        var acquired = false;
        try
        {
            if (gate is not null)
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                acquired = true;
            }

            await UpdateAsync(operation.Id, o =>
            {
                o.State = OperationState.Running;
                o.StartedAt = DateTime.UtcNow;
                o.Message = "Running";
            }).ConfigureAwait(false);

            var result = await work(context).ConfigureAwait(false);
            await UpdateAsync(operation.Id, o =>
            {
                o.State = OperationState.Succeeded;
                o.Progress = 100;
                o.EndedAt = DateTime.UtcNow;
                o.Message = "Done";
                o.ResultJson = result is null ? null : JsonSerializer.Serialize(result, result.GetType(), JsonSerializerOptions.Web);
            }).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var cancelled = cancellationToken.IsCancellationRequested;
            if (!cancelled)
            {
                logger.LogWarning(ex, "Operation {OperationId} ({Kind} {Target}) failed", operation.Id, operation.Kind, operation.Target);
            }

            var undoErrors = await UndoAsync(context).ConfigureAwait(false);
            var error = cancelled ? "Cancelled." : Describe(ex);
            if (undoErrors.Length > 0)
            {
                error += " Undo incomplete: " + undoErrors;
            }

            await UpdateAsync(operation.Id, o =>
            {
                o.State = cancelled ? OperationState.Cancelled : OperationState.Failed;
                o.EndedAt = DateTime.UtcNow;
                o.Error = Truncate(error, 4000);
                o.Message = cancelled ? "Cancelled" : "Failed";
            }).ConfigureAwait(false);
        }
        finally
        {
            if (acquired)
            {
                gate!.Release();
            }

            if (_running.TryRemove(operation.Id, out var entry))
            {
                entry.Cancel.Dispose();
            }
        }
    }

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
            if (o.State is OperationState.Running or OperationState.Queued)
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

    /// <summary>At start: operations that were queued or running when the server stopped can no longer finish.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var interrupted = await db.Operations
            .Where(o => o.State == OperationState.Queued || o.State == OperationState.Running)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var operation in interrupted)
        {
            operation.State = OperationState.Failed;
            operation.EndedAt = DateTime.UtcNow;
            operation.Error = "Interrupted: the server stopped while this operation ran.";
            operation.Message = "Failed";
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
