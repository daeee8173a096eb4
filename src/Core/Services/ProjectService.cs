using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

/// <summary>
/// Projects: what the caller may see of them (<see cref="IAccessScope"/>), and what admins change —
/// create, quotas, members, delete (refused while the project still owns anything). The API and the
/// dashboard's pages call it alike; setting quotas also runs the quota alert rule at once.
/// </summary>
public sealed class ProjectService(IDbContextFactory<RingmasterDbContext> dbFactory, ProjectQuotas quotas, TimeProvider clock, IAccessScope? scope = null, AlertService? alerts = null)
{
    public async Task<IReadOnlyList<ProjectView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var visible = scope?.Projects;
        var projects = await db.Projects.AsNoTracking().OrderBy(p => p.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        var views = new List<ProjectView>();
        foreach (var project in projects.Where(p => visible is null || visible.Contains(p.Name)))
        {
            views.Add(await ViewAsync(db, project, cancellationToken).ConfigureAwait(false));
        }

        return views;
    }

    public async Task<ProjectView?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        if (scope?.Projects is { } visible && !visible.Contains(name))
        {
            return null;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var project = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == name, cancellationToken).ConfigureAwait(false);
        return project is null ? null : await ViewAsync(db, project, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ServiceResult<ProjectView>> CreateAsync(CreateProjectRequest request, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || !MachineNames.IsValid(request.Name))
        {
            return ServiceResult<ProjectView>.Invalid("name", $"The name must be {MachineNames.Rule}.");
        }

        if (InputText.CheckText(request.Description, 1024, "The description") is { } descriptionError)
        {
            return ServiceResult<ProjectView>.Invalid("description", descriptionError);
        }

        if (Validate(request.Quotas) is { } invalid)
        {
            return ServiceResult<ProjectView>.Invalid(invalid);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (await db.Projects.AnyAsync(p => p.Name == request.Name, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<ProjectView>.Conflict($"A project named '{request.Name}' already exists.");
        }

        var project = new ProjectEntity { Name = request.Name, Description = request.Description, CreatedAt = clock.GetUtcNow().UtcDateTime };
        Apply(project, request.Quotas);
        db.Projects.Add(project);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ServiceResult<ProjectView>.Ok(await ViewAsync(db, project, cancellationToken).ConfigureAwait(false));
    }

    public async Task<ServiceResult<ProjectView>> SetQuotasAsync(string name, ProjectQuotasView request, CancellationToken cancellationToken = default)
    {
        if (Validate(request) is { } invalid)
        {
            return ServiceResult<ProjectView>.Invalid(invalid);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var project = await db.Projects.FirstOrDefaultAsync(p => p.Name == name, cancellationToken).ConfigureAwait(false);
        if (project is null)
        {
            return ServiceResult<ProjectView>.NotFound(NoProject);
        }

        Apply(project, request);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        if (alerts is not null)
        {
            // A quota lowered under what the machines use (or raised above it) opens or resolves its alert now, not at the next machine change.
            await alerts.CheckQuotasAsync(project.Name, cancellationToken).ConfigureAwait(false);
        }

        return ServiceResult<ProjectView>.Ok(await ViewAsync(db, project, cancellationToken).ConfigureAwait(false));
    }

    public async Task<ServiceResult<bool>> AddMemberAsync(string name, string userName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var user = await db.Users.FirstOrDefaultAsync(u => u.UserName == userName, cancellationToken).ConfigureAwait(false);
        if (user is null || !await db.Projects.AnyAsync(p => p.Name == name, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<bool>.NotFound("No such project or user.");
        }

        if (!await db.ProjectMembers.AnyAsync(m => m.Project == name && m.UserId == user.Id, cancellationToken).ConfigureAwait(false))
        {
            db.ProjectMembers.Add(new ProjectMemberEntity { Project = name, UserId = user.Id });
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        return ServiceResult<bool>.Ok(true);
    }

    public async Task<ServiceResult<bool>> RemoveMemberAsync(string name, string userName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var removed = await db.ProjectMembers.Where(m => m.Project == name && db.Users.Any(u => u.Id == m.UserId && u.UserName == userName))
            .ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        return removed == 0 ? ServiceResult<bool>.NotFound("That user is not a member of that project.") : ServiceResult<bool>.Ok(true);
    }

    /// <summary>Deletes a project that owns nothing (no machines, backups, schedules or scaling groups); the default project stays.</summary>
    public async Task<ServiceResult<bool>> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var project = await db.Projects.FirstOrDefaultAsync(p => p.Name == name, cancellationToken).ConfigureAwait(false);
        if (project is null)
        {
            return ServiceResult<bool>.NotFound(NoProject);
        }

        if (name == ProjectEntity.Default)
        {
            return ServiceResult<bool>.Conflict("The default project cannot be deleted.");
        }

        var machines = await db.Machines.IgnoreQueryFilters().CountAsync(m => m.Project == name, cancellationToken).ConfigureAwait(false);
        if (machines > 0)
        {
            return ServiceResult<bool>.Conflict($"Project '{name}' still has {machines} machine(s); delete or move them first.");
        }

        // What else a project owns would be left without one (and out of every member's sight).
        var owned = new[]
        {
            (await db.Backups.IgnoreQueryFilters().CountAsync(b => b.Project == name, cancellationToken).ConfigureAwait(false), "backup(s)"),
            (await db.Schedules.IgnoreQueryFilters().CountAsync(x => x.Project == name, cancellationToken).ConfigureAwait(false), "schedule(s)"),
            (await db.Set<ScalingGroupEntity>().IgnoreQueryFilters().CountAsync(g => g.Project == name, cancellationToken).ConfigureAwait(false), "scaling group(s)"),
        }.Where(o => o.Item1 > 0).Select(o => $"{o.Item1} {o.Item2}").ToList();
        if (owned.Count > 0)
        {
            return ServiceResult<bool>.Conflict($"Project '{name}' still has {string.Join(", ", owned)}; delete them first.");
        }

        db.Projects.Remove(project);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ServiceResult<bool>.Ok(true);
    }

    private const string NoProject = "No such project.";

    private static Dictionary<string, string[]>? Validate(ProjectQuotasView? quotas)
    {
        if (quotas is null)
        {
            return null;
        }

        var errors = new Dictionary<string, string[]>();
        void Check(string field, int? value)
        {
            if (value is < 0)
            {
                errors[field] = ["A quota is a number of 0 or more, or null for none."];
            }
        }

        Check("maxVcpus", quotas.MaxVcpus);
        Check("maxMemoryMiB", quotas.MaxMemoryMiB);
        Check("maxDiskGiB", quotas.MaxDiskGiB);
        Check("maxNetworks", quotas.MaxNetworks);
        Check("maxMachines", quotas.MaxMachines);
        return errors.Count == 0 ? null : errors;
    }

    private static void Apply(ProjectEntity project, ProjectQuotasView? quotas)
    {
        project.MaxVcpus = quotas?.MaxVcpus;
        project.MaxMemoryMiB = quotas?.MaxMemoryMiB;
        project.MaxDiskGiB = quotas?.MaxDiskGiB;
        project.MaxNetworks = quotas?.MaxNetworks;
        project.MaxMachines = quotas?.MaxMachines;
    }

    private async Task<ProjectView> ViewAsync(RingmasterDbContext db, ProjectEntity p, CancellationToken cancellationToken)
    {
        var usage = await quotas.UsageAsync(p.Name, cancellationToken).ConfigureAwait(false);
        var members = await db.ProjectMembers.AsNoTracking().Where(m => m.Project == p.Name)
            .Join(db.Users, m => m.UserId, u => u.Id, (m, u) => u.UserName!).OrderBy(n => n).ToListAsync(cancellationToken).ConfigureAwait(false);
        return new ProjectView(p.Name, p.Description, new ProjectQuotasView(p.MaxVcpus, p.MaxMemoryMiB, p.MaxDiskGiB, p.MaxNetworks, p.MaxMachines),
            new ProjectUsageView(usage.Vcpus, usage.MemoryMiB, usage.DiskGiB, usage.Networks, usage.Machines), members, Views.Utc(p.CreatedAt));
    }
}
