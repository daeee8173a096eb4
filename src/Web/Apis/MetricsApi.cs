using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

/// <summary>The history of machines' and hosts' figures (<see cref="MetricsHistory"/>), one range at a time.</summary>
public static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/machines/{id}/metrics", GetMachineMetrics).WithTags("Machines")
            .WithName("GetMachineMetrics").WithSummary("Read a machine's CPU, memory, disk and network history over an hour, a day, a week or a year");
        app.MapGet("/api/v1/hosts/{id}/metrics", GetHostMetrics).WithTags("Hosts")
            .WithName("GetHostMetrics").WithSummary("Read a host's CPU, memory and its guests' disk and network history over an hour, a day, a week or a year");
        return app;
    }

    public sealed record MetricsServices(IDbContextFactory<RingmasterDbContext> Db, MetricsHistory History);

    /// <param name="services">The inventory and the history.</param>
    /// <param name="id">The machine's id or name.</param>
    /// <param name="range">1h (10 s points), 1d (1 min), 1w (10 min) or 1y (1 h); 1h when left out.</param>
    /// <param name="cancellationToken">The request's.</param>
    public static async Task<Results<Ok<MetricHistory>, ValidationProblem, ProblemHttpResult>> GetMachineMetrics(
        [AsParameters] MetricsServices services, string id, string? range, CancellationToken cancellationToken)
    {
        if (Tier(range) is not { } tier)
        {
            return InvalidRange();
        }

        // Through the caller's scope: a machine of another project is not found.
        var machineId = await MachineLookup.ResolveAsync(services.Db, id, cancellationToken);
        return machineId is null
            ? ApiResults.Problem(ResultKind.NotFound, "No such machine.")
            : TypedResults.Ok(await services.History.QueryAsync(MetricOwner.Machine, machineId.Value, tier, cancellationToken));
    }

    /// <param name="services">The inventory and the history.</param>
    /// <param name="id">The host's id or name.</param>
    /// <param name="range">1h (10 s points), 1d (1 min), 1w (10 min) or 1y (1 h); 1h when left out.</param>
    /// <param name="cancellationToken">The request's.</param>
    public static async Task<Results<Ok<MetricHistory>, ValidationProblem, ProblemHttpResult>> GetHostMetrics(
        [AsParameters] MetricsServices services, string id, string? range, CancellationToken cancellationToken)
    {
        if (Tier(range) is not { } tier)
        {
            return InvalidRange();
        }

        await using var db = await services.Db.CreateDbContextAsync(cancellationToken);
        var hostId = Guid.TryParse(id, out var parsed)
            ? await db.Hosts.Where(h => h.Id == parsed).Select(h => (Guid?)h.Id).FirstOrDefaultAsync(cancellationToken)
            : await db.Hosts.Where(h => h.Name == id).Select(h => (Guid?)h.Id).FirstOrDefaultAsync(cancellationToken);
        return hostId is null
            ? ApiResults.Problem(ResultKind.NotFound, "No such host.")
            : TypedResults.Ok(await services.History.QueryAsync(MetricOwner.Host, hostId.Value, tier, cancellationToken));
    }

    private static MetricTier? Tier(string? range) => range is null ? MetricsHistory.Tiers[0] : MetricsHistory.TierOf(range);

    private static ValidationProblem InvalidRange() =>
        ApiResults.Invalid("range", $"range must be one of {MetricsHistory.RangeNames}.");
}
