using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>What the inventory does with what agents report: adopt, mark lost, offline and back.</summary>
public sealed class ReconciliationTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private InventoryService _inventory = null!;
    private IDbContextFactory<RingmasterDbContext> _db = null!;

    public Task InitializeAsync()
    {
        _ = _factory.Server;
        _inventory = _factory.Services.GetRequiredService<InventoryService>();
        _db = _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static readonly HostCapabilities s_capabilities = new("Test CPU", 2, 4L << 30, 1L << 30, 2L << 30, [], false, null, false, null, false, false, "not present", new ContainerEngineInfo("podman", "4.3", "unix:///run/podman/podman.sock"), "0", "rv64", "Linux", "x64");

    private static GuestInfo Guest(Guid id, string name, MachineState state) =>
        new(id, name, MachineKind.Container, state, "ringmaster/busybox:latest", new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]), new Dictionary<string, string>());

    private async Task<Core.Domain.MachineEntity?> MachineAsync(Guid id)
    {
        await using var db = await _db.CreateDbContextAsync();
        return await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id);
    }

    [Fact]
    public async Task Register_UnknownRunningGuest_Adopted()
    {
        var hostId = Guid.NewGuid();
        var guestId = Guid.NewGuid();

        await _inventory.RegisterAsync(new AgentRegistration(hostId, "h1", "t", s_capabilities, [Guest(guestId, "stray", MachineState.Running)]));

        var machine = await MachineAsync(guestId);
        Assert.NotNull(machine);
        Assert.Equal("stray", machine.Name);
        Assert.Equal("adopted", machine.Template);
        Assert.Equal(MachineState.Running, machine.State);
        Assert.Equal(hostId, machine.HostId);
    }

    [Fact]
    public async Task Reported_ByAHostTheMachineLeft_ChangesNothing_ItsOwnHostsReportApplies()
    {
        var source = Guid.NewGuid();
        var target = Guid.NewGuid();
        var guestId = Guid.NewGuid();
        await _inventory.RegisterAsync(new AgentRegistration(source, "src", "t", s_capabilities, [Guest(guestId, "moving", MachineState.Running)]));
        await _inventory.RegisterAsync(new AgentRegistration(target, "dst", "t", s_capabilities, []));

        // The move: Ringmaster itself places the machine on the target.
        await _inventory.GuestChangedAsync(target, Guest(guestId, "moving", MachineState.Running));
        // Late news from the source's watch loop, listed before it let go.
        Assert.Null(await _inventory.GuestReportedAsync(source, Guest(guestId, "moving", MachineState.Paused)));

        var machine = await MachineAsync(guestId);
        Assert.Equal((target, MachineState.Running), (machine!.HostId!.Value, machine.State));
        await _inventory.GuestReportedAsync(target, Guest(guestId, "moving", MachineState.Stopped));
        Assert.Equal(MachineState.Stopped, (await MachineAsync(guestId))!.State);
    }

    [Fact]
    public async Task Register_AdoptedNameTaken_GetsSuffix()
    {
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        await _inventory.RegisterAsync(new AgentRegistration(Guid.NewGuid(), "h1", "t", s_capabilities, [Guest(first, "web", MachineState.Running)]));

        await _inventory.RegisterAsync(new AgentRegistration(Guid.NewGuid(), "h2", "t", s_capabilities, [Guest(second, "web", MachineState.Stopped)]));

        Assert.Equal("web", (await MachineAsync(first))!.Name);
        Assert.Equal("web-2", (await MachineAsync(second))!.Name);
    }

    [Fact]
    public async Task Register_GuestNoLongerReported_MarkedLostNotDropped()
    {
        var hostId = Guid.NewGuid();
        var kept = Guid.NewGuid();
        var gone = Guid.NewGuid();
        await _inventory.RegisterAsync(new AgentRegistration(hostId, "h1", "t", s_capabilities, [Guest(kept, "kept", MachineState.Running), Guest(gone, "gone", MachineState.Running)]));

        await _inventory.RegisterAsync(new AgentRegistration(hostId, "h1", "t", s_capabilities, [Guest(kept, "kept", MachineState.Stopped)]));

        Assert.Equal(MachineState.Stopped, (await MachineAsync(kept))!.State);
        var lost = await MachineAsync(gone);
        Assert.NotNull(lost);
        Assert.Equal(MachineState.Lost, lost.State);
        Assert.Contains("no longer reports", lost.Detail);
    }

    [Fact]
    public async Task Register_GuestACommandWasChanging_NotMarkedLost()
    {
        // The agent listed its guests while a create was under way; the create's outcome reached the
        // server before the registration did.
        var hostId = Guid.NewGuid();
        var created = Guid.NewGuid();
        await _inventory.RegisterAsync(new AgentRegistration(hostId, "h1", "t", s_capabilities, [Guest(created, "fresh", MachineState.Running)]));
        var underWay = new CommandUnderWay(Guid.NewGuid(), Guid.NewGuid(), AgentCommandKind.Create, created);
        var holdings = new AgentHoldings([underWay], [], null, []);

        await _inventory.RegisterAsync(new AgentRegistration(hostId, "h1", "t", s_capabilities, [], holdings));

        Assert.Equal(MachineState.Running, (await MachineAsync(created))!.State);
    }

    [Fact]
    public async Task Register_KindTheAgentCouldNotList_NotMarkedLost()
    {
        var hostId = Guid.NewGuid();
        var container = Guid.NewGuid();
        await _inventory.RegisterAsync(new AgentRegistration(hostId, "h1", "t", s_capabilities, [Guest(container, "web", MachineState.Running)]));

        await _inventory.RegisterAsync(new AgentRegistration(hostId, "h1", "t", s_capabilities, [], Unlisted: [MachineKind.Container]));

        Assert.Equal(MachineState.Running, (await MachineAsync(container))!.State);
    }

    [Fact]
    public async Task MarkOffline_MachinesUnknownWithLastKnownState_ThenBackOnReconnect()
    {
        var hostId = Guid.NewGuid();
        var guestId = Guid.NewGuid();
        await _inventory.RegisterAsync(new AgentRegistration(hostId, "h1", "t", s_capabilities, [Guest(guestId, "web", MachineState.Running)]));

        await _inventory.MarkOfflineAsync(hostId, "test");
        var offline = await MachineAsync(guestId);
        await _inventory.RegisterAsync(new AgentRegistration(hostId, "h1", "t", s_capabilities, [Guest(guestId, "web", MachineState.Running)]));
        var back = await MachineAsync(guestId);

        Assert.Equal(MachineState.Unknown, offline!.State);
        Assert.Equal(MachineState.Running, offline.LastKnownState);
        Assert.Equal(MachineState.Running, back!.State);
        Assert.Null(back.LastKnownState);
    }

    [Fact]
    public async Task Sweep_SilentHost_MarkedOffline()
    {
        var hostId = Guid.NewGuid();
        await _inventory.RegisterAsync(new AgentRegistration(hostId, "h1", "t", s_capabilities, []));
        await Task.Delay(50);

        var marked = await _inventory.SweepAsync(TimeSpan.FromMilliseconds(10));

        Assert.Equal(1, marked);
        await using var db = await _db.CreateDbContextAsync();
        Assert.False((await db.Hosts.SingleAsync(h => h.Id == hostId)).Online);
    }
}
