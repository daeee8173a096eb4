using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Ringmaster.Agents;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Agents;

namespace Ringmaster.Web.Apis;

public static class HealthApi
{
    public sealed record Health(string Status, IReadOnlyDictionary<string, string> Checks);

    /// <summary>This web node: its name, whether it leads the background work (and since when), and its database.</summary>
    public sealed record NodeStatus(string Node, bool Leader, DateTimeOffset? LeaderSince, string Database);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new Health("ok", new Dictionary<string, string> { ["process"] = "up" }))).WithTags("Health")
            .WithName("Health").WithSummary("Whether the process is up");
        app.MapGet("/readyz", Ready).WithTags("Health")
            .WithName("Ready").WithSummary("Whether the database answers and the embedded agent is connected");
        app.MapGet("/api/v1/status", Status).WithTags("Health")
            .WithName("Status").WithSummary("This web node's name and whether it leads the background work (schedules, scaling, host sweep, webhooks)");
        return app;
    }

    public static Ok<NodeStatus> Status(ILeadership leadership) =>
        TypedResults.Ok(new NodeStatus(leadership.Node, leadership.IsLeader, leadership.LeaderSince, leadership.Shared ? "postgresql" : "sqlite"));

    public static async Task<IResult> Ready(IDbContextFactory<RingmasterDbContext> dbFactory, IOptions<AgentHubOptions> hub, IServiceProvider services, CancellationToken cancellationToken)
    {
        var checks = new Dictionary<string, string>();
        var ready = true;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var ok = await db.Database.CanConnectAsync(cancellationToken);
            checks["database"] = ok ? "reachable" : "unreachable";
            ready &= ok;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            checks["database"] = "unreachable: " + ex.Message;
            ready = false;
        }

        if (hub.Value.Embedded)
        {
            var connected = services.GetService<AgentWorker>()?.Registered == true;
            checks["embeddedAgent"] = connected ? "connected" : "not connected";
            ready &= connected;
        }

        var body = new Health(ready ? "ready" : "not ready", checks);
        return ready ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
