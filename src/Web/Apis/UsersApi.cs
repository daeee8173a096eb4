using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Core.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Access;

namespace Ringmaster.Web.Apis;

/// <summary>Users (admins only): create with a role and projects, list, change the role, delete.</summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/users").WithTags("Users").RequireAuthorization(nameof(AccessRole.Admin));
        api.MapGet("/", ListUsers)
            .WithName("ListUsers").WithSummary("List users");
        api.MapGet("/{userName}", GetUser)
            .WithName("GetUser").WithSummary("Read one user");
        api.MapPost("/", CreateUser)
            .WithName("CreateUser").WithSummary("Create a user");
        api.MapPut("/{userName}/role", SetRole)
            .WithName("SetUserRole").WithSummary("Set a user's role");
        api.MapDelete("/{userName}", DeleteUser)
            .WithName("DeleteUser").WithSummary("Delete a user");
        return app;
    }

    public static async Task<Ok<Page<UserView>>> ListUsers(IDbContextFactory<RingmasterDbContext> dbFactory, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().OrderBy(u => u.UserName).ToListAsync(cancellationToken);
        var members = await db.ProjectMembers.AsNoTracking().ToListAsync(cancellationToken);
        return TypedResults.Ok(new Page<UserView>([.. users.Select(u => ToView(u, members.Where(m => m.UserId == u.Id).Select(m => m.Project)))], null));
    }

    public static async Task<Results<Ok<UserView>, ProblemHttpResult>> GetUser(IDbContextFactory<RingmasterDbContext> dbFactory, string userName, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == userName, cancellationToken);
        return user is null ? NotFound() : TypedResults.Ok(await ViewAsync(db, user, cancellationToken));
    }

    public static async Task<Results<Created<UserView>, ValidationProblem, ProblemHttpResult>> CreateUser(
        UserManager<UserEntity> users, IDbContextFactory<RingmasterDbContext> dbFactory, [FromBody] CreateUserRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.UserName) || request.UserName.Length > 64)
        {
            return ApiResults.Invalid("userName", "A user name of 1 to 64 characters (letters, digits, '-', '.', '_', '@') is required.");
        }

        if (InputText.HasHiddenCharacters(request.UserName))
        {
            return ApiResults.Invalid("userName", $"A user name {InputText.HiddenCharacters}.");
        }

        if (string.IsNullOrEmpty(request.Password) || request.Password.Length > 1024)
        {
            return ApiResults.Invalid("password", "A password of at least 8 characters is required.");
        }

        var role = request.Role ?? AccessRole.Viewer;
        if (!Enum.IsDefined(role))
        {
            return ApiResults.Invalid("role", "The role must be Viewer, Operator or Admin.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var projects = request.Projects?.Distinct().ToList() ?? [ProjectEntity.Default];
        var known = await db.Projects.Where(p => projects.Contains(p.Name)).Select(p => p.Name).ToListAsync(cancellationToken);
        if (projects.Except(known).FirstOrDefault() is { } unknown)
        {
            return ApiResults.Invalid("projects", $"Unknown project '{(unknown.Length > 63 ? unknown[..63] : unknown)}'.");
        }

        if (await users.FindByNameAsync(request.UserName) is not null)
        {
            return ApiResults.Problem(ResultKind.Conflict, $"A user named '{request.UserName}' already exists.");
        }

        var user = new UserEntity { UserName = request.UserName, Role = role, CreatedAt = DateTime.UtcNow };
        var created = await users.CreateAsync(user, request.Password);
        if (!created.Succeeded)
        {
            var errors = created.Errors.GroupBy(e => e.Code.Contains("Password", StringComparison.Ordinal) ? "password" : "userName")
                .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray());
            return TypedResults.ValidationProblem(errors, title: "The request is not valid.");
        }

        db.ProjectMembers.AddRange(projects.Select(p => new ProjectMemberEntity { Project = p, UserId = user.Id }));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/v1/users/{user.UserName}", ToView(user, projects));
    }

    public static async Task<Results<Ok<UserView>, ValidationProblem, ProblemHttpResult>> SetRole(
        IDbContextFactory<RingmasterDbContext> dbFactory, ClaimsPrincipal caller, string userName, [FromBody] UserRoleRequest request, CancellationToken cancellationToken)
    {
        if (request.Role is not { } role || !Enum.IsDefined(role))
        {
            return ApiResults.Invalid("role", "The role must be Viewer, Operator or Admin.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.FirstOrDefaultAsync(u => u.UserName == userName, cancellationToken);
        if (user is null)
        {
            return NotFound();
        }

        if (user.Role == AccessRole.Admin && role != AccessRole.Admin && await db.Users.CountAsync(u => u.Role == AccessRole.Admin, cancellationToken) == 1)
        {
            return ApiResults.Problem(ResultKind.Conflict, "This is the last admin; make another admin first.");
        }

        user.Role = role;
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(await ViewAsync(db, user, cancellationToken));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteUser(
        UserManager<UserEntity> users, ClaimsPrincipal caller, string userName, CancellationToken cancellationToken)
    {
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            return NotFound();
        }

        if (user.Id == caller.UserIdOf())
        {
            return ApiResults.Problem(ResultKind.Conflict, "You cannot delete yourself.");
        }

        if (user.Role == AccessRole.Admin && await users.Users.CountAsync(u => u.Role == AccessRole.Admin, cancellationToken) == 1)
        {
            return ApiResults.Problem(ResultKind.Conflict, "This is the last admin; make another admin first.");
        }

        // Its tokens and memberships go with it (cascade), and its cookie stops working at the next request.
        await users.DeleteAsync(user);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NotFound() => ApiResults.Problem(ResultKind.NotFound, "No such user.");

    private static async Task<UserView> ViewAsync(RingmasterDbContext db, UserEntity user, CancellationToken cancellationToken) =>
        ToView(user, await db.ProjectMembers.AsNoTracking().Where(m => m.UserId == user.Id).Select(m => m.Project).ToListAsync(cancellationToken));

    private static UserView ToView(UserEntity u, IEnumerable<string> projects) =>
        new(u.Id, u.UserName!, u.Role, [.. projects.Order(StringComparer.Ordinal)], Views.Utc(u.CreatedAt));
}
