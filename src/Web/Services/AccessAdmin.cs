using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Access;

namespace Ringmaster.Web.Services;

/// <summary>
/// What the dashboard's Users and Projects pages read and change, through the same services as the
/// REST API (<see cref="UserService"/>, <see cref="ProjectService"/>): admins only, every change run
/// in the signed-in admin's name and audited with the user's or project's name.
/// </summary>
public sealed class AccessAdmin(UserService users, ProjectService projects, DashboardCaller caller)
{
    /// <summary>Whether the signed-in user is an admin (nothing here is read for anyone else).</summary>
    public async Task<bool> IsAdminAsync() => await caller.PrincipalAsync() is { } principal && principal.HasRole(AccessRole.Admin);

    public async Task<IReadOnlyList<UserView>> UsersAsync(CancellationToken cancellationToken = default) =>
        await IsAdminAsync() ? await users.ListAsync(cancellationToken) : [];

    public async Task<IReadOnlyList<ProjectView>> ProjectsAsync(CancellationToken cancellationToken = default) =>
        await IsAdminAsync() ? await projects.ListAsync(cancellationToken) : [];

    public async Task<ProjectView?> ProjectAsync(string name, CancellationToken cancellationToken = default) =>
        await IsAdminAsync() ? await projects.GetAsync(name, cancellationToken) : null;

    public Task<ServiceResult<UserView>> CreateUserAsync(CreateUserRequest request, CancellationToken cancellationToken = default) =>
        caller.RunAsync("user.create", $"user {request.UserName}", _ => users.CreateAsync(request, cancellationToken),
            $"role {request.Role ?? AccessRole.Viewer}, projects {string.Join(", ", request.Projects ?? [ProjectEntity.Default])}", AccessRole.Admin);

    public Task<ServiceResult<UserView>> SetRoleAsync(string userName, AccessRole role, CancellationToken cancellationToken = default) =>
        caller.RunAsync("user.role", $"user {userName}", _ => users.SetRoleAsync(userName, role, cancellationToken), $"role {role}", AccessRole.Admin);

    public async Task<ServiceResult<UserView>> SetDisabledAsync(string userName, bool disabled, CancellationToken cancellationToken = default)
    {
        var me = (await caller.PrincipalAsync())?.UserIdOf();
        return await caller.RunAsync(disabled ? "user.disable" : "user.enable", $"user {userName}", _ => users.SetDisabledAsync(userName, disabled, me, cancellationToken), needs: AccessRole.Admin);
    }

    public async Task<ServiceResult<bool>> DeleteUserAsync(string userName, CancellationToken cancellationToken = default)
    {
        var me = (await caller.PrincipalAsync())?.UserIdOf();
        return await caller.RunAsync("user.delete", $"user {userName}", _ => users.DeleteAsync(userName, me, cancellationToken), needs: AccessRole.Admin);
    }

    public Task<ServiceResult<ProjectView>> CreateProjectAsync(CreateProjectRequest request, CancellationToken cancellationToken = default) =>
        caller.RunAsync("project.create", $"project {request.Name}", _ => projects.CreateAsync(request, cancellationToken), needs: AccessRole.Admin);

    public Task<ServiceResult<ProjectView>> SetQuotasAsync(string name, ProjectQuotasView quotas, CancellationToken cancellationToken = default) =>
        caller.RunAsync("project.quotas", $"project {name}", _ => projects.SetQuotasAsync(name, quotas, cancellationToken), Describe(quotas), AccessRole.Admin);

    public Task<ServiceResult<bool>> AddMemberAsync(string name, string userName, CancellationToken cancellationToken = default) =>
        caller.RunAsync("project.member.add", $"project {name}", _ => projects.AddMemberAsync(name, userName, cancellationToken), $"user {userName}", AccessRole.Admin);

    public Task<ServiceResult<bool>> RemoveMemberAsync(string name, string userName, CancellationToken cancellationToken = default) =>
        caller.RunAsync("project.member.remove", $"project {name}", _ => projects.RemoveMemberAsync(name, userName, cancellationToken), $"user {userName}", AccessRole.Admin);

    public Task<ServiceResult<bool>> DeleteProjectAsync(string name, CancellationToken cancellationToken = default) =>
        caller.RunAsync("project.delete", $"project {name}", _ => projects.DeleteAsync(name, cancellationToken), needs: AccessRole.Admin);

    /// <summary>What quotas are set, for the audit: "vCPUs 8, memory none, disk 100 GiB, networks none, machines 10".</summary>
    private static string Describe(ProjectQuotasView quotas) => string.Join(", ",
        QuotaLine.Of(new ProjectUsage(0, 0, 0, 0, 0), quotas).Select(l => l.Limit is { } limit ? $"{l.What} {limit}{l.Unit}" : $"{l.What} none"));
}
