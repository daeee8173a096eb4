using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Access;

namespace Ringmaster.Web.Apis;

/// <summary>Users (admins only): create with a role and projects, list, change the role, disable or enable, delete.</summary>
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
        api.MapPatch("/{userName}", UpdateUser)
            .WithName("UpdateUser").WithSummary("Disable a user (no sign-in, its tokens and sessions refused) or enable it again");
        api.MapDelete("/{userName}", DeleteUser)
            .WithName("DeleteUser").WithSummary("Delete a user");
        return app;
    }

    public static async Task<Ok<Page<UserView>>> ListUsers(UserService users, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<UserView>(await users.ListAsync(cancellationToken), null));

    public static async Task<Results<Ok<UserView>, ProblemHttpResult>> GetUser(UserService users, string userName, CancellationToken cancellationToken) =>
        await users.GetAsync(userName, cancellationToken) is { } user ? TypedResults.Ok(user) : ApiResults.Problem(ResultKind.NotFound, "No such user.");

    public static async Task<Results<Created<UserView>, ValidationProblem, ProblemHttpResult>> CreateUser(
        UserService users, [FromBody] CreateUserRequest request, CancellationToken cancellationToken)
    {
        var result = await users.CreateAsync(request, cancellationToken);
        return result.Kind switch
        {
            ResultKind.Ok => TypedResults.Created($"/api/v1/users/{result.Value!.UserName}", result.Value),
            ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, title: "The request is not valid."),
            _ => ApiResults.Problem(result.Kind, result.Message),
        };
    }

    public static async Task<Results<Ok<UserView>, ValidationProblem, ProblemHttpResult>> SetRole(
        UserService users, string userName, [FromBody] UserRoleRequest request, CancellationToken cancellationToken) =>
        Answer(await users.SetRoleAsync(userName, request.Role, cancellationToken));

    public static async Task<Results<Ok<UserView>, ValidationProblem, ProblemHttpResult>> UpdateUser(
        UserService users, ClaimsPrincipal caller, string userName, [FromBody] UpdateUserRequest request, CancellationToken cancellationToken) =>
        Answer(await users.SetDisabledAsync(userName, request.Disabled, caller.UserIdOf(), cancellationToken));

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteUser(UserService users, ClaimsPrincipal caller, string userName, CancellationToken cancellationToken)
    {
        var result = await users.DeleteAsync(userName, caller.UserIdOf(), cancellationToken);
        return result.Kind == ResultKind.Ok ? TypedResults.NoContent() : ApiResults.Problem(result.Kind, result.Message);
    }

    private static Results<Ok<UserView>, ValidationProblem, ProblemHttpResult> Answer(ServiceResult<UserView> result) => result.Kind switch
    {
        ResultKind.Ok => TypedResults.Ok(result.Value!),
        ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, title: "The request is not valid."),
        _ => ApiResults.Problem(result.Kind, result.Message),
    };
}
