using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
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

    public static async Task<Ok<Page<JoinTokenView>>> ListJoinTokens(IDbContextFactory<RingmasterDbContext> dbFactory, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var tokens = await db.JoinTokens.AsNoTracking().OrderByDescending(t => t.CreatedAt).ToListAsync(cancellationToken);
        return TypedResults.Ok(new Page<JoinTokenView>([.. tokens.Select(ToView)], null));
    }

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

    public static async Task<Ok<Page<AgentCredentialView>>> ListAgents(IDbContextFactory<RingmasterDbContext> dbFactory, IAgentGateway agents, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var hosts = await db.Hosts.AsNoTracking().ToDictionaryAsync(h => h.Id, h => h.Name, cancellationToken);
        var credentials = await db.AgentCredentials.AsNoTracking().OrderBy(c => c.CreatedAt).ToListAsync(cancellationToken);
        return TypedResults.Ok(new Page<AgentCredentialView>(
            [.. credentials.Select(c => new AgentCredentialView(c.HostId, hosts.GetValueOrDefault(c.HostId), Views.Utc(c.CreatedAt), Views.Utc(c.RevokedAt), agents.IsConnected(c.HostId)))],
            null));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeAgent(AgentCredentials credentials, Guid hostId, CancellationToken cancellationToken) =>
        await credentials.RevokeAsync(hostId, cancellationToken) ? TypedResults.NoContent() : ApiResults.Problem(ResultKind.NotFound, "No such host.");

    private static JoinTokenView ToView(JoinTokenEntity t) => new(t.Id, t.Name, t.CreatedBy, Views.Utc(t.CreatedAt), Views.Utc(t.ExpiresAt), Views.Utc(t.RevokedAt));
}
