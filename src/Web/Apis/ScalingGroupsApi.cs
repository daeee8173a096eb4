using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Services.Scaling;

namespace Ringmaster.Web.Apis;

/// <summary>
/// Scaling groups: N machines from a template kept between min and max, with metric rules and
/// schedules (<c>…/policies</c>), versioned JavaScript scripts (<c>…/scripts</c>), custom metrics
/// (<c>…/metrics</c>) and the history of every decision.
/// </summary>
public static class ScalingGroupsApi
{
    public static IEndpointRouteBuilder MapScalingGroupsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/scaling-groups").WithTags("Scaling groups");
        api.MapGet("/", ListGroups)
            .WithName("ListScalingGroups").WithSummary("List scaling groups");
        api.MapPost("/", CreateGroup)
            .WithName("CreateScalingGroup").WithSummary("Create a scaling group");
        api.MapGet("/{id}", GetGroup)
            .WithName("GetScalingGroup").WithSummary("Read one scaling group with its recent history");
        api.MapPatch("/{id}", UpdateGroup)
            .WithName("UpdateScalingGroup").WithSummary("Change a scaling group's size and settings");
        api.MapDelete("/{id}", DeleteGroup)
            .WithName("DeleteScalingGroup").WithSummary("Delete a scaling group and its members");
        api.MapGet("/{id}/history", GetHistory)
            .WithName("GetScalingHistory").WithSummary("Read every decision a scaling group made");
        api.MapGet("/{id}/samples", GetSamples)
            .WithName("GetScalingSamples").WithSummary("Read a scaling group's size and load over the last hour");
        api.MapPost("/{id}/metrics", ReportMetric)
            .WithName("ReportScalingMetric").WithSummary("Report a custom metric for a scaling group");
        api.MapGet("/{id}/policies", ListPolicies)
            .WithName("ListScalingPolicies").WithSummary("List a scaling group's policies");
        api.MapPost("/{id}/policies", AddPolicy)
            .WithName("AddScalingPolicy").WithSummary("Add a metric or schedule policy to a scaling group");
        api.MapDelete("/{id}/policies/{policyId:guid}", DeletePolicy)
            .WithName("DeleteScalingPolicy").WithSummary("Delete a scaling policy");
        api.MapGet("/{id}/scripts", ListScripts)
            .WithName("ListScalingScripts").WithSummary("List a scaling group's scripts");
        api.MapPost("/{id}/scripts", CreateScript)
            .WithName("CreateScalingScript").WithSummary("Add a script to a scaling group");
        api.MapPost("/{id}/scripts/dry-run", DryRunSource)
            .WithName("DryRunScalingSource").WithSummary("Run a script's source once without acting");
        api.MapGet("/{id}/scripts/{script}", GetScript)
            .WithName("GetScalingScript").WithSummary("Read one script and its source");
        api.MapPut("/{id}/scripts/{script}", SaveScript)
            .WithName("SaveScalingScript").WithSummary("Save a new version of a script");
        api.MapDelete("/{id}/scripts/{script}", DeleteScript)
            .WithName("DeleteScalingScript").WithSummary("Delete a script");
        api.MapGet("/{id}/scripts/{script}/versions", ListVersions)
            .WithName("ListScalingScriptVersions").WithSummary("List a script's versions");
        api.MapPost("/{id}/scripts/{script}/rollback", Rollback)
            .WithName("RollbackScalingScript").WithSummary("Save an older version of a script as the newest");
        api.MapPost("/{id}/scripts/{script}/dry-run", DryRun)
            .WithName("DryRunScalingScript").WithSummary("Run a saved script once without acting");
        return app;
    }

    public sealed record ScalingServices(ScalingService Scaling, ScalingController Controller);

    private static ProblemHttpResult NoGroup() => ApiResults.Problem(ResultKind.NotFound, "No such scaling group.");

    private static ProblemHttpResult NoScript() => ApiResults.Problem(ResultKind.NotFound, "No such script in this group.");

    private static Results<Ok<T>, ValidationProblem, ProblemHttpResult> Answer<T>(ServiceResult<T> result) => result.Kind switch
    {
        ResultKind.Ok => TypedResults.Ok(result.Value!),
        ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, result.Message, title: "The request is not valid."),
        _ => ApiResults.Problem(result.Kind, result.Message),
    };

    public static async Task<Ok<Page<ScalingGroupView>>> ListGroups([AsParameters] ScalingServices services, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<ScalingGroupView>(await services.Scaling.ListAsync(cancellationToken), null));

    public static async Task<Results<Created<ScalingGroupView>, ValidationProblem, ProblemHttpResult>> CreateGroup(
        [AsParameters] ScalingServices services, [FromBody] CreateScalingGroupRequest request, HttpContext http, CancellationToken cancellationToken)
    {
        var result = await services.Scaling.CreateAsync(request, ApiResults.UserOf(http), cancellationToken);
        if (result.Kind != ResultKind.Ok)
        {
            return result.Kind == ResultKind.Invalid
                ? TypedResults.ValidationProblem(result.Errors!, result.Message, title: "The request is not valid.")
                : ApiResults.Problem(result.Kind, result.Message);
        }

        services.Controller.Kick();
        return TypedResults.Created($"/api/v1/scaling-groups/{result.Value!.Id}", result.Value);
    }

    public static async Task<Results<Ok<ScalingGroupView>, ProblemHttpResult>> GetGroup([AsParameters] ScalingServices services, string id, CancellationToken cancellationToken) =>
        await services.Scaling.GetAsync(id, cancellationToken) is { } group ? TypedResults.Ok(group) : NoGroup();

    public static async Task<Results<Ok<ScalingGroupView>, ValidationProblem, ProblemHttpResult>> UpdateGroup(
        [AsParameters] ScalingServices services, string id, [FromBody] UpdateScalingGroupRequest request, HttpContext http, CancellationToken cancellationToken)
    {
        if (await services.Scaling.FindAsync(id, cancellationToken) is not { } group)
        {
            return NoGroup();
        }

        var result = await services.Scaling.UpdateAsync(group.Id, request, ApiResults.UserOf(http), cancellationToken);
        services.Controller.Kick();
        return Answer(result);
    }

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> DeleteGroup(
        [AsParameters] ScalingServices services, string id, HttpContext http, CancellationToken cancellationToken) =>
        await services.Scaling.FindAsync(id, cancellationToken) is { } group
            ? ApiResults.Accepted(await services.Scaling.DeleteAsync(group.Id, ApiResults.UserOf(http), cancellationToken))
            : NoGroup();

    public static async Task<Results<Ok<IReadOnlyList<ScalingDecisionView>>, ValidationProblem, ProblemHttpResult>> GetHistory(
        [AsParameters] ScalingServices services, string id, int? limit, CancellationToken cancellationToken)
    {
        if (!ApiResults.TryLimit(limit, out var take))
        {
            return ApiResults.Invalid("limit", $"limit must be between 1 and {ApiResults.MaxLimit}.");
        }

        return await services.Scaling.FindAsync(id, cancellationToken) is { } group
            ? TypedResults.Ok(await services.Scaling.HistoryAsync(group.Id, take, cancellationToken))
            : NoGroup();
    }

    public static async Task<Results<Ok<IReadOnlyList<ScalingSample>>, ProblemHttpResult>> GetSamples([AsParameters] ScalingServices services, string id, CancellationToken cancellationToken) =>
        await services.Scaling.FindAsync(id, cancellationToken) is { } group ? TypedResults.Ok(services.Controller.Samples(group.Id)) : NoGroup();

    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ReportMetric(
        [AsParameters] ScalingServices services, string id, [FromBody] ReportMetricRequest request, CancellationToken cancellationToken)
    {
        if (await services.Scaling.FindAsync(id, cancellationToken) is not { } group)
        {
            return NoGroup();
        }

        var result = await services.Scaling.ReportMetricAsync(group.Id, request, cancellationToken);
        return result.Kind == ResultKind.Ok
            ? TypedResults.NoContent()
            : TypedResults.ValidationProblem(result.Errors!, result.Message, title: "The request is not valid.");
    }

    public static async Task<Results<Ok<IReadOnlyList<ScalingPolicyView>>, ProblemHttpResult>> ListPolicies([AsParameters] ScalingServices services, string id, CancellationToken cancellationToken) =>
        await services.Scaling.FindAsync(id, cancellationToken) is { } group ? TypedResults.Ok(await services.Scaling.PoliciesAsync(group.Id, cancellationToken)) : NoGroup();

    public static async Task<Results<Created<ScalingPolicyView>, ValidationProblem, ProblemHttpResult>> AddPolicy(
        [AsParameters] ScalingServices services, string id, [FromBody] CreateScalingPolicyRequest request, CancellationToken cancellationToken)
    {
        if (await services.Scaling.FindAsync(id, cancellationToken) is not { } group)
        {
            return NoGroup();
        }

        var result = await services.Scaling.AddPolicyAsync(group.Id, request, cancellationToken);
        return result.Kind == ResultKind.Ok
            ? TypedResults.Created($"/api/v1/scaling-groups/{group.Id}/policies/{result.Value!.Id}", result.Value)
            : TypedResults.ValidationProblem(result.Errors!, result.Message, title: "The request is not valid.");
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeletePolicy([AsParameters] ScalingServices services, string id, Guid policyId, CancellationToken cancellationToken)
    {
        if (await services.Scaling.FindAsync(id, cancellationToken) is not { } group)
        {
            return NoGroup();
        }

        return await services.Scaling.DeletePolicyAsync(group.Id, policyId, cancellationToken)
            ? TypedResults.NoContent()
            : ApiResults.Problem(ResultKind.NotFound, "No such policy in this group.");
    }

    public static async Task<Results<Ok<IReadOnlyList<ScalingScriptView>>, ProblemHttpResult>> ListScripts([AsParameters] ScalingServices services, string id, CancellationToken cancellationToken) =>
        await services.Scaling.FindAsync(id, cancellationToken) is { } group ? TypedResults.Ok(await services.Scaling.ScriptsAsync(group.Id, cancellationToken)) : NoGroup();

    public static async Task<Results<Created<ScalingScriptView>, ValidationProblem, ProblemHttpResult>> CreateScript(
        [AsParameters] ScalingServices services, string id, [FromBody] SaveScalingScriptRequest request, HttpContext http, CancellationToken cancellationToken)
    {
        if (await services.Scaling.FindAsync(id, cancellationToken) is not { } group)
        {
            return NoGroup();
        }

        var result = await services.Scaling.SaveScriptAsync(group.Id, null, request, ApiResults.UserOf(http), cancellationToken);
        return result.Kind switch
        {
            ResultKind.Ok => TypedResults.Created($"/api/v1/scaling-groups/{group.Id}/scripts/{result.Value!.Id}", result.Value),
            ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, result.Message, title: "The request is not valid."),
            _ => ApiResults.Problem(result.Kind, result.Message),
        };
    }

    public static async Task<Results<Ok<ScalingScriptView>, ProblemHttpResult>> GetScript([AsParameters] ScalingServices services, string id, string script, CancellationToken cancellationToken)
    {
        if (await services.Scaling.FindAsync(id, cancellationToken) is not { } group)
        {
            return NoGroup();
        }

        return await services.Scaling.ScriptAsync(group.Id, script, cancellationToken) is { } view ? TypedResults.Ok(view) : NoScript();
    }

    public static async Task<Results<Ok<ScalingScriptView>, ValidationProblem, ProblemHttpResult>> SaveScript(
        [AsParameters] ScalingServices services, string id, string script, [FromBody] SaveScalingScriptRequest request, HttpContext http, CancellationToken cancellationToken) =>
        await services.Scaling.FindAsync(id, cancellationToken) is { } group
            ? Answer(await services.Scaling.SaveScriptAsync(group.Id, script, request, ApiResults.UserOf(http), cancellationToken))
            : NoGroup();

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteScript([AsParameters] ScalingServices services, string id, string script, CancellationToken cancellationToken)
    {
        if (await services.Scaling.FindAsync(id, cancellationToken) is not { } group)
        {
            return NoGroup();
        }

        return await services.Scaling.DeleteScriptAsync(group.Id, script, cancellationToken) ? TypedResults.NoContent() : NoScript();
    }

    public static async Task<Results<Ok<IReadOnlyList<ScalingScriptVersionView>>, ProblemHttpResult>> ListVersions([AsParameters] ScalingServices services, string id, string script, CancellationToken cancellationToken)
    {
        if (await services.Scaling.FindAsync(id, cancellationToken) is not { } group)
        {
            return NoGroup();
        }

        return await services.Scaling.VersionsAsync(group.Id, script, cancellationToken) is { } versions ? TypedResults.Ok(versions) : NoScript();
    }

    public static async Task<Results<Ok<ScalingScriptView>, ValidationProblem, ProblemHttpResult>> Rollback(
        [AsParameters] ScalingServices services, string id, string script, [FromBody] RollbackScalingScriptRequest request, HttpContext http, CancellationToken cancellationToken) =>
        await services.Scaling.FindAsync(id, cancellationToken) is { } group
            ? Answer(await services.Scaling.RollbackAsync(group.Id, script, request.Version, ApiResults.UserOf(http), cancellationToken))
            : NoGroup();

    public static Task<Results<Ok<ScriptRunView>, ValidationProblem, ProblemHttpResult>> DryRunSource(
        [AsParameters] ScalingServices services, string id, [FromBody] DryRunRequest request, CancellationToken cancellationToken) =>
        DryRun(services, id, null, request, cancellationToken);

    public static async Task<Results<Ok<ScriptRunView>, ValidationProblem, ProblemHttpResult>> DryRun(
        [AsParameters] ScalingServices services, string id, string? script, [FromBody] DryRunRequest request, CancellationToken cancellationToken)
    {
        if (await services.Scaling.FindAsync(id, cancellationToken) is not { } group)
        {
            return NoGroup();
        }

        var source = await services.Scaling.DryRunSourceAsync(group.Id, script, request, cancellationToken);
        if (source.Kind != ResultKind.Ok)
        {
            return source.Kind == ResultKind.Invalid
                ? TypedResults.ValidationProblem(source.Errors!, source.Message, title: "The request is not valid.")
                : ApiResults.Problem(source.Kind, source.Message);
        }

        if (ScriptSandbox.Validate(source.Value!) is { } syntax)
        {
            return ApiResults.Invalid("source", syntax);
        }

        return await services.Controller.DryRunAsync(group.Id, source.Value!, cancellationToken) is { } run ? TypedResults.Ok(run) : NoGroup();
    }
}
