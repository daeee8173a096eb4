using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Core.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

public static class OperationsApi
{
    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/operations").WithTags("Operations");
        api.MapGet("/", ListOperations);
        api.MapGet("/{id:guid}", GetOperation);
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
            var entityState = (OperationState)s;
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
}
