using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Access;

namespace Ringmaster.Web.Apis;

/// <summary>API tokens: any signed-in caller makes, lists and revokes its own (an admin: everyone's).</summary>
public static class TokensApi
{
    public static IEndpointRouteBuilder MapTokensApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/tokens").WithTags("Tokens").WithMetadata(AnyRoleMayWrite.Instance);
        api.MapGet("/", ListTokens)
            .WithName("ListTokens").WithSummary("List the caller's API tokens (all tokens for admins)");
        api.MapPost("/", CreateToken)
            .WithName("CreateToken").WithSummary("Create an API token (its secret is shown once)");
        api.MapDelete("/{id:guid}", RevokeToken)
            .WithName("RevokeToken").WithSummary("Revoke an API token");
        return app;
    }

    public static async Task<Ok<Page<TokenView>>> ListTokens(ApiTokens tokens, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<TokenView>(await tokens.ListAsync(user, cancellationToken), null));

    public static async Task<Results<Created<TokenCreated>, ValidationProblem>> CreateToken(
        ApiTokens tokens, ClaimsPrincipal user, [FromBody] CreateTokenRequest request, CancellationToken cancellationToken)
    {
        var (created, refused) = await tokens.CreateAsync(user, request, cancellationToken);
        return created is null
            ? TypedResults.ValidationProblem(refused!.Errors!, title: "The request is not valid.")
            : TypedResults.Created($"/api/v1/tokens/{created.Id}", created);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeToken(ApiTokens tokens, ClaimsPrincipal user, Guid id, CancellationToken cancellationToken) =>
        await tokens.RevokeAsync(user, id, cancellationToken) ? TypedResults.NoContent() : ApiResults.Problem(ResultKind.NotFound, "No such token.");
}
