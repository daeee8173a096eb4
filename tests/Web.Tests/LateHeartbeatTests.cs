using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Core.Services;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// A host taken for offline while its agent's connection stayed up (heartbeats late on a loaded
/// machine) comes back with its machines' real states: the server asks the agent for its whole
/// state again instead of leaving them Unknown.
/// </summary>
public sealed class LateHeartbeatTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new() { Embedded = true };
    private ApiClient _api = null!;

    public async Task InitializeAsync()
    {
        _api = new ApiClient(_factory.StartKestrel());
        await HttpJson.EventuallyAsync(() => _api.Http.GetAsync("/readyz"), r => r.IsSuccessStatusCode, TimeSpan.FromSeconds(30), "readiness");
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Heartbeat_AfterTheHostWasTakenForOffline_MachinesGetTheirRealStateBack()
    {
        var vm = await _api.CreateMachineAsync(new { name = "late-vm", template = "default", start = false }, TimeSpan.FromMinutes(2));
        Assert.Equal("Stopped", vm.GetProperty("state").GetString());
        var hostId = vm.GetProperty("hostId").GetGuid();

        // What the host monitor does when heartbeats are late; the agent's connection stays up.
        await _factory.Services.GetRequiredService<InventoryService>().MarkOfflineAsync(hostId, "no heartbeat for 10 s");
        Assert.Equal("Unknown", (await _api.MachineAsync("late-vm")).GetProperty("state").GetString());

        var back = await HttpJson.EventuallyAsync(() => _api.MachineAsync("late-vm"), m => m.GetProperty("state").GetString() != "Unknown", TimeSpan.FromSeconds(30), "the machine's state back");
        Assert.Equal("Stopped", back.GetProperty("state").GetString());
        Assert.True((await _api.HostAsync("test-host")).GetProperty("online").GetBoolean());
    }

    [Fact]
    public async Task Sweep_HostHeardFromAfterItWasChosen_StaysOnlineWithItsMachinesStates()
    {
        var vm = await _api.CreateMachineAsync(new { name = "spoke-vm", template = "default", start = false }, TimeSpan.FromMinutes(2));
        var hostId = vm.GetProperty("hostId").GetGuid();
        var chosen = DateTime.UtcNow;
        // The sweep chose the host as silent before this instant; its agent was heard from since (a heartbeat or a registration).
        await HttpJson.EventuallyAsync(() => _api.HostAsync("test-host"), h => h.GetProperty("lastSeenAt").GetDateTimeOffset() > chosen, TimeSpan.FromSeconds(30), "a heartbeat after the sweep's choice");

        await _factory.Services.GetRequiredService<InventoryService>().MarkOfflineAsync(hostId, "no heartbeat for 10 s", silentBefore: chosen);

        Assert.True((await _api.HostAsync("test-host")).GetProperty("online").GetBoolean());
        Assert.Equal("Stopped", (await _api.MachineAsync("spoke-vm")).GetProperty("state").GetString());
    }
}
