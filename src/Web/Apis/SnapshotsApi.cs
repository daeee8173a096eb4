using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

/// <summary>A machine's snapshots (a tree) and its clones.</summary>
public static class SnapshotsApi
{
    public static IEndpointRouteBuilder MapSnapshotsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/machines/{id}").WithTags("Snapshots");
        api.MapGet("/snapshots", ListSnapshots)
            .WithName("ListSnapshots").WithSummary("Read a machine's snapshot tree");
        api.MapPost("/snapshots", TakeSnapshot)
            .WithName("TakeSnapshot").WithSummary("Take a snapshot of a machine (with memory for a running VM)");
        api.MapPost("/snapshots/{name}/revert", RevertSnapshot)
            .WithName("RevertSnapshot").WithSummary("Revert a machine to a snapshot");
        api.MapDelete("/snapshots/{name}", DeleteSnapshot)
            .WithName("DeleteSnapshot").WithSummary("Delete a snapshot");
        api.MapPost("/clone", CloneMachine)
            .WithName("CloneMachine").WithSummary("Clone a machine (linked or full, optionally with its memory, optionally to another host)");
        return app;
    }

    public sealed record SnapshotServices(IDbContextFactory<RingmasterDbContext> Db, SnapshotService Snapshots);

    public static async Task<Results<Ok<IReadOnlyList<SnapshotView>>, ProblemHttpResult>> ListSnapshots(
        [AsParameters] SnapshotServices services, string id, CancellationToken cancellationToken)
    {
        var machineId = await MachineLookup.ResolveAsync(services.Db, id, cancellationToken);
        var tree = machineId is null ? null : await services.Snapshots.TreeAsync(machineId.Value, cancellationToken);
        return tree is null ? ApiResults.Problem(ResultKind.NotFound, "No such machine.") : TypedResults.Ok(tree);
    }

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> TakeSnapshot(
        [AsParameters] SnapshotServices services, string id, [FromBody] TakeSnapshotRequest request, HttpContext http, CancellationToken cancellationToken)
    {
        var machineId = await MachineLookup.ResolveAsync(services.Db, id, cancellationToken);
        return machineId is null
            ? ApiResults.Problem(ResultKind.NotFound, "No such machine.")
            : ApiResults.Accepted(await services.Snapshots.TakeAsync(machineId.Value, request, ApiResults.UserOf(http), cancellationToken));
    }

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> RevertSnapshot(
        [AsParameters] SnapshotServices services, string id, string name, HttpContext http, CancellationToken cancellationToken)
    {
        var machineId = await MachineLookup.ResolveAsync(services.Db, id, cancellationToken);
        return machineId is null
            ? ApiResults.Problem(ResultKind.NotFound, "No such machine.")
            : ApiResults.Accepted(await services.Snapshots.RevertAsync(machineId.Value, name, ApiResults.UserOf(http), cancellationToken));
    }

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> DeleteSnapshot(
        [AsParameters] SnapshotServices services, string id, string name, HttpContext http, CancellationToken cancellationToken)
    {
        var machineId = await MachineLookup.ResolveAsync(services.Db, id, cancellationToken);
        return machineId is null
            ? ApiResults.Problem(ResultKind.NotFound, "No such machine.")
            : ApiResults.Accepted(await services.Snapshots.DeleteAsync(machineId.Value, name, ApiResults.UserOf(http), cancellationToken));
    }

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> CloneMachine(
        [AsParameters] SnapshotServices services, string id, [FromBody] CloneMachineRequest request, HttpContext http, CancellationToken cancellationToken)
    {
        var machineId = await MachineLookup.ResolveAsync(services.Db, id, cancellationToken);
        return machineId is null
            ? ApiResults.Problem(ResultKind.NotFound, "No such machine.")
            : ApiResults.Accepted(await services.Snapshots.CloneAsync(machineId.Value, request, ApiResults.UserOf(http), cancellationToken));
    }
}
