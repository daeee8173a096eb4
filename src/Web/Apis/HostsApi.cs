using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

public static class HostsApi
{
    public static IEndpointRouteBuilder MapHostsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/hosts").WithTags("Hosts");
        api.MapGet("/", ListHosts)
            .WithName("ListHosts").WithSummary("List hosts with their online state and capabilities");
        api.MapGet("/{id}", GetHost)
            .WithName("GetHost").WithSummary("Read one host");
        return app;
    }

    public static async Task<Ok<Page<HostView>>> ListHosts(IDbContextFactory<RingmasterDbContext> dbFactory, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var counts = await db.Machines.Where(m => m.HostId != null).GroupBy(m => m.HostId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key!.Value, g => g.Count, cancellationToken);
        var hosts = await db.Hosts.AsNoTracking().OrderBy(h => h.Name).ToListAsync(cancellationToken);
        return TypedResults.Ok(new Page<HostView>([.. hosts.Select(h => h.ToView(counts.GetValueOrDefault(h.Id)))], null));
    }

    public static async Task<Results<Ok<HostView>, ProblemHttpResult>> GetHost(IDbContextFactory<RingmasterDbContext> dbFactory, string id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var host = Guid.TryParse(id, out var hostId)
            ? await db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Id == hostId, cancellationToken)
            : await db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Name == id, cancellationToken);
        if (host is null)
        {
            return ApiResults.Problem(ResultKind.NotFound, "No such host.");
        }

        var count = await db.Machines.CountAsync(m => m.HostId == host.Id, cancellationToken);
        return TypedResults.Ok(host.ToView(count));
    }
}
