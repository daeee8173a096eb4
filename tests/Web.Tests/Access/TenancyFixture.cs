using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>
/// Two projects, alpha and beta, each with one of every kind of object a project owns (a machine
/// with a snapshot, a backup, a schedule, a scaling group with a policy and a script, operations
/// with and without a machine), and callers: ada (Admin), otto (Operator in alpha), bea (Operator
/// in beta), vic (Viewer in alpha). Every beta object carries <see cref="BetaSecret"/> in a field that
/// reading it shows and no request of the tests sends, so a leak is found by looking for it.
/// </summary>
public sealed class TenancyFixture : IAsyncLifetime
{
    public const string BetaSecret = "beta-secret";

    public RingmasterFactory Factory { get; } = new();
    public HttpClient Admin { get; private set; } = null!;
    public Dictionary<string, string> Tokens { get; } = [];
    public Guid Host { get; } = Guid.NewGuid();
    public Dictionary<string, ProjectObjects> Objects { get; } = [];

    /// <summary>The secret of each project's owner's token bound to that project.</summary>
    public Dictionary<string, string> ProjectTokens { get; } = [];

    /// <summary>The ids and names of one project's objects.</summary>
    public sealed record ProjectObjects(
        string Project, Guid MachineId, string MachineName, Guid SnapshotId, Guid BackupId, Guid ScheduleId,
        Guid GroupId, string GroupName, Guid PolicyId, Guid ScriptId, string ScriptName, Guid OperationId, Guid MachinelessOperationId, Guid TokenId)
    {
        /// <summary>Every id and name, for filling path parameters nothing else names.</summary>
        public IReadOnlyList<string> All => [MachineName, MachineId.ToString(), SnapshotId.ToString(), BackupId.ToString(), ScheduleId.ToString(),
            GroupName, GroupId.ToString(), PolicyId.ToString(), ScriptName, ScriptId.ToString(), OperationId.ToString(), MachinelessOperationId.ToString(), TokenId.ToString(), Project];
    }

    public async Task InitializeAsync()
    {
        Admin = Factory.CreateClient();
        foreach (var project in new[] { "alpha", "beta" })
        {
            (await Admin.PostAsJsonAsync("/api/v1/projects", new { name = project })).EnsureSuccessStatusCode();
        }

        await CreateUserAsync("ada", AccessRole.Admin, []);
        await CreateUserAsync("otto", AccessRole.Operator, ["alpha"]);
        await CreateUserAsync("bea", AccessRole.Operator, ["beta"]);
        await CreateUserAsync("vic", AccessRole.Viewer, ["alpha"]);
        foreach (var user in new[] { "ada", "otto", "bea", "vic" })
        {
            Tokens[user] = await LoginAsync(user);
        }

        await using var db = await Factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        db.Hosts.Add(new HostEntity { Id = Host, Name = "far-host", Online = false, RegisteredAt = DateTime.UtcNow });
        await db.SaveChangesAsync();
        foreach (var (project, owner) in new[] { ("alpha", "otto"), ("beta", "bea") })
        {
            Objects[project] = await SeedAsync(db, project, owner);
        }
    }

