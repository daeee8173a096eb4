using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Access;
using Ringmaster.Web.Services;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>
/// Every change the dashboard makes shows in the audit log once, as an admin reads it through the API:
/// with the signed-in user (never "dashboard") and the target's name (never a raw id).
/// </summary>
public sealed class DashboardAuditTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private readonly Guid _host = Guid.NewGuid();
    private readonly Guid _backup = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        _ = _factory.Services;
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        db.Hosts.Add(new HostEntity { Id = _host, Name = "far-host", Online = false, RegisteredAt = DateTime.UtcNow });
        AccessFixture.AddMachine(db, "audited-vm", "default", _host);
        AccessFixture.AddMachine(db, "loose-vm", "default", null);
        await db.SaveChangesAsync();
        var machine = await db.Machines.SingleAsync(m => m.Name == "audited-vm");
        db.Backups.Add(new BackupEntity { Id = _backup, MachineId = machine.Id, MachineName = "audited-vm", HostId = _host, CreatedAt = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc) });
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>A dashboard circuit's services with <paramref name="user"/> signed in, as the circuit's authentication state carries them.</summary>
    private AsyncServiceScope SignedIn(string user)
    {
        var scope = _factory.Services.CreateAsyncScope();
        var claims = new List<Claim> { new(ClaimTypes.Name, user), new(AccessClaims.Role, nameof(AccessRole.Operator)), new(ClaimTypes.Role, nameof(AccessRole.Viewer)), new(ClaimTypes.Role, nameof(AccessRole.Operator)) };
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, "test", ClaimTypes.Name, ClaimTypes.Role));
        ((IHostEnvironmentAuthenticationStateProvider)scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>())
            .SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        return scope;
    }

    private async Task<Guid> IdOfAsync(string name)
    {
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        return (await db.Machines.SingleAsync(m => m.Name == name)).Id;
    }

    [Fact]
    public async Task EveryDashboardChange_AuditedOnceWithTheUserAndTheTargetsName()
    {
        var machine = await IdOfAsync("audited-vm");
        await using var scope = SignedIn("olga");
        var services = scope.ServiceProvider;
        var states = services.GetRequiredService<IMachineSavedStates>();
        var migrations = services.GetRequiredService<IMigrationActions>();
        var scaling = services.GetRequiredService<IScalingData>();
        var actions = services.GetRequiredService<IMachineActions>();
        var accepted = new List<ServiceResult<OperationAccepted>>
        {
            await states.TakeSnapshotAsync(machine, new TakeSnapshotRequest("s1", null, true)),
            await states.RevertAsync(machine, "s1"),
            await states.CloneAsync(machine, new CloneMachineRequest("audited-copy")),
            await states.BackupAsync(machine, new BackupMachineRequest()),
            await states.VerifyAsync(_backup, new VerifyBackupRequest(true)),
            await states.RestoreAsync(_backup, new RestoreBackupRequest()),
            await states.RestoreAsync(_backup, new RestoreBackupRequest(Name: "audited-restored")),
            await migrations.MigrateAsync(machine, "other-host", live: true),
            await migrations.EvacuateAsync(_host, 2),
            await actions.DeleteAsync(await IdOfAsync("loose-vm")),
        };
        var schedule = await states.CreateScheduleAsync(new CreateScheduleRequest("nightly", "snapshot", "0 3 * * *", Machine: "audited-vm"));
        Assert.Equal(ResultKind.Ok, schedule.Kind);
        Assert.True(await states.DeleteScheduleAsync(schedule.Value!.Id));
        var group = await scaling.CreateAsync(new CreateScalingGroupRequest("audited-group", "busybox", 0, 3, 0));
        Assert.Equal(ResultKind.Ok, group.Kind);
        Assert.Equal(ResultKind.Ok, (await scaling.UpdateAsync(group.Value!.Id, new UpdateScalingGroupRequest(Desired: 1))).Kind);
        var policy = await scaling.AddPolicyAsync(group.Value.Id, new CreateScalingPolicyRequest("mornings", "schedule", Cron: "0 8 * * 1-5", Target: "desired", Value: 1));
        Assert.Equal(ResultKind.Ok, policy.Kind);
        Assert.True(await scaling.DeletePolicyAsync(group.Value.Id, policy.Value!.Id));
        var script = await scaling.SaveScriptAsync(group.Value.Id, null, new SaveScalingScriptRequest("sizer", "scaleTo(1);", 30));
        Assert.Equal(ResultKind.Ok, script.Kind);
        Assert.True(await scaling.DeleteScriptAsync(group.Value.Id, script.Value!.Id));
        var deleted = await scaling.DeleteAsync(group.Value.Id);
        Assert.Equal(ResultKind.Ok, deleted.Kind);
        Assert.Equal("olga", deleted.Value!.Operation.User);

        Assert.Equal(ResultKind.Ok, accepted[^1].Kind);
        Assert.All(accepted.Where(r => r.Kind == ResultKind.Ok), r => Assert.Equal("olga", r.Value!.Operation.User));
        using var admin = _factory.CreateClient();
        var entries = (await (await admin.GetAsync("/api/v1/audit?limit=100")).ReadJsonAsync()).GetProperty("items").EnumerateArray()
            .Select(e => (Action: e.GetProperty("action").GetString()!, Target: e.GetProperty("target").GetString()!, User: e.GetProperty("user").GetString()!))
            .Where(e => e.User != "bootstrap").ToList();
        const string backup = "backup of audited-vm at 2025-01-02 03:04:05Z";
        (string, string)[] expected =
        [
            ("snapshot.create", "audited-vm/s1"), ("snapshot.revert", "audited-vm/s1"), ("machine.clone", "audited-vm"), ("machine.backup", "audited-vm"),
            ("backup.verify", backup), ("backup.restore", backup), ("machine.migrate", "audited-vm"), ("host.evacuate", "far-host"),
            ("machine.delete", "loose-vm"), ("schedule.create", "nightly"), ("schedule.delete", "nightly"), ("scaling.create", "audited-group"),
            ("scaling.update", "audited-group"), ("scaling.policy.create", "audited-group/mornings"), ("scaling.policy.delete", "audited-group/mornings"),
            ("scaling.script.save", "audited-group/sizer"), ("scaling.script.delete", "audited-group/sizer"), ("scaling.delete", "audited-group"),
        ];
        foreach (var (action, target) in expected)
        {
            Assert.Contains(entries, e => e.Action == action && e.Target == target);
        }

        Assert.Equal(2, entries.Count(e => e.Action == "backup.restore"));
        Assert.Equal(expected.Length + 1, entries.Count);
        Assert.All(entries, e => Assert.Equal("olga", e.User));
        Assert.DoesNotContain(entries, e => e.Target.Contains(machine.ToString(), StringComparison.Ordinal) || e.Target.Contains(_backup.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApiChange_ToAMachinesSnapshot_AuditedWithTheMachinesAndSnapshotsNames()
    {
        var machine = await IdOfAsync("audited-vm");
        using var admin = _factory.CreateClient();
        using var revert = await admin.PostAsync($"/api/v1/machines/{machine}/snapshots/no-such/revert", null);

        var entries = await HttpJson.EventuallyAsync(
            async () => (await (await admin.GetAsync("/api/v1/audit?limit=100")).ReadJsonAsync()).GetProperty("items").EnumerateArray().ToList(),
            e => e.Any(x => x.GetProperty("action").GetString()!.EndsWith("/revert", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the revert's audit entry");
        var entry = entries.Single(x => x.GetProperty("action").GetString()!.EndsWith("/revert", StringComparison.Ordinal));
        Assert.Equal("audited-vm/no-such", entry.GetProperty("target").GetString());
        Assert.Equal((int)revert.StatusCode, entry.GetProperty("status").GetInt32());
        Assert.Equal($"/api/v1/machines/{machine}/snapshots/no-such/revert", entry.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ConsoleResize_NotAuditedAsAChange()
    {
        using var admin = _factory.CreateClient();
        using var resize = await admin.PostAsJsonAsync("/api/v1/machines/audited-vm/console/size", new { columns = 120, rows = 40 });
        (await admin.PostAsJsonAsync("/api/v1/projects", new { name = "marker" })).EnsureSuccessStatusCode();

        var entries = await HttpJson.EventuallyAsync(
            async () => (await (await admin.GetAsync("/api/v1/audit?limit=100")).ReadJsonAsync()).GetProperty("items").EnumerateArray().ToList(),
            e => e.Any(x => x.GetProperty("target").GetString() == "marker"), TimeSpan.FromSeconds(10), "the project's audit entry");
        Assert.DoesNotContain(entries, e => e.GetProperty("action").GetString()!.Contains("console", StringComparison.Ordinal));
    }
}
