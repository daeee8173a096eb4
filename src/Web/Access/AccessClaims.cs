using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Access;

/// <summary>The claims a signed-in caller carries, and how they are built from the database.</summary>
public static class AccessClaims
{
    /// <summary>One claim per project the caller sees, present only when the caller is restricted to projects.</summary>
    public const string Project = "ringmaster:project";
    /// <summary>"true" when the caller sees only its <see cref="Project"/> claims (not an admin).</summary>
    public const string Scoped = "ringmaster:scoped";
    /// <summary>The id of the API token the caller authenticated with.</summary>
    public const string TokenId = "ringmaster:token";
    /// <summary>The caller's effective role (the lower of the user's and the token's).</summary>
    public const string Role = "ringmaster:role";

    /// <summary>The caller's effective role, or null when it is not a Ringmaster user or token.</summary>
    public static AccessRole? RoleOf(this ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && Enum.TryParse<AccessRole>(user.FindFirstValue(Role), out var role) ? role : null;

    public static bool HasRole(this ClaimsPrincipal user, AccessRole role) => user.RoleOf() is { } r && r >= role;

    public static string? UserIdOf(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier);

    public static Guid? TokenIdOf(this ClaimsPrincipal user) => Guid.TryParse(user.FindFirstValue(TokenId), out var id) ? id : null;

    /// <summary>The projects the caller sees; null when it sees all.</summary>
    public static IReadOnlyCollection<string>? ProjectsOf(this ClaimsPrincipal user) =>
        user.HasClaim(Scoped, "true") ? [.. user.FindAll(Project).Select(c => c.Value)] : null;

    /// <summary>
    /// The principal of a user (and, when signing in with a token, that token's role cap and project),
    /// read fresh from the database so role and membership changes apply at once.
    /// </summary>
    public static async Task<ClaimsPrincipal> BuildAsync(
        RingmasterDbContext db, UserEntity? user, string scheme, string name, AccessRole? tokenRole, string? tokenProject, Guid? tokenId, CancellationToken cancellationToken)
    {
        var role = user?.Role ?? AccessRole.Admin;
        if (tokenRole is { } cap && cap < role)
        {
            role = cap;
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, name),
            new(Role, role.ToString()),
        };
        if (user is not null)
        {
            claims.Add(new Claim(ClaimTypes.NameIdentifier, user.Id));
        }

        if (tokenId is { } id)
        {
            claims.Add(new Claim(TokenId, id.ToString()));
        }

        foreach (var implied in Enum.GetValues<AccessRole>().Where(r => r <= role))
        {
            claims.Add(new Claim(ClaimTypes.Role, implied.ToString()));
        }

        IReadOnlyList<string>? projects = null;
        if (tokenProject is not null)
        {
            // A token for one project works only while its user is a member (or an admin): removing
            // someone from a project takes the project from their tokens at once.
            var member = user is null || user.Role >= AccessRole.Admin
                || await db.ProjectMembers.AsNoTracking().AnyAsync(m => m.UserId == user.Id && m.Project == tokenProject, cancellationToken);
            projects = member ? [tokenProject] : [];
        }
        else if (role < AccessRole.Admin && user is not null)
        {
            projects = await db.ProjectMembers.AsNoTracking().Where(m => m.UserId == user.Id).OrderBy(m => m.Project).Select(m => m.Project).ToListAsync(cancellationToken);
        }
        else if (role < AccessRole.Admin)
        {
            projects = [];
        }

        if (projects is not null)
        {
            claims.Add(new Claim(Scoped, "true"));
            claims.AddRange(projects.Select(p => new Claim(Project, p)));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }
}
