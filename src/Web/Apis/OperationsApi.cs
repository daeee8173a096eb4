using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

public static class OperationsApi
{
    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/operations").WithTags("Operations");
        api.MapGet("/", ListOperations)
            .WithName("ListOperations").WithSummary("List operations, newest first");
        api.MapGet("/{id:guid}", GetOperation)
            .WithName("GetOperation").WithSummary("Read one operation with its log");
        api.MapGet("/{id:guid}/wait", WaitForOperation)
            .WithName("WaitForOperation").WithSummary("Wait until an operation ends (or a timeout)");
        api.MapPost("/{id:guid}/cancel", CancelOperation)
            .WithName("CancelOperation").WithSummary("Cancel a queued or running operation");
        return app;
    }

    public static async Task<Results<Ok<Page<OperationView>>, ValidationProblem>> ListOperations(
        IDbContextFactory<RingmasterDbContext> dbFactory, int? limit, string? cursor, string? machine, OperationStatus? state, CancellationToken cancellationToken)
    {
        if (!ApiResults.TryLimit(limit, out var take))
        {
            return ApiResults.Invalid("limit", $"limit must be between 1 and {ApiResults.MaxLimit}.");
        }

        if (!ApiResults.TryDecodeCursor(cursor, out var after) || (after is not null && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            return ApiResults.Invalid("cursor", "The cursor is not one this API gave out.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Operations.AsNoTracking().AsQueryable();
        if (!string.IsNullOrWhiteSpace(machine))
        {
            var machineId = await MachineLookup.ResolveAsync(dbFactory, machine, cancellationToken);
            query = query.Where(o => o.MachineId == machineId);
        }

        if (state is { } s)
        {
            var entityState = s;
            query = query.Where(o => o.State == entityState);
        }

        if (after is not null)
        {
            var before = new DateTime(long.Parse(after, CultureInfo.InvariantCulture), DateTimeKind.Utc);
            query = query.Where(o => o.CreatedAt < before);
        }

        var rows = await query.OrderByDescending(o => o.CreatedAt).Take(take + 1).ToListAsync(cancellationToken);
        var items = rows.Take(take).Select(o => o.ToView()).ToList();
        var next = rows.Count > take ? ApiResults.EncodeCursor(rows[take - 1].CreatedAt.Ticks.ToString(CultureInfo.InvariantCulture)) : null;
        return TypedResults.Ok(new Page<OperationView>(items, next));
    }

    public static async Task<Results<Ok<OperationView>, ProblemHttpResult>> GetOperation(
        IDbContextFactory<RingmasterDbContext> dbFactory, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var operation = await db.Operations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, cancellationToken);
        return operation is null
            ? ApiResults.Problem(ResultKind.NotFound, "No such operation.")
            : TypedResults.Ok(operation.ToView(includeLog: true));
    }

    /// <summary>Asks a queued or running operation to stop; its finished steps are undone. 202 with the operation, 409 when it already ended.</summary>
    public static async Task<Results<Accepted<OperationView>, ProblemHttpResult>> CancelOperation(
        IDbContextFactory<RingmasterDbContext> dbFactory, OperationService operations, Guid id, CancellationToken cancellationToken)
    {
        var current = await GetOperation(dbFactory, id, cancellationToken);
        if (current.Result is not Ok<OperationView> { Value: { } view })
        {
            return (ProblemHttpResult)current.Result;
        }

        if (IsEnded(view.State) || !operations.Cancel(id))
        {
            return ApiResults.Problem(ResultKind.Conflict, $"The operation has already ended ({view.State}).");
        }

        return TypedResults.Accepted($"/api/v1/operations/{id}", view);
    }

    /// <summary>Answers when the operation has ended, or after <c>timeout</c> seconds (1–300, default 30) with its state then.</summary>
    public static async Task<Results<Ok<OperationView>, ProblemHttpResult, ValidationProblem>> WaitForOperation(
        IDbContextFactory<RingmasterDbContext> dbFactory, LiveFeed feed, Guid id, int? timeout, CancellationToken cancellationToken)
    {
        var seconds = timeout ?? 30;
        if (seconds is < 1 or > 300)
        {
            return ApiResults.Invalid("timeout", "timeout must be between 1 and 300 seconds.");
        }

        // Subscribed before reading, so an end that happens in between is not missed.
        using var changes = feed.Subscribe();
        var current = await GetOperation(dbFactory, id, cancellationToken);
        if (current.Result is not Ok<OperationView> { Value: { } view })
        {
            return (ProblemHttpResult)current.Result;
        }

        if (IsEnded(view.State))
        {
            return TypedResults.Ok(view);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
        try
        {
            await foreach (var change in changes.ReadAllAsync(deadline.Token))
            {
                if (change is OperationChanged { Operation: var changed } && changed.Id == id && IsEnded(changed.State))
                {
                    break;
                }

                // Changes were lost in a storm, perhaps this operation's end: the inventory says.
                if (change is ChangesMissed && (await GetOperation(dbFactory, id, deadline.Token)).Result is Ok<OperationView> { Value: { } now } && IsEnded(now.State))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        var final = await GetOperation(dbFactory, id, cancellationToken);
        return final.Result is Ok<OperationView> ok ? ok : (ProblemHttpResult)final.Result;
    }

    private static bool IsEnded(OperationStatus state) => state is OperationStatus.Succeeded or OperationStatus.Failed or OperationStatus.Cancelled;
}
