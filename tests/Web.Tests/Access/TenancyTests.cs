using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>
/// What is made from something belongs to that thing's project (clones, restores, scaling-group
/// members), counts against its quotas, and quotas hold under parallel requests; a schedule works
/// inside its project; a removed member's project token stops working; only admins empty a host or
/// change the shared catalog. A <see cref="FakeAgent"/> plays an online host that accepts commands
/// and leaves them running, so what is decided before any guest work is what the tests see.
/// </summary>
public sealed class TenancyTests : IAsyncLifetime
{
    private readonly FakeScheduleClock _clock = new(new DateTimeOffset(2026, 12, 4, 8, 30, 0, TimeSpan.Zero));
    private readonly RingmasterFactory _factory;
    private HttpClient _admin = null!;
    private FakeAgent _agent = null!;

    public TenancyTests() => _factory = new RingmasterFactory
    {
        TestServices = s =>
        {
            s.AddSingleton<TimeProvider>(_clock);
            s.ConfigureDbContext<RingmasterDbContext>(o => o.AddInterceptors(new SlowMachineInserts()));
        },
    };

    public async Task InitializeAsync()
    {
        _admin = _factory.StartKestrel();
        _agent = await FakeAgent.StartAsync(_admin.BaseAddress!, _factory.JoinToken, "fake-host");
        foreach (var project in new[] { "alpha", "beta" })
        {
            (await _admin.PostAsJsonAsync("/api/v1/projects", new { name = project })).EnsureSuccessStatusCode();
        }

        foreach (var (user, role, project) in new[] { ("otto", "Operator", "alpha"), ("bea", "Operator", "beta") })
        {
            (await _admin.PostAsJsonAsync("/api/v1/users", new { userName = user, password = user + "-password", role, projects = new[] { project } })).EnsureSuccessStatusCode();
        }
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private async Task<HttpClient> SignInAsync(string user)
    {
        using var anonymous = _factory.CreateAnonymousClient();
        var login = await (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = user, password = user + "-password" })).ReadJsonAsync();
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", login.GetProperty("token").GetString());
        return client;
    }

    private async Task<MachineEntity> SeedMachineAsync(string name, string project, IReadOnlyDictionary<string, string>? labels = null, MachineKind kind = MachineKind.Container)
    {
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        var machine = new MachineEntity
        {
            Id = Guid.NewGuid(), Name = name, Project = project, Kind = kind,
            Template = kind == MachineKind.Vm ? "default" : "busybox", Image = kind == MachineKind.Vm ? "default" : "ringmaster/busybox:latest",
            Spec = new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]),
            HostId = _agent.HostId, State = MachineState.Stopped, Labels = labels ?? new Dictionary<string, string>(),
            CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
        };
        db.Machines.Add(machine);
        await db.SaveChangesAsync();
        return machine;
    }

    private async Task<T> InDbAsync<T>(Func<RingmasterDbContext, Task<T>> read)
    {
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        return await read(db);
    }

    /// <summary>A slow disk under the inventory: each new machine takes a moment to be written, as on a loaded host, which opens the gap a quota check must not leave.</summary>
    private sealed class SlowMachineInserts : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
    {
        public override async ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(
            System.Data.Common.DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandEventData eventData,
            Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.Contains("INSERT INTO \"Machines\"", StringComparison.Ordinal))
            {
                await Task.Delay(150, cancellationToken);
            }

            return result;
        }
    }

    [Fact]
    public async Task Create_TwentyInParallelAgainstAQuotaOfFive_MakesExactlyFive()
    {
        (await _admin.PostAsJsonAsync("/api/v1/projects", new { name = "race" })).EnsureSuccessStatusCode();
        (await _admin.PutAsJsonAsync("/api/v1/projects/race/quotas", new { maxMachines = 5 })).EnsureSuccessStatusCode();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            _admin.PostAsJsonAsync("/api/v1/machines", new { name = $"race-{i}", template = "busybox", project = "race", start = false })));

        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
        var refused = responses.Where(r => r.StatusCode != HttpStatusCode.Accepted).ToList();
        Assert.Equal(15, refused.Count);
        foreach (var response in refused)
        {
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Contains("quota 'machines' exceeded", (await response.ReadJsonAsync()).GetProperty("detail").GetString());
        }

        Assert.Equal(5, await InDbAsync(db => db.Machines.IgnoreQueryFilters().CountAsync(m => m.Project == "race")));
    }

    [Fact]
    public async Task Clone_OfAProjectsMachine_LandsInThatProjectAndCountsAgainstItsQuota()
    {
        await SeedMachineAsync("alpha-src", "alpha");
        using var otto = await SignInAsync("otto");

        var accepted = await otto.PostAsJsonAsync("/api/v1/machines/alpha-src/clone", new { name = "alpha-copy" });

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal("alpha", await InDbAsync(db => db.Machines.IgnoreQueryFilters().Where(m => m.Name == "alpha-copy").Select(m => m.Project).SingleAsync()));
        Assert.Equal(HttpStatusCode.OK, (await otto.GetAsync("/api/v1/machines/alpha-copy")).StatusCode);

        (await _admin.PutAsJsonAsync("/api/v1/projects/alpha/quotas", new { maxMachines = 2 })).EnsureSuccessStatusCode();
        var over = await otto.PostAsJsonAsync("/api/v1/machines/alpha-src/clone", new { name = "alpha-copy-2" });
        Assert.Equal(HttpStatusCode.Conflict, over.StatusCode);
        Assert.Contains("quota 'machines' exceeded", (await over.ReadJsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await otto.GetAsync("/api/v1/machines/alpha-copy-2")).StatusCode);
    }

    [Fact]
    public async Task Restore_AsNew_LandsInTheBackupsProject()
    {
        var source = await SeedMachineAsync("beta-src", "beta");
        var backupId = Guid.NewGuid();
        await InDbAsync(async db =>
        {
            db.Backups.Add(new BackupEntity
            {
                Id = backupId, MachineId = source.Id, MachineName = source.Name, Project = "beta", Kind = source.Kind,
                HostId = _agent.HostId, CreatedAt = DateTime.UtcNow, Spec = source.Spec, Image = source.Image,
            });
            return await db.SaveChangesAsync();
        });
        using var bea = await SignInAsync("bea");
        using var otto = await SignInAsync("otto");

        Assert.Equal(HttpStatusCode.NotFound, (await otto.PostAsJsonAsync($"/api/v1/backups/{backupId}/restore", new { name = "stolen" })).StatusCode);
        var accepted = await bea.PostAsJsonAsync($"/api/v1/backups/{backupId}/restore", new { name = "beta-restored" });

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal("beta", await InDbAsync(db => db.Machines.IgnoreQueryFilters().Where(m => m.Name == "beta-restored").Select(m => m.Project).SingleAsync()));
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/api/v1/machines/stolen")).StatusCode);
    }

    [Fact]
    public async Task ScalingGroup_OfAProject_MakesItsMembersInThatProject()
    {
        using var bea = await SignInAsync("bea");

        var created = await bea.PostAsJsonAsync("/api/v1/scaling-groups", new { name = "beta-pool", template = "busybox", min = 2, max = 2, desired = 2 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("beta", (await created.ReadJsonAsync()).GetProperty("project").GetString());

        var members = await HttpJson.EventuallyAsync(
            () => InDbAsync(db => db.Machines.IgnoreQueryFilters().Where(m => m.Name.StartsWith("beta-pool-")).Select(m => m.Project).ToListAsync()),
            projects => projects.Count == 2, TimeSpan.FromSeconds(30), "the group's two members");
        Assert.All(members, p => Assert.Equal("beta", p));
        using var otto = await SignInAsync("otto");
        Assert.Equal(HttpStatusCode.NotFound, (await otto.GetAsync("/api/v1/scaling-groups/beta-pool")).StatusCode);
    }

    [Fact]
    public async Task Schedule_WithASelector_RunsOnlyOnItsProjectsMachines()
    {
        var mine = await SeedMachineAsync("alpha-shared", "alpha", new Dictionary<string, string> { ["tier"] = "shared" });
        var theirs = await SeedMachineAsync("beta-shared", "beta", new Dictionary<string, string> { ["tier"] = "shared" });
        var others = await SeedMachineAsync("default-shared", "default", new Dictionary<string, string> { ["tier"] = "shared" });
        using var otto = await SignInAsync("otto");

        var created = await otto.PostAsJsonAsync("/api/v1/schedules", new { name = "alpha-every-hour", job = "snapshot", cron = "0 * * * *", selector = "tier=shared" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("alpha", (await created.ReadJsonAsync()).GetProperty("project").GetString());
        _clock.Now = new DateTimeOffset(2026, 12, 4, 9, 0, 30, TimeSpan.Zero);
        var started = await _factory.Services.GetRequiredService<ScheduleService>().RunDueAsync();

        var targets = await InDbAsync(db => db.Operations.IgnoreQueryFilters().Where(o => started.Contains(o.Id)).Select(o => new { o.MachineId, o.Project }).ToListAsync());
        Assert.Equal([mine.Id], targets.Select(t => t.MachineId));
        Assert.Equal("alpha", targets.Single().Project);
        Assert.DoesNotContain(targets, t => t.MachineId == theirs.Id || t.MachineId == others.Id);
    }

    [Fact]
    public async Task Schedule_ForAnotherProjectsMachine_Refused()
    {
        await SeedMachineAsync("beta-private", "beta");
        using var otto = await SignInAsync("otto");

        var refused = await otto.PostAsJsonAsync("/api/v1/schedules", new { name = "grab", job = "backup", cron = "0 * * * *", machine = "beta-private" });

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(0, await InDbAsync(db => db.Schedules.IgnoreQueryFilters().CountAsync(s => s.Name == "grab")));
    }

    [Fact]
    public async Task ProjectToken_UserRemovedFromTheProject_StopsWorkingAtOnce()
    {
        await SeedMachineAsync("alpha-kept", "alpha");
        using var otto = await SignInAsync("otto");
        var token = await (await otto.PostAsJsonAsync("/api/v1/tokens", new { name = "alpha-automation", project = "alpha" })).ReadJsonAsync();
        using var automation = _factory.CreateClient();
        automation.DefaultRequestHeaders.Authorization = new("Bearer", token.GetProperty("token").GetString());
        Assert.Equal(HttpStatusCode.OK, (await automation.GetAsync("/api/v1/machines/alpha-kept")).StatusCode);

        (await _admin.DeleteAsync("/api/v1/projects/alpha/members/otto")).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.NotFound, (await automation.GetAsync("/api/v1/machines/alpha-kept")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await automation.PostAsJsonAsync("/api/v1/machines/alpha-kept/snapshots", new { name = "after-removal" })).StatusCode);
        Assert.DoesNotContain("alpha-kept", await automation.GetStringAsync("/api/v1/machines"));
    }

    [Fact]
    public async Task Evacuate_ByAProjectOperator_ForbiddenAndNothingMoves()
    {
        await SeedMachineAsync("alpha-stays", "alpha");
        using var otto = await SignInAsync("otto");

        var refused = await otto.PostAsJsonAsync($"/api/v1/hosts/{_agent.HostId}/evacuate", new { });

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(0, await InDbAsync(db => db.Operations.IgnoreQueryFilters().CountAsync(o => o.Kind == OperationKind.HostEvacuate)));
    }

    [Fact]
    public async Task Catalog_OnlyAdminsChangeIt_AndWhatIsInUseCannotBeDeleted()
    {
        using var otto = await SignInAsync("otto");

        Assert.Equal(HttpStatusCode.Forbidden, (await otto.PostAsJsonAsync("/api/v1/templates", new { name = "mine", image = "ringmaster/busybox:latest" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await otto.DeleteAsync("/api/v1/templates/busybox")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await otto.DeleteAsync("/api/v1/images/anything")).StatusCode);

        var builtIn = await _admin.DeleteAsync("/api/v1/templates/busybox");
        Assert.Equal(HttpStatusCode.Conflict, builtIn.StatusCode);
        Assert.Contains("built-in", (await builtIn.ReadJsonAsync()).GetProperty("detail").GetString());

        (await _admin.PostAsJsonAsync("/api/v1/templates", new { name = "pool-template", image = "ringmaster/busybox:latest" })).EnsureSuccessStatusCode();
        (await _admin.PostAsJsonAsync("/api/v1/scaling-groups", new { name = "uses-it", template = "pool-template", min = 0, max = 1, desired = 0 })).EnsureSuccessStatusCode();
        var inUse = await _admin.DeleteAsync("/api/v1/templates/pool-template");
        Assert.Equal(HttpStatusCode.Conflict, inUse.StatusCode);
        Assert.Contains("uses-it", (await inUse.ReadJsonAsync()).GetProperty("detail").GetString());

        Assert.Equal(HttpStatusCode.Accepted, (await _admin.DeleteAsync("/api/v1/scaling-groups/uses-it")).StatusCode);
        await HttpJson.EventuallyAsync(async () => (await _admin.GetAsync("/api/v1/scaling-groups/uses-it")).StatusCode, s => s == HttpStatusCode.NotFound, TimeSpan.FromSeconds(30), "the group to go");
        Assert.Equal(HttpStatusCode.OK, (await _admin.DeleteAsync("/api/v1/templates/pool-template")).StatusCode);
        Assert.DoesNotContain("pool-template", await _admin.GetStringAsync("/api/v1/templates"));
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.DeleteAsync("/api/v1/images/no-such-image")).StatusCode);
    }

    [Fact]
    public async Task Operations_WithoutAMachine_SeenOnlyInTheirProject()
    {
        using var bea = await SignInAsync("bea");
        using var otto = await SignInAsync("otto");
        var group = await (await bea.PostAsJsonAsync("/api/v1/scaling-groups", new { name = "beta-short", template = "busybox", min = 0, max = 1, desired = 0 })).ReadJsonAsync();

        var deletion = await (await bea.DeleteAsync("/api/v1/scaling-groups/beta-short")).ReadJsonAsync();
        var operationId = deletion.GetProperty("operation").GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.OK, (await bea.GetAsync($"/api/v1/operations/{operationId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otto.GetAsync($"/api/v1/operations/{operationId}")).StatusCode);
        Assert.DoesNotContain(operationId.ToString(), await otto.GetStringAsync("/api/v1/operations?limit=500"));
        Assert.Equal("beta", group.GetProperty("project").GetString());
    }
}
