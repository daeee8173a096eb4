using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Ringmaster.Agents;
using Ringmaster.Core.Store;
using Ringmaster.Web.Agents;

namespace Ringmaster.Web.Apis;

public static class HealthApi
{
    public sealed record Health(string Status, IReadOnlyDictionary<string, string> Checks);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new Health("ok", new Dictionary<string, string> { ["process"] = "up" }))).WithTags("Health")
            .WithName("Health").WithSummary("Whether the process is up");
        app.MapGet("/readyz", Ready).WithTags("Health")
            .WithName("Ready").WithSummary("Whether the database answers and the embedded agent is connected");
        return app;
    }

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