    private async Task<ProjectObjects> SeedAsync(RingmasterDbContext db, string project, string owner)
    {
        var secret = project == "beta" ? BetaSecret : "alpha-visible";
        var now = DateTime.UtcNow;
        var machine = new MachineEntity
        {
            Id = Guid.NewGuid(),
            Name = $"{project}-vm",
            Project = project,
            Kind = MachineKind.Container,
            Template = "busybox",
            Image = "ringmaster/busybox:latest",
            Spec = new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]),
            HostId = Host,
            // As the host monitor leaves a machine of an offline host (seeded Stopped, it turned Unknown whenever a sweep came, mid-test).
            State = MachineState.Unknown,
            LastKnownState = MachineState.Stopped,
            Labels = new Dictionary<string, string> { ["tier"] = project, ["note"] = secret },
            CreatedAt = now,
            UpdatedAt = now,
        };
        var snapshot = new SnapshotEntity { Id = Guid.NewGuid(), MachineId = machine.Id, Name = $"{project}-snap", Description = secret, CreatedAt = now };
        var backup = new BackupEntity
        {
            Id = Guid.NewGuid(), MachineId = machine.Id, MachineName = machine.Name, Project = project, Kind = machine.Kind, HostId = Host,
            CreatedAt = now, File = $"/srv/backups/{secret}.tar", Image = $"{secret}-image", Spec = machine.Spec,
        };
        var schedule = new ScheduleEntity
        {
            Id = Guid.NewGuid(), Name = $"{project}-nightly", Project = project, Job = ScheduleJob.Snapshot, Cron = "0 3 * * *",
            Selector = $"note={secret}", KeepLast = 3, CreatedAt = now, NextRunAt = now.AddDays(1),
        };
        var group = new ScalingGroupEntity
        {
            Id = Guid.NewGuid(), Name = $"{project}-web", Project = project, Template = "busybox", Kind = MachineKind.Container,
            Min = 0, Max = 3, Desired = 0, CooldownSeconds = 60, Labels = new Dictionary<string, string> { ["note"] = secret },
            Status = "stable", StatusDetail = secret, CreatedAt = now, UpdatedAt = now,
        };
        var policy = new ScalingPolicyEntity { Id = Guid.NewGuid(), GroupId = group.Id, Name = $"{project}-busy", Kind = "metric", Metric = secret, Operator = "above", Threshold = 90, DurationSeconds = 60, Adjustment = 1, CreatedAt = now };
        var script = new ScalingScriptEntity { Id = Guid.NewGuid(), GroupId = group.Id, Name = $"{project}-script", Version = 1, LatestVersion = 1, Enabled = false, CreatedAt = now };
        var version = new ScalingScriptVersionEntity { ScriptId = script.Id, Version = 1, Source = $"log('{secret}');", User = owner, CreatedAt = now };
        var onMachine = Core.Services.OperationService.New(OperationKind.MachineStop, machine.Id, machine.Name, owner, project);
        onMachine.State = OperationStatus.Succeeded;
        onMachine.Message = secret;
        var machineless = Core.Services.OperationService.New(OperationKind.BackupDelete, null, $"backup of {machine.Name}", owner, project);
        machineless.State = OperationStatus.Succeeded;
        machineless.Message = secret;
        machineless.Log = $"Deleted /srv/backups/{secret}.tar";
        db.Machines.Add(machine);
        db.Snapshots.Add(snapshot);
        db.Backups.Add(backup);
        db.Schedules.Add(schedule);
        db.Set<ScalingGroupEntity>().Add(group);
        db.Set<ScalingPolicyEntity>().Add(policy);
        db.Set<ScalingScriptEntity>().Add(script);
        db.Set<ScalingScriptVersionEntity>().Add(version);
        db.Operations.AddRange(onMachine, machineless);
        await db.SaveChangesAsync();

        // The owner's own token, bound to the project.
        using var client = As(owner);
        var token = await (await client.PostAsJsonAsync("/api/v1/tokens", new { name = $"{project}-token", project })).ReadJsonAsync();
        ProjectTokens[project] = token.GetProperty("token").GetString()!;
        return new ProjectObjects(project, machine.Id, machine.Name, snapshot.Id, backup.Id, schedule.Id, group.Id, group.Name, policy.Id,
            script.Id, script.Name, onMachine.Id, machineless.Id, token.GetProperty("id").GetGuid());
    }

    /// <summary>What beta holds, read past every filter: compared before and after the probes to find a write that got through.</summary>
    public async Task<string> BetaStateAsync()
    {
        await using var db = await Factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        var beta = Objects["beta"];
        var state = new
        {
            machines = await db.Machines.IgnoreQueryFilters().AsNoTracking().Where(m => m.Project == "beta").OrderBy(m => m.Name)
                .Select(m => new { m.Id, m.Name, m.Labels, m.Spec, m.State, m.Version, m.HostId }).ToListAsync(),
            snapshots = await db.Snapshots.AsNoTracking().Where(s => s.MachineId == beta.MachineId).OrderBy(s => s.Name).Select(s => new { s.Id, s.Name, s.Description }).ToListAsync(),
            backups = await db.Backups.IgnoreQueryFilters().AsNoTracking().Where(b => b.Project == "beta").OrderBy(b => b.Id).Select(b => new { b.Id, b.VerifiedAt }).ToListAsync(),
            schedules = await db.Schedules.IgnoreQueryFilters().AsNoTracking().Where(s => s.Project == "beta").OrderBy(s => s.Name).Select(s => new { s.Id, s.Name, s.Enabled, s.Cron }).ToListAsync(),
            groups = await db.Set<ScalingGroupEntity>().IgnoreQueryFilters().AsNoTracking().Where(g => g.Project == "beta")
                .Select(g => new { g.Id, g.Min, g.Max, g.Desired, g.CooldownSeconds, g.Deleting }).ToListAsync(),
            policies = await db.Set<ScalingPolicyEntity>().AsNoTracking().Where(p => p.GroupId == beta.GroupId).Select(p => new { p.Id, p.Enabled }).ToListAsync(),
            scripts = await db.Set<ScalingScriptEntity>().AsNoTracking().Where(s => s.GroupId == beta.GroupId).Select(s => new { s.Id, s.Version, s.LatestVersion, s.Enabled }).ToListAsync(),
            operations = await db.Operations.IgnoreQueryFilters().AsNoTracking().Where(o => o.Project == "beta").OrderBy(o => o.Id).Select(o => new { o.Id, o.State, o.Kind }).ToListAsync(),
            tokens = await db.ApiTokens.AsNoTracking().Where(t => t.Project == "beta").OrderBy(t => t.Id).Select(t => new { t.Id, t.RevokedAt }).ToListAsync(),
            members = await db.ProjectMembers.AsNoTracking().Where(m => m.Project == "beta").OrderBy(m => m.UserId).Select(m => m.UserId).ToListAsync(),
            project = await db.Projects.AsNoTracking().Where(p => p.Name == "beta").Select(p => new { p.MaxMachines, p.MaxVcpus, p.Description }).SingleOrDefaultAsync(),
        };
        return JsonSerializer.Serialize(state);
    }

    public async Task CreateUserAsync(string name, AccessRole role, string[] projects)
    {
        using var response = await Admin.PostAsJsonAsync("/api/v1/users", new { userName = name, password = name + "-password", role = role.ToString(), projects });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<string> LoginAsync(string name)
    {
        using var anonymous = Factory.CreateAnonymousClient();
        using var response = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = name, password = name + "-password" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync()).GetProperty("token").GetString()!;
    }

    public HttpClient As(string user) => WithToken(Tokens[user]);

    public HttpClient WithToken(string secret)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Factory.DisposeAsync();
    }
}
