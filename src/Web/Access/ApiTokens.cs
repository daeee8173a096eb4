using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Web.Access;

/// <summary>Creates, lists and revokes API tokens for the API and the dashboard alike.</summary>
public sealed class ApiTokens(IDbContextFactory<RingmasterDbContext> dbFactory, IOptions<AccessOptions> options, TimeProvider clock)
{
    public const int MaxNameLength = 128;

    /// <summary>A token for <paramref name="caller"/>: its role no higher than the caller's, its project one the caller sees.</summary>
    public async Task<(TokenCreated? Created, ServiceResult<TokenCreated>? Refused)> CreateAsync(ClaimsPrincipal caller, CreateTokenRequest request, CancellationToken cancellationToken)
    {
        var callerRole = caller.RoleOf() ?? AccessRole.Viewer;
        var errors = new Dictionary<string, string[]>();
        if (InputText.CheckName(request.Name, MaxNameLength) is { } nameError)
        {
            errors["name"] = [nameError];
        }

        var role = request.Role ?? callerRole;
        if (!Enum.IsDefined(role))
        {
            errors["role"] = ["The role must be Viewer, Operator or Admin."];
        }
        else if (role > callerRole)
        {
            errors["role"] = [$"A token's role cannot exceed yours ({callerRole})."];
        }

        var now = clock.GetUtcNow();
        var expires = request.ExpiresAt ?? now.AddDays(options.Value.DefaultTokenDays);
        if (expires <= now)
        {
            errors["expiresAt"] = ["The expiry must be in the future."];
        }

        var visible = caller.ProjectsOf();
        var project = string.IsNullOrWhiteSpace(request.Project) ? null : request.Project;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (project is not null && ((visible is not null && !visible.Contains(project)) || !await db.Projects.AnyAsync(p => p.Name == project, cancellationToken)))
        {
            errors["project"] = ["Unknown project, or not one of yours."];
        }
        else if (project is null && caller.FindFirstValue(AccessClaims.TokenId) is not null && visible is { Count: 1 } only
            && await db.ApiTokens.AnyAsync(t => t.Id == caller.TokenIdOf() && t.Project != null, cancellationToken))
        {
            // A project token makes only tokens of its project.
            project = only.First();
        }

        if (errors.Count > 0)
        {
            return (null, ServiceResult<TokenCreated>.Invalid(errors));
        }

        var secret = Secrets.New(Secrets.TokenPrefix);
        var token = new ApiTokenEntity
        {
            Id = Guid.NewGuid(),
            Name = request.Name!.Trim(),
            Hash = Secrets.Hash(secret),
            Prefix = Secrets.Shown(secret),
            Role = role,
            Project = project,
            UserId = caller.UserIdOf(),
            CreatedBy = caller.Identity?.Name ?? "unknown",
            CreatedAt = now.UtcDateTime,
            ExpiresAt = expires.UtcDateTime,
        };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        return (new TokenCreated(token.Id, token.Name, token.Role, token.Project, Views.Utc(token.ExpiresAt), secret), null);
    }

    /// <summary>The caller's own tokens; an admin sees everyone's.</summary>
    public async Task<IReadOnlyList<TokenView>> ListAsync(ClaimsPrincipal caller, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var userId = caller.UserIdOf();
        var query = db.ApiTokens.AsNoTracking();
        if (!caller.HasRole(AccessRole.Admin))
        {
            query = query.Where(t => t.UserId == userId);
        }

        var users = await db.Users.AsNoTracking().ToDictionaryAsync(u => u.Id, u => u.UserName, cancellationToken);
        var tokens = await query.OrderByDescending(t => t.CreatedAt).ToListAsync(cancellationToken);
        return [.. tokens.Select(t => ToView(t, t.UserId is null ? null : users.GetValueOrDefault(t.UserId)))];
    }

    /// <summary>Revokes one of the caller's tokens (an admin: any); false when there is no such token for the caller.</summary>
    public async Task<bool> RevokeAsync(ClaimsPrincipal caller, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (token is null || (!caller.HasRole(AccessRole.Admin) && token.UserId != caller.UserIdOf()))
        {
            return false;
        }

        token.RevokedAt ??= clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>The personal token <c>POST /api/v1/auth/login</c> hands out.</summary>
    public async Task<LoginResponse> IssueLoginTokenAsync(UserEntity user, string? name, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var secret = Secrets.New(Secrets.TokenPrefix);
        var now = clock.GetUtcNow();
        var expires = now.AddDays(options.Value.LoginTokenDays);
        db.ApiTokens.Add(new ApiTokenEntity
        {
            Id = Guid.NewGuid(),
            Name = string.IsNullOrWhiteSpace(name) ? "login" : name.Trim()[..Math.Min(name.Trim().Length, MaxNameLength)],
            Hash = Secrets.Hash(secret),
            Prefix = Secrets.Shown(secret),
            Role = user.Role,
            UserId = user.Id,
            CreatedBy = user.UserName!,
            CreatedAt = now.UtcDateTime,
            ExpiresAt = expires.UtcDateTime,
        });
        await db.SaveChangesAsync(cancellationToken);
        return new LoginResponse(secret, expires, user.UserName!, user.Role);
    }

    public static TokenView ToView(ApiTokenEntity t, string? userName) => new(
        t.Id, t.Name, t.Prefix, t.Role, t.Project, userName, t.CreatedBy, Views.Utc(t.CreatedAt), Views.Utc(t.ExpiresAt), Views.Utc(t.RevokedAt), Views.Utc(t.LastUsedAt));
}
