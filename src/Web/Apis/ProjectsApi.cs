using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Core.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Access;

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

    public static async Task<Ok<Page<ProjectView>>> ListProjects(IDbContextFactory<RingmasterDbContext> dbFactory, ProjectQuotas quotas, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var visible = user.ProjectsOf();
        var projects = await db.Projects.AsNoTracking().OrderBy(p => p.Name).ToListAsync(cancellationToken);
        var views = new List<ProjectView>();
        foreach (var project in projects.Where(p => visible is null || visible.Contains(p.Name)))
        {
            views.Add(await ViewAsync(db, quotas, project, cancellationToken));
        }

        return TypedResults.Ok(new Page<ProjectView>(views, null));
    }

    public static async Task<Results<Ok<ProjectView>, ProblemHttpResult>> GetProject(
        IDbContextFactory<RingmasterDbContext> dbFactory, ProjectQuotas quotas, ClaimsPrincipal user, string name, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var project = await FindAsync(db, user, name, cancellationToken);
        return project is null ? NotFound() : TypedResults.Ok(await ViewAsync(db, quotas, project, cancellationToken));
    }

    public static async Task<Results<Created<ProjectView>, ValidationProblem, ProblemHttpResult>> CreateProject(
        IDbContextFactory<RingmasterDbContext> dbFactory, ProjectQuotas quotas, [FromBody] CreateProjectRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || !MachineNames.IsValid(request.Name))
        {
            return ApiResults.Invalid("name", $"The name must be {MachineNames.Rule}.");
        }

        if (InputText.CheckText(request.Description, 1024, "The description") is { } descriptionError)
        {
            return ApiResults.Invalid("description", descriptionError);
        }

        if (Validate(request.Quotas) is { } invalid)
        {
            return invalid;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Projects.AnyAsync(p => p.Name == request.Name, cancellationToken))
        {
            return ApiResults.Problem(ResultKind.Conflict, $"A project named '{request.Name}' already exists.");
        }

        var project = new ProjectEntity { Name = request.Name, Description = request.Description, CreatedAt = DateTime.UtcNow };
        Apply(project, request.Quotas);
        db.Projects.Add(project);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/v1/projects/{project.Name}", await ViewAsync(db, quotas, project, cancellationToken));
    }

    public static async Task<Results<Ok<ProjectView>, ValidationProblem, ProblemHttpResult>> SetQuotas(
        IDbContextFactory<RingmasterDbContext> dbFactory, ProjectQuotas quotas, string name, [FromBody] ProjectQuotasView request, CancellationToken cancellationToken)
    {
        if (Validate(request) is { } invalid)
        {
            return invalid;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var project = await db.Projects.FirstOrDefaultAsync(p => p.Name == name, cancellationToken);
        if (project is null)
        {
            return NotFound();
        }

        Apply(project, request);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(await ViewAsync(db, quotas, project, cancellationToken));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> AddMember(IDbContextFactory<RingmasterDbContext> dbFactory, string name, string userName, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.FirstOrDefaultAsync(u => u.UserName == userName, cancellationToken);
        if (user is null || !await db.Projects.AnyAsync(p => p.Name == name, cancellationToken))
        {
            return ApiResults.Problem(ResultKind.NotFound, "No such project or user.");
        }

        if (!await db.ProjectMembers.AnyAsync(m => m.Project == name && m.UserId == user.Id, cancellationToken))
        {
            db.ProjectMembers.Add(new ProjectMemberEntity { Project = name, UserId = user.Id });
            await db.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.NoContent();
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveMember(IDbContextFactory<RingmasterDbContext> dbFactory, string name, string userName, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var removed = await db.ProjectMembers.Where(m => m.Project == name && db.Users.Any(u => u.Id == m.UserId && u.UserName == userName)).ExecuteDeleteAsync(cancellationToken);
        return removed == 0 ? ApiResults.Problem(ResultKind.NotFound, "That user is not a member of that project.") : TypedResults.NoContent();
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteProject(IDbContextFactory<RingmasterDbContext> dbFactory, string name, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var project = await db.Projects.FirstOrDefaultAsync(p => p.Name == name, cancellationToken);
        if (project is null)
        {
            return NotFound();
        }

        if (name == ProjectEntity.Default)
        {
            return ApiResults.Problem(ResultKind.Conflict, "The default project cannot be deleted.");
        }

        var machines = await db.Machines.IgnoreQueryFilters().CountAsync(m => m.Project == name, cancellationToken);
        if (machines > 0)
        {
            return ApiResults.Problem(ResultKind.Conflict, $"Project '{name}' still has {machines} machine(s); delete or move them first.");
        }

        // What else a project owns would be left without one (and out of every member's sight).
        var owned = new[]
        {
            (await db.Backups.IgnoreQueryFilters().CountAsync(b => b.Project == name, cancellationToken), "backup(s)"),
            (await db.Schedules.IgnoreQueryFilters().CountAsync(x => x.Project == name, cancellationToken), "schedule(s)"),
            (await db.Set<ScalingGroupEntity>().IgnoreQueryFilters().CountAsync(g => g.Project == name, cancellationToken), "scaling group(s)"),
        }.Where(o => o.Item1 > 0).Select(o => $"{o.Item1} {o.Item2}").ToList();
        if (owned.Count > 0)
        {
            return ApiResults.Problem(ResultKind.Conflict, $"Project '{name}' still has {string.Join(", ", owned)}; delete them first.");
        }

        db.Projects.Remove(project);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NotFound() => ApiResults.Problem(ResultKind.NotFound, "No such project.");

    private static async Task<ProjectEntity?> FindAsync(RingmasterDbContext db, ClaimsPrincipal user, string name, CancellationToken cancellationToken) =>
        user.ProjectsOf() is { } visible && !visible.Contains(name) ? null : await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == name, cancellationToken);

    private static ValidationProblem? Validate(ProjectQuotasView? quotas)
    {
        if (quotas is null)
        {
            return null;
        }

        var errors = new Dictionary<string, string[]>();
        void Check(string field, int? value)
        {
            if (value is < 0)
            {
                errors[field] = ["A quota is a number of 0 or more, or null for none."];
            }
        }

        Check("maxVcpus", quotas.MaxVcpus);
        Check("maxMemoryMiB", quotas.MaxMemoryMiB);
        Check("maxDiskGiB", quotas.MaxDiskGiB);
        Check("maxNetworks", quotas.MaxNetworks);
        Check("maxMachines", quotas.MaxMachines);
        return errors.Count == 0 ? null : TypedResults.ValidationProblem(errors, title: "The request is not valid.");
    }

    private static void Apply(ProjectEntity project, ProjectQuotasView? quotas)
    {
        project.MaxVcpus = quotas?.MaxVcpus;
        project.MaxMemoryMiB = quotas?.MaxMemoryMiB;
        project.MaxDiskGiB = quotas?.MaxDiskGiB;
        project.MaxNetworks = quotas?.MaxNetworks;
        project.MaxMachines = quotas?.MaxMachines;
    }

    private static async Task<ProjectView> ViewAsync(RingmasterDbContext db, ProjectQuotas quotas, ProjectEntity p, CancellationToken cancellationToken)
    {
        var usage = await quotas.UsageAsync(p.Name, cancellationToken);
        var members = await db.ProjectMembers.AsNoTracking().Where(m => m.Project == p.Name)
            .Join(db.Users, m => m.UserId, u => u.Id, (m, u) => u.UserName!).OrderBy(n => n).ToListAsync(cancellationToken);
        return new ProjectView(p.Name, p.Description, new ProjectQuotasView(p.MaxVcpus, p.MaxMemoryMiB, p.MaxDiskGiB, p.MaxNetworks, p.MaxMachines),
            new ProjectUsageView(usage.Vcpus, usage.MemoryMiB, usage.DiskGiB, usage.Networks, usage.Machines), members, Views.Utc(p.CreatedAt));
    }
}
