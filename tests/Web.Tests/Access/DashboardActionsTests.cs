using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Access;
using Ringmaster.Web.Services;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>The dashboard's machine actions run as the signed-in user: a Viewer is refused, and both outcomes are audited.</summary>
public sealed class DashboardActionsTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();

    public async Task InitializeAsync()
    {
        _ = _factory.Services;
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        AccessFixture.AddMachine(db, "ui-1", "default", null);
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private MachineActions As(string name, params string[] roles) => new(
        _factory.Services.GetRequiredService<MachineService>(),
        _factory.Services.GetRequiredService<MachineUpdateService>(),
        new DashboardCaller(new FakeAuthenticationState(name, roles), _factory.Services.GetRequiredService<AuditLog>(),
            _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>()));

    private async Task<Guid> MachineIdAsync()
    {
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        return (await db.Machines.SingleAsync(m => m.Name == "ui-1")).Id;
    }

    [Fact]
    public async Task Viewer_DeleteFromDashboard_RefusedAndAudited()
    {
        var result = await As("vera", "Viewer").DeleteAsync(await MachineIdAsync());

        Assert.Equal(ResultKind.Conflict, result.Kind);
        Assert.Contains("may only look", result.Message, StringComparison.Ordinal);
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        Assert.True(await db.Machines.AnyAsync(m => m.Name == "ui-1"));
        var entry = await db.Audit.SingleAsync(a => a.User == "vera");
        Assert.Equal("machine.delete", entry.Action);
        Assert.Equal("ui-1", entry.Target);
        Assert.Equal(403, entry.Status);
    }

    [Fact]
    public async Task Operator_DeleteFromDashboard_OperationNamesTheUserAndIsAudited()
    {
        var result = await As("otto", "Viewer", "Operator").DeleteAsync(await MachineIdAsync());

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.Equal("otto", result.Value!.Operation.User);
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        Assert.Equal(202, (await db.Audit.SingleAsync(a => a.User == "otto")).Status);
    }

    [Fact]
    public async Task Operator_EditFromDashboard_RenamesAndRelabels_AuditedWithTheUserAndTheOldName()
    {
        var id = await MachineIdAsync();
        var version = await VersionAsync(id);

        var result = await As("otto", "Viewer", "Operator").UpdateAsync(id, version,
            new MachinePatch("ui-renamed", ClearLabels: true, Labels: new Dictionary<string, string?> { ["tier"] = "web" }));

        Assert.Equal(ResultKind.Ok, result.Kind);
        Assert.Equal("ui-renamed", result.Value!.Machine.Name);
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        var machine = await db.Machines.SingleAsync(m => m.Id == id);
        Assert.Equal("ui-renamed", machine.Name);
        Assert.Equal(new Dictionary<string, string> { ["tier"] = "web" }, machine.Labels);
        var entry = await db.Audit.SingleAsync(a => a.User == "otto");
        Assert.Equal("machine.update", entry.Action);
        Assert.Equal("ui-1", entry.Target);
        Assert.Equal(202, entry.Status);
        Assert.Equal("name ui-renamed, labels", entry.Detail);
    }

    [Fact]
    public async Task EditFromDashboard_MachineChangedSinceTheFormWasFilled_RefusedAndNothingChanged()
    {
        var id = await MachineIdAsync();
        var version = await VersionAsync(id);
        var otto = As("otto", "Viewer", "Operator");
        Assert.Equal(ResultKind.Ok, (await otto.UpdateAsync(id, version, new MachinePatch(Labels: new Dictionary<string, string?> { ["first"] = "yes" }))).Kind);

        var stale = await otto.UpdateAsync(id, version, new MachinePatch("ui-late"));

        Assert.Equal(ResultKind.Conflict, stale.Kind);
        Assert.Contains("ui-1 changed since this form was filled in; nothing was saved", stale.Message, StringComparison.Ordinal);
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        Assert.Equal("ui-1", (await db.Machines.SingleAsync(m => m.Id == id)).Name);
        Assert.Equal(409, (await db.Audit.Where(a => a.User == "otto").OrderBy(a => a.Id).LastAsync()).Status);
    }

    private async Task<long> VersionAsync(Guid id)
    {
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        return (await db.Machines.SingleAsync(m => m.Id == id)).Version;
    }

    /// <summary>A signed-in dashboard user with the given roles (as the cookie's claims would carry them).</summary>
    private sealed class FakeAuthenticationState(string name, string[] roles) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync()
        {
            var claims = new List<Claim> { new(ClaimTypes.Name, name), new(AccessClaims.Role, roles[^1]) };
            claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r)));
            return Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity(claims, "test", ClaimTypes.Name, ClaimTypes.Role))));
        }
    }
}
