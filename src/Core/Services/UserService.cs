using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

/// <summary>Users, their roles, the projects they join at creation, and whether they may sign in (admins' work; the API and the dashboard's pages call it alike).</summary>
public sealed class UserService(UserManager<UserEntity> users, IDbContextFactory<RingmasterDbContext> dbFactory, TimeProvider clock)
{
    public async Task<IReadOnlyList<UserView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var all = await db.Users.AsNoTracking().OrderBy(u => u.UserName).ToListAsync(cancellationToken).ConfigureAwait(false);
        var members = await db.ProjectMembers.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. all.Select(u => ToView(u, members.Where(m => m.UserId == u.Id).Select(m => m.Project)))];
    }

    public async Task<UserView?> GetAsync(string userName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == userName, cancellationToken).ConfigureAwait(false);
        return user is null ? null : await ViewAsync(db, user, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ServiceResult<UserView>> CreateAsync(CreateUserRequest request, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(request.UserName) || request.UserName.Length > 64)
        {
            return ServiceResult<UserView>.Invalid("userName", "A user name of 1 to 64 characters (letters, digits, '-', '.', '_', '@') is required.");
        }

        if (InputText.HasHiddenCharacters(request.UserName))
        {
            return ServiceResult<UserView>.Invalid("userName", $"A user name {InputText.HiddenCharacters}.");
        }

        if (string.IsNullOrEmpty(request.Password) || request.Password.Length > 1024)
        {
            return ServiceResult<UserView>.Invalid("password", "A password of at least 8 characters is required.");
        }

        var role = request.Role ?? AccessRole.Viewer;
        if (!Enum.IsDefined(role))
        {
            return ServiceResult<UserView>.Invalid("role", "The role must be Viewer, Operator or Admin.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var projects = request.Projects?.Distinct().ToList() ?? [ProjectEntity.Default];
        var known = await db.Projects.Where(p => projects.Contains(p.Name)).Select(p => p.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (projects.Except(known).FirstOrDefault() is { } unknown)
        {
            return ServiceResult<UserView>.Invalid("projects", $"Unknown project '{(unknown.Length > 63 ? unknown[..63] : unknown)}'.");
        }

        if (await users.FindByNameAsync(request.UserName).ConfigureAwait(false) is not null)
        {
            return ServiceResult<UserView>.Conflict($"A user named '{request.UserName}' already exists.");
        }

        var user = new UserEntity { UserName = request.UserName, Role = role, CreatedAt = clock.GetUtcNow().UtcDateTime };
        var created = await users.CreateAsync(user, request.Password).ConfigureAwait(false);
        if (!created.Succeeded)
        {
            return ServiceResult<UserView>.Invalid(created.Errors.GroupBy(e => e.Code.Contains("Password", StringComparison.Ordinal) ? "password" : "userName")
                .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray()));
        }

        db.ProjectMembers.AddRange(projects.Select(p => new ProjectMemberEntity { Project = p, UserId = user.Id }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ServiceResult<UserView>.Ok(ToView(user, projects));
    }

    public async Task<ServiceResult<UserView>> SetRoleAsync(string userName, AccessRole? role, CancellationToken cancellationToken = default)
    {
        if (role is not { } wanted || !Enum.IsDefined(wanted))
        {
            return ServiceResult<UserView>.Invalid("role", "The role must be Viewer, Operator or Admin.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var user = await db.Users.FirstOrDefaultAsync(u => u.UserName == userName, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return ServiceResult<UserView>.NotFound(NoUser);
        }

        if (wanted != AccessRole.Admin && await IsLastEnabledAdminAsync(db.Users, user, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<UserView>.Conflict(LastAdmin);
        }

        user.Role = wanted;
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ServiceResult<UserView>.Ok(await ViewAsync(db, user, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Deletes a user (its tokens and memberships go with it); not the caller, not the last admin.</summary>
    public async Task<ServiceResult<bool>> DeleteAsync(string userName, string? callerUserId, CancellationToken cancellationToken = default)
    {
        var user = await users.FindByNameAsync(userName).ConfigureAwait(false);
        if (user is null)
        {
            return ServiceResult<bool>.NotFound(NoUser);
        }

        if (user.Id == callerUserId)
        {
            return ServiceResult<bool>.Conflict("You cannot delete yourself.");
        }

        if (await IsLastEnabledAdminAsync(users.Users, user, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<bool>.Conflict(LastAdmin);
        }

        await users.DeleteAsync(user).ConfigureAwait(false);
        return ServiceResult<bool>.Ok(true);
    }

    /// <summary>
    /// Disables a user (it can no longer sign in, its tokens and dashboard sessions are refused from
    /// their next request) or enables it again; not the caller, not the last enabled admin.
    /// </summary>
    public async Task<ServiceResult<UserView>> SetDisabledAsync(string userName, bool? disabled, string? callerUserId, CancellationToken cancellationToken = default)
    {
        if (disabled is not { } wanted)
        {
            return ServiceResult<UserView>.Invalid("disabled", "Say whether the user is disabled: true or false.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var user = await db.Users.FirstOrDefaultAsync(u => u.UserName == userName, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return ServiceResult<UserView>.NotFound(NoUser);
        }

        if (wanted && user.DisabledAt is null)
        {
            if (user.Id == callerUserId)
            {
                return ServiceResult<UserView>.Conflict("You cannot disable yourself.");
            }

            if (await IsLastEnabledAdminAsync(db.Users, user, cancellationToken).ConfigureAwait(false))
            {
                return ServiceResult<UserView>.Conflict("This is the last enabled admin; make or enable another admin first.");
            }

            user.DisabledAt = clock.GetUtcNow().UtcDateTime;
        }
        else if (!wanted)
        {
            user.DisabledAt = null;
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ServiceResult<UserView>.Ok(await ViewAsync(db, user, cancellationToken).ConfigureAwait(false));
    }

    private const string NoUser = "No such user.";
    private const string LastAdmin = "This is the last admin; make another admin first.";

    /// <summary>Whether <paramref name="user"/> is the only admin left who can sign in (a disabled admin does not count).</summary>
    private static async Task<bool> IsLastEnabledAdminAsync(IQueryable<UserEntity> all, UserEntity user, CancellationToken cancellationToken) =>
        user.Role == AccessRole.Admin && user.DisabledAt is null
        && await all.CountAsync(u => u.Role == AccessRole.Admin && u.DisabledAt == null, cancellationToken).ConfigureAwait(false) == 1;

    private static async Task<UserView> ViewAsync(RingmasterDbContext db, UserEntity user, CancellationToken cancellationToken) =>
        ToView(user, await db.ProjectMembers.AsNoTracking().Where(m => m.UserId == user.Id).Select(m => m.Project).ToListAsync(cancellationToken).ConfigureAwait(false));

    private static UserView ToView(UserEntity u, IEnumerable<string> projects) =>
        new(u.Id, u.UserName!, u.Role, [.. projects.Order(StringComparer.Ordinal)], Views.Utc(u.CreatedAt), u.DisabledAt is not null, Views.Utc(u.DisabledAt));
}
