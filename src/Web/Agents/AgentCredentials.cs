using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Agents;

/// <summary>How an agent proved itself on its hub connection.</summary>
public enum AgentProof
{
    /// <summary>A join token: the configured one or one an admin created.</summary>
    JoinToken,
    /// <summary>The agent's own credential, issued at its first registration.</summary>
    Credential,
}

/// <summary>
/// Join tokens admins create, and the credential each agent gets when it registers (kept hashed);
/// revoking a credential disconnects the agent and refuses it from then on, join token or not.
/// </summary>
public sealed class AgentCredentials(IDbContextFactory<RingmasterDbContext> dbFactory, TimeProvider clock, ILogger<AgentCredentials> logger)
{
    private readonly ConcurrentDictionary<Guid, HubCallerContext> _sessions = new();

    /// <summary>What a presented secret proves, and for credentials which host; null when nothing.</summary>
    public async Task<(AgentProof Proof, Guid? HostId)?> CheckAsync(string secret, CancellationToken cancellationToken)
    {
        if (secret.Length > 512)
        {
            return null;
        }

        var hash = Secrets.Hash(secret);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var credential = await db.AgentCredentials.AsNoTracking().FirstOrDefaultAsync(c => c.Hash == hash, cancellationToken);
        if (credential is not null)
        {
            return credential.RevokedAt is null ? (AgentProof.Credential, credential.HostId) : null;
        }

        var join = await db.JoinTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Hash == hash, cancellationToken);
        return join is not null && join.RevokedAt is null && (join.ExpiresAt is null || join.ExpiresAt > now) ? (AgentProof.JoinToken, null) : null;
    }

    /// <summary>A new credential for <paramref name="hostId"/> (replacing an earlier one); null when the host's credential was revoked.</summary>
    public async Task<string?> IssueAsync(Guid hostId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var existing = await db.AgentCredentials.FirstOrDefaultAsync(c => c.HostId == hostId, cancellationToken);
        if (existing?.RevokedAt is not null)
        {
            return null;
        }

        var secret = Secrets.New(Secrets.AgentPrefix);
        if (existing is null)
        {
            db.AgentCredentials.Add(new AgentCredentialEntity { HostId = hostId, Hash = Secrets.Hash(secret), CreatedAt = clock.GetUtcNow().UtcDateTime });
        }
        else
        {
            existing.Hash = Secrets.Hash(secret);
            existing.CreatedAt = clock.GetUtcNow().UtcDateTime;
        }

        await db.SaveChangesAsync(cancellationToken);
        return secret;
    }

    /// <summary>Whether the host's credential is revoked (such a host may not join again).</summary>
    public async Task<bool> IsRevokedAsync(Guid hostId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.AgentCredentials.AnyAsync(c => c.HostId == hostId && c.RevokedAt != null, cancellationToken);
    }

    /// <summary>Revokes the host's credential and disconnects its agent; false when the host never registered.</summary>
    public async Task<bool> RevokeAsync(Guid hostId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var credential = await db.AgentCredentials.FirstOrDefaultAsync(c => c.HostId == hostId, cancellationToken);
        if (credential is null)
        {
            if (!await db.Hosts.AnyAsync(h => h.Id == hostId, cancellationToken))
            {
                return false;
            }

            // A host that joined before credentials existed: record the revocation all the same.
            credential = new AgentCredentialEntity { HostId = hostId, Hash = Secrets.Hash(Secrets.New(Secrets.AgentPrefix)), CreatedAt = clock.GetUtcNow().UtcDateTime };
            db.AgentCredentials.Add(credential);
        }

        credential.RevokedAt ??= clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        Disconnect(hostId);
        Revoked?.Invoke(hostId);
        return true;
    }

    /// <summary>A credential was revoked on this node: the backplane tells the other nodes, which disconnect the agent if it is theirs.</summary>
    public event Action<Guid>? Revoked;

    /// <summary>Disconnects the host's agent when it is connected to this node (its credential was revoked here or on another node).</summary>
    public void Disconnect(Guid hostId)
    {
        if (_sessions.TryRemove(hostId, out var session))
        {
            logger.LogWarning("Disconnecting the agent of host {HostId}: its credential was revoked", hostId);
            session.Abort();
        }
    }

    /// <summary>Remembers the hub connection of a registered agent, so revoking can disconnect it.</summary>
    public void Track(Guid hostId, HubCallerContext context) => _sessions[hostId] = context;

    public void Forget(Guid hostId, string connectionId)
    {
        if (_sessions.TryGetValue(hostId, out var context) && context.ConnectionId == connectionId)
        {
            _sessions.TryRemove(hostId, out _);
        }
    }

    /// <summary>A join token an admin hands to a new host; the secret is returned this once.</summary>
    public async Task<(JoinTokenEntity Token, string Secret)> CreateJoinTokenAsync(string name, DateTimeOffset? expiresAt, string createdBy, CancellationToken cancellationToken)
    {
        var secret = Secrets.New(Secrets.JoinTokenPrefix);
        var token = new JoinTokenEntity
        {
            Id = Guid.NewGuid(),
            Name = name,
            Hash = Secrets.Hash(secret),
            CreatedBy = createdBy,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            ExpiresAt = expiresAt?.UtcDateTime,
        };
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.JoinTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        return (token, secret);
    }

    /// <summary>Every join token, the newest first (revoked and expired ones too: what was handed out stays visible).</summary>
    public async Task<List<JoinTokenView>> ListJoinTokensAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var tokens = await db.JoinTokens.AsNoTracking().OrderByDescending(t => t.CreatedAt).ToListAsync(cancellationToken);
        return [.. tokens.Select(t => new JoinTokenView(t.Id, t.Name, t.CreatedBy, Views.Utc(t.CreatedAt), Views.Utc(t.ExpiresAt), Views.Utc(t.RevokedAt)))];
    }

    /// <summary>Every agent's credential in the order they were issued, with its host and whether that agent is connected now.</summary>
    public async Task<List<AgentCredentialView>> ListAgentsAsync(IAgentGateway agents, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var hosts = await db.Hosts.AsNoTracking().ToDictionaryAsync(h => h.Id, h => h.Name, cancellationToken);
        var credentials = await db.AgentCredentials.AsNoTracking().OrderBy(c => c.CreatedAt).ToListAsync(cancellationToken);
        return [.. credentials.Select(c => new AgentCredentialView(c.HostId, hosts.GetValueOrDefault(c.HostId), Views.Utc(c.CreatedAt), Views.Utc(c.RevokedAt), agents.IsConnected(c.HostId)))];
    }

    public async Task<bool> RevokeJoinTokenAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var token = await db.JoinTokens.FirstOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (token is null)
        {
            return false;
        }

        token.RevokedAt ??= clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }
}
