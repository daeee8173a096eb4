using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Shared;
using Ringmaster.Web.Agents;

namespace Ringmaster.Web.Apis;

/// <summary>Admins: join tokens for new hosts, and the credentials agents got when they joined (revoking one disconnects that agent).</summary>
public static class AgentsApi
{
    public static IEndpointRouteBuilder MapAgentsApi(this IEndpointRouteBuilder app)
    {
        var join = app.MapGroup("/api/v1/join-tokens").WithTags("Agents").RequireAuthorization(nameof(AccessRole.Admin));
        join.MapGet("/", ListJoinTokens)
            .WithName("ListJoinTokens").WithSummary("List the join tokens agents use to join");
        join.MapPost("/", CreateJoinToken)
            .WithName("CreateJoinToken").WithSummary("Create a join token (its secret is shown once)");
        join.MapDelete("/{id:guid}", RevokeJoinToken)
            .WithName("RevokeJoinToken").WithSummary("Revoke a join token");
        var agents = app.MapGroup("/api/v1/agents").WithTags("Agents").RequireAuthorization(nameof(AccessRole.Admin));
        agents.MapGet("/", ListAgents)
            .WithName("ListAgents").WithSummary("List the agents that joined, with their credentials");
        agents.MapDelete("/{hostId:guid}/credential", RevokeAgent)
            .WithName("RevokeAgentCredential").WithSummary("Revoke an agent's credential and disconnect it");
        return app;
    }

    public static async Task<Ok<Page<JoinTokenView>>> ListJoinTokens(AgentCredentials credentials, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<JoinTokenView>(await credentials.ListJoinTokensAsync(cancellationToken), null));

    public static async Task<Results<Created<JoinTokenCreated>, ValidationProblem>> CreateJoinToken(
        AgentCredentials credentials, ClaimsPrincipal user, [FromBody] CreateJoinTokenRequest request, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (InputText.CheckName(request.Name, 128) is { } nameError)
        {
            return ApiResults.Invalid("name", nameError);
        }

        if (request.ExpiresAt is { } expires && expires <= clock.GetUtcNow())
        {
            return ApiResults.Invalid("expiresAt", "The expiry must be in the future.");
        }

        var (token, secret) = await credentials.CreateJoinTokenAsync(request.Name!.Trim(), request.ExpiresAt, user.Identity?.Name ?? "unknown", cancellationToken);
        return TypedResults.Created($"/api/v1/join-tokens/{token.Id}", new JoinTokenCreated(token.Id, token.Name, Views.Utc(token.ExpiresAt), secret));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeJoinToken(AgentCredentials credentials, Guid id, CancellationToken cancellationToken) =>
        await credentials.RevokeJoinTokenAsync(id, cancellationToken) ? TypedResults.NoContent() : ApiResults.Problem(ResultKind.NotFound, "No such join token.");

    public static async Task<Ok<Page<AgentCredentialView>>> ListAgents(AgentCredentials credentials, IAgentGateway agents, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<AgentCredentialView>(await credentials.ListAgentsAsync(agents, cancellationToken), null));

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeAgent(AgentCredentials credentials, Guid hostId, CancellationToken cancellationToken) =>
        await credentials.RevokeAsync(hostId, cancellationToken) ? TypedResults.NoContent() : ApiResults.Problem(ResultKind.NotFound, "No such host.");
}
