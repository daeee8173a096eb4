using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Core;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Agents;

namespace Ringmaster.Web.Apis;

/// <summary>Moving machines between hosts: pre-flight, migrate (live or offline), evacuate a host.</summary>
public static class MigrationApi
{
    /// <summary>The migration service, the transfer relay and the hub probes they use.</summary>
    public static IHostApplicationBuilder AddMigrationApi(this IHostApplicationBuilder builder)
    {
        builder.AddMigrations();
        builder.Services.AddSingleton<IMigrationProbes, HubMigrationProbes>();
        return builder;
    }

    public static IEndpointRouteBuilder MapMigrationApi(this IEndpointRouteBuilder app)
    {
        var machines = app.MapGroup("/api/v1/machines").WithTags("Migration");
        machines.MapGet("/{id}/migrate/preflight", Preflight)
            .WithName("PreflightMigration").WithSummary("Check whether a machine can move to a host, without moving it");
        machines.MapPost("/{id}/migrate/preflight", Preflight)
            .WithName("PreflightMigrationWithBody").WithSummary("Check whether a machine can move to a host (host in the body)");
        machines.MapPost("/{id}/migrate", Migrate)
            .WithName("MigrateMachine").WithSummary("Move a machine to another host, live or offline");
        // Emptying a host moves every project's machines: an admin's action.
        app.MapGroup("/api/v1/hosts").WithTags("Migration").MapPost("/{id}/evacuate", Evacuate).RequireAuthorization(nameof(AccessRole.Admin))
            .WithName("EvacuateHost").WithSummary("Move every machine off a host");
        app.MapTransferEndpoints();
        return app;
    }

    public sealed record MigrationServices(IDbContextFactory<RingmasterDbContext> Db, MigrationService Migrations);

    /// <summary>Every pre-flight check of moving the machine to <paramref name="host"/>, without moving anything.</summary>
    public static async Task<Results<Ok<MigrationPreflight>, ValidationProblem, ProblemHttpResult>> Preflight(
        [AsParameters] MigrationServices services, string id, string? host, bool? live, CancellationToken cancellationToken)
    {
        var machineId = await MachineLookup.ResolveAsync(services.Db, id, cancellationToken);
        if (machineId is null)
        {
            return ApiResults.Problem(ResultKind.NotFound, "No such machine.");
        }

        var result = await services.Migrations.PreflightAsync(machineId.Value, host, live, cancellationToken);
        return result.Kind switch
        {
            ResultKind.Ok => TypedResults.Ok(result.Value!),
            ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, title: "The request is not valid."),
            _ => ApiResults.Problem(result.Kind, result.Message),
        };
    }

    /// <summary>Moves the machine to another host: 202 with the operation, whose result has totalMs, downtimeMs, bytes and rounds.</summary>
    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> Migrate(
        [AsParameters] MigrationServices services, string id, [FromBody] MigrateRequest request, HttpContext http, CancellationToken cancellationToken)
    {
        var machineId = await MachineLookup.ResolveAsync(services.Db, id, cancellationToken);
        return machineId is null
            ? ApiResults.Problem(ResultKind.NotFound, "No such machine.")
            : ApiResults.Accepted(await services.Migrations.MigrateAsync(machineId.Value, request, ApiResults.UserOf(http), cancellationToken));
    }

    /// <summary>Moves every machine off the host, <c>concurrency</c> at a time, as one operation.</summary>
    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> Evacuate(
        [AsParameters] MigrationServices services, string id, [FromBody] EvacuateRequest? request, HttpContext http, CancellationToken cancellationToken) =>
        ApiResults.Accepted(await services.Migrations.EvacuateAsync(id, request ?? new EvacuateRequest(), ApiResults.UserOf(http), cancellationToken));
}
