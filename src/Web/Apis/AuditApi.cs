using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

/// <summary>The audit log (admins only), newest first, paged with <c>limit</c> and <c>cursor</c>; filter by <c>user</c>.</summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/audit", ListAudit).WithTags("Audit").RequireAuthorization(nameof(AccessRole.Admin))
            .WithName("ListAudit").WithSummary("Read the audit log, newest first");
        return app;
    }

    public static async Task<Results<Ok<Page<AuditView>>, ValidationProblem>> ListAudit(
        IDbContextFactory<RingmasterDbContext> dbFactory, int? limit, string? cursor, string? user, CancellationToken cancellationToken)
    {
        if (!ApiResults.TryLimit(limit, out var take))
        {
            return ApiResults.Invalid("limit", $"limit must be between 1 and {ApiResults.MaxLimit}.");
        }

        long? before = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!ApiResults.TryDecodeCursor(cursor, out var decoded) || !long.TryParse(decoded, out var id))
            {
                return ApiResults.Invalid("cursor", "The cursor is not one this API gave out.");
            }

            before = id;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Audit.AsNoTracking();
        if (before is { } b)
        {
            query = query.Where(a => a.Id < b);
        }

        if (!string.IsNullOrWhiteSpace(user))
        {
            query = query.Where(a => a.User == user);
        }

        var rows = await query.OrderByDescending(a => a.Id).Take(take + 1).ToListAsync(cancellationToken);
        var items = rows.Take(take).Select(ToView).ToList();
        return TypedResults.Ok(new Page<AuditView>(items, rows.Count > take ? ApiResults.EncodeCursor(items[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture)) : null));
    }

    public static AuditView ToView(AuditEntity a) => new(a.Id, Views.Utc(a.At), a.User, a.Action, a.Target, a.RemoteIp, a.Status, a.Detail);
}
