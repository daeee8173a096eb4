using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Apis;

/// <summary>Projects: anyone lists and reads the projects they see; admins create, set quotas, manage members and delete.</summary>
public static class ProjectsApi
{
    public static IEndpointRouteBuilder MapProjectsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/projects").WithTags("Projects");
        api.MapGet("/", ListProjects)
            .WithName("ListProjects").WithSummary("List the projects the caller sees, with quotas and usage");
        api.MapGet("/{name}", GetProject)
            .WithName("GetProject").WithSummary("Read one project");
        var admin = api.MapGroup("").RequireAuthorization(nameof(AccessRole.Admin));
        admin.MapPost("/", CreateProject)
            .WithName("CreateProject").WithSummary("Create a project");
        admin.MapPut("/{name}/quotas", SetQuotas)
            .WithName("SetProjectQuotas").WithSummary("Set a project's quotas");
        admin.MapPut("/{name}/members/{userName}", AddMember)
            .WithName("AddProjectMember").WithSummary("Add a user to a project");
        admin.MapDelete("/{name}/members/{userName}", RemoveMember)
            .WithName("RemoveProjectMember").WithSummary("Remove a user from a project");
        admin.MapDelete("/{name}", DeleteProject)
            .WithName("DeleteProject").WithSummary("Delete an empty project");
        return app;
    }

    public static async Task<Ok<Page<ProjectView>>> ListProjects(ProjectService projects, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<ProjectView>(await projects.ListAsync(cancellationToken), null));

    public static async Task<Results<Ok<ProjectView>, ProblemHttpResult>> GetProject(ProjectService projects, string name, CancellationToken cancellationToken) =>
        await projects.GetAsync(name, cancellationToken) is { } project ? TypedResults.Ok(project) : ApiResults.Problem(ResultKind.NotFound, "No such project.");

    public static async Task<Results<Created<ProjectView>, ValidationProblem, ProblemHttpResult>> CreateProject(
        ProjectService projects, [FromBody] CreateProjectRequest request, CancellationToken cancellationToken)
    {
        var result = await projects.CreateAsync(request, cancellationToken);
        return result.Kind switch
        {
            ResultKind.Ok => TypedResults.Created($"/api/v1/projects/{result.Value!.Name}", result.Value),
            ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, title: "The request is not valid."),
            _ => ApiResults.Problem(result.Kind, result.Message),
        };
    }

    public static async Task<Results<Ok<ProjectView>, ValidationProblem, ProblemHttpResult>> SetQuotas(
        ProjectService projects, string name, [FromBody] ProjectQuotasView request, CancellationToken cancellationToken)
    {
        var result = await projects.SetQuotasAsync(name, request, cancellationToken);
        return result.Kind switch
        {
            ResultKind.Ok => TypedResults.Ok(result.Value!),
            ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, title: "The request is not valid."),
            _ => ApiResults.Problem(result.Kind, result.Message),
        };
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> AddMember(ProjectService projects, string name, string userName, CancellationToken cancellationToken) =>
        NoContentOr(await projects.AddMemberAsync(name, userName, cancellationToken));

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveMember(ProjectService projects, string name, string userName, CancellationToken cancellationToken) =>
        NoContentOr(await projects.RemoveMemberAsync(name, userName, cancellationToken));

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteProject(ProjectService projects, string name, CancellationToken cancellationToken) =>
        NoContentOr(await projects.DeleteAsync(name, cancellationToken));

    private static Results<NoContent, ProblemHttpResult> NoContentOr(ServiceResult<bool> result) =>
        result.Kind == ResultKind.Ok ? TypedResults.NoContent() : ApiResults.Problem(result.Kind, result.Message);
}
