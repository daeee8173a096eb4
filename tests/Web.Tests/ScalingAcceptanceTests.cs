using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Scaling groups with real members: busybox containers on Podman and emulator VMs, through the
/// embedded agent. Group names carry a random suffix because container names are the host's.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class ScalingAcceptanceTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new() { Embedded = true };
    private readonly FakeClock _clock = new(new DateTimeOffset(2026, 11, 24, 9, 59, 30, TimeSpan.Zero));
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly List<string> _groups = [];
    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>? _clocked;
    private ApiClient _api = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(bool fakeClock = false)
    {
        HttpClient client;
        if (fakeClock)
        {
            _clocked = _factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddKeyedSingleton<TimeProvider>("scaling", _clock)));
            _clocked.UseKestrel(0);
            _clocked.StartServer();
            client = _clocked.CreateClient();
        }
        else
        {
            client = _factory.StartKestrel();
        }

        _api = new ApiClient(client);
        await HttpJson.EventuallyAsync(() => client.GetAsync("/readyz"), r => r.IsSuccessStatusCode, TimeSpan.FromSeconds(60), "readiness");
    }

    public async Task DisposeAsync()
    {
        foreach (var group in _groups)
        {
            try
            {
                var response = await _api.Http.DeleteAsync($"/api/v1/scaling-groups/{group}");
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var id = (await response.ReadJsonAsync()).GetProperty("operation").GetProperty("id").GetGuid();
                    await HttpJson.EventuallyAsync(() => _api.GetAsync($"/api/v1/operations/{id}"),
                        o => o.GetProperty("state").GetString() is "Succeeded" or "Failed", TimeSpan.FromMinutes(3), "the group's delete");
                }
            }
            catch (Exception ex) when (ex is TimeoutException or HttpRequestException)
            {
            }
        }

        if (_clocked is not null)
        {
            await _clocked.DisposeAsync();
        }

        await _factory.DisposeAsync();
        var left = await Podman.ContainerNamesAsync();
        foreach (var name in left.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(n => n.Contains(_suffix, StringComparison.Ordinal)))
        {
            await Podman.RemoveAsync(name);
        }
    }

    private async Task<string> CreateGroupAsync(string prefix, object settings)
    {
        var name = $"{prefix}-{_suffix}";
        var body = JsonSerializer.SerializeToElement(settings, RingmasterFactory.Json);
        var merged = body.EnumerateObject().ToDictionary(p => p.Name, p => (object)p.Value);
        merged["name"] = name;
        var response = await _api.Http.PostAsJsonAsync("/api/v1/scaling-groups", merged);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        _groups.Add(name);
        return name;
    }

    private Task<JsonElement> GroupAsync(string name) => _api.GetAsync($"/api/v1/scaling-groups/{name}");

    private Task<JsonElement> WaitRunningAsync(string name, int count, TimeSpan timeout) =>
        HttpJson.EventuallyAsync(() => GroupAsync(name),
            g => g.GetProperty("desired").GetInt32() == count && g.GetProperty("running").GetInt32() == count && g.GetProperty("members").GetArrayLength() == count && g.GetProperty("status").GetString() == "stable",
            timeout, $"{count} running member(s) of {name}");

    private async Task<List<JsonElement>> MembersAsync(JsonElement group)
    {
        var members = new List<JsonElement>();
        foreach (var id in group.GetProperty("members").EnumerateArray())
        {
            var response = await _api.Http.GetAsync($"/api/v1/machines/{id.GetString()}");
            if (response.IsSuccessStatusCode)
            {
                members.Add(await response.ReadJsonAsync());
            }
        }

        return members;
    }

    private async Task TypeAsync(string machine, string text)
    {
        await using var console = await _api.OpenConsoleAsync(machine);
        await Task.Delay(300);
        await console.TypeAsync(text);
        await console.ReadUntilAsync(seen => seen.Contains("typed-" + machine, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task CpuRule_LoadInMembers_GrowsToMax_IdleShrinksToMinAfterCooldown()
    {
        await StartAsync();
        var name = await CreateGroupAsync("cpu", new { template = "busybox", min = 1, max = 3, desired = 1, cooldownSeconds = 10 });
        await _api.Http.PostAsJsonAsync($"/api/v1/scaling-groups/{name}/policies", new { name = "busy", kind = "metric", metric = "cpu", @operator = "above", threshold = 10, durationSeconds = 4, adjustment = 1 });
        await _api.Http.PostAsJsonAsync($"/api/v1/scaling-groups/{name}/policies", new { name = "idle", kind = "metric", metric = "cpu", @operator = "below", threshold = 3, durationSeconds = 4, adjustment = -1 });
        await WaitRunningAsync(name, 1, TimeSpan.FromMinutes(2));

        // A busy loop typed into every member's console, new members included, until the group is at its maximum.
        var loaded = new HashSet<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        JsonElement group;
        do
        {
            group = await GroupAsync(name);
            foreach (var member in (await MembersAsync(group)).Where(m => m.GetProperty("state").GetString() == "Running"))
            {
                var machine = member.GetProperty("name").GetString()!;
                if (loaded.Add(machine))
                {
                    await TypeAsync(machine, $"while :; do :; done & echo $! > /tmp/load; echo typed-{machine}\n");
                }
            }

            await Task.Delay(1000);
        }
        while (!(group.GetProperty("desired").GetInt32() == 3 && group.GetProperty("running").GetInt32() == 3) && DateTime.UtcNow < deadline);

        Assert.Equal(3, group.GetProperty("desired").GetInt32());
        Assert.Equal(3, group.GetProperty("running").GetInt32());

        foreach (var member in await MembersAsync(group))
        {
            var machine = member.GetProperty("name").GetString()!;
            await TypeAsync(machine, $"kill $(cat /tmp/load); echo typed-{machine}\n");
        }

        group = await WaitRunningAsync(name, 1, TimeSpan.FromMinutes(3));
        var history = (await _api.GetAsync($"/api/v1/scaling-groups/{name}/history?limit=100")).EnumerateArray().ToList();
        var adds = history.Where(d => d.GetProperty("sourceName").GetString() == "busy").ToList();
        var removes = history.Where(d => d.GetProperty("sourceName").GetString() == "idle").ToList();
        Assert.Equal(2, adds.Count);
        Assert.Equal(2, removes.Count);
        Assert.All(adds, d => Assert.Contains("→ add 1", d.GetProperty("reason").GetString()));
        Assert.All(adds, d => Assert.True(d.GetProperty("inputs").GetProperty("value").GetDouble() > 10));
        // The first removal waits out the cooldown after the last addition (times as the history recorded them).
        var lastAdd = adds.Max(d => d.GetProperty("at").GetDateTimeOffset());
        var firstRemove = removes.Min(d => d.GetProperty("at").GetDateTimeOffset());
        Assert.True(firstRemove - lastAdd >= TimeSpan.FromSeconds(10), $"removed at {firstRemove:O}, last added at {lastAdd:O}");
    }

    [Fact]
    public async Task Schedule_AtTheGivenMinute_DesiredChangesAndMembersFollow()
    {
        await StartAsync(fakeClock: true);
        var name = await CreateGroupAsync("sched", new { template = "busybox", min = 0, max = 3, desired = 0 });
        var policy = await _api.Http.PostAsJsonAsync($"/api/v1/scaling-groups/{name}/policies", new { name = "ten", kind = "schedule", cron = "0 10 * * *", target = "desired", value = 2 });
        Assert.Equal(HttpStatusCode.Created, policy.StatusCode);
        await WaitRunningAsync(name, 0, TimeSpan.FromSeconds(20));

        _clock.Set(new DateTimeOffset(2026, 11, 24, 10, 0, 1, TimeSpan.Zero));

        var group = await WaitRunningAsync(name, 2, TimeSpan.FromMinutes(2));
        var decision = group.GetProperty("history").EnumerateArray().First(d => d.GetProperty("source").GetString() == "schedule");
        Assert.Equal(0, decision.GetProperty("oldDesired").GetInt32());
        Assert.Equal(2, decision.GetProperty("newDesired").GetInt32());
        Assert.Contains("10:00 UTC", decision.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Script_LoopsForever_StoppedAtTimeLimit_GroupKeepsWorking()
    {
        await StartAsync();
        var name = await CreateGroupAsync("loop", new { template = "busybox", min = 0, max = 3, desired = 1 });
        var saved = await _api.Http.PostAsJsonAsync($"/api/v1/scaling-groups/{name}/scripts", new { name = "spin", source = "log('start'); while (true) {}", intervalSeconds = 1 });
        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);

        var group = await HttpJson.EventuallyAsync(() => GroupAsync(name), g => g.GetProperty("lastError").GetString() is not null, TimeSpan.FromSeconds(30), "the script's error on the group");
        Assert.Contains("Script 'spin' v1", group.GetProperty("lastError").GetString());
        Assert.Contains("time limit of 1 s", group.GetProperty("lastError").GetString());
        var scripts = await _api.GetAsync($"/api/v1/scaling-groups/{name}/scripts");
        Assert.Contains("time limit", scripts[0].GetProperty("lastError").GetString());
        var history = await _api.GetAsync($"/api/v1/scaling-groups/{name}/history");
        Assert.Contains(history.EnumerateArray(), d => d.GetProperty("source").GetString() == "script" && d.GetProperty("scriptVersion").GetInt32() == 1 && d.GetProperty("reason").GetString()!.Contains("time limit", StringComparison.Ordinal));

        var patched = await _api.Http.PatchAsJsonAsync($"/api/v1/scaling-groups/{name}", new { desired = 2 });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        await WaitRunningAsync(name, 2, TimeSpan.FromMinutes(2));

        // The round that runs the script to its limit saw the new member before it started; the member
        // came up meanwhile, so none was taken for failed and replaced.
        history = await _api.GetAsync($"/api/v1/scaling-groups/{name}/history");
        Assert.DoesNotContain(history.EnumerateArray(), d => d.GetProperty("reason").GetString()!.StartsWith("Replacing member", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Member_KilledOutsideRingmaster_Replaced()
    {
        await StartAsync();
        var name = await CreateGroupAsync("heal", new { template = "busybox", min = 2, max = 2, desired = 2 });
        var group = await WaitRunningAsync(name, 2, TimeSpan.FromMinutes(2));
        var victim = (await MembersAsync(group))[0];
        var victimName = victim.GetProperty("name").GetString()!;

        await Podman.RemoveAsync(victimName);

        group = await HttpJson.EventuallyAsync(() => GroupAsync(name),
            g => g.GetProperty("running").GetInt32() == 2 && g.GetProperty("members").GetArrayLength() == 2
                 && g.GetProperty("members").EnumerateArray().All(m => m.GetString() != victim.GetProperty("id").GetString()),
            TimeSpan.FromMinutes(2), "the killed member to be replaced");
        Assert.Contains(group.GetProperty("history").EnumerateArray(), d => d.GetProperty("reason").GetString()!.Contains($"Replacing member {victimName}", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await _api.Http.GetAsync($"/api/v1/machines/{victimName}")).StatusCode);
        var members = await MembersAsync(group);
        Assert.All(members, m => Assert.Equal(group.GetProperty("id").GetString(), m.GetProperty("labels").GetProperty("ringmaster.io/scaling-group").GetString()));
    }

    [Fact]
    public async Task VmGroup_DefaultTemplate_ScalesOutToDesiredAndDeletes()
    {
        await StartAsync();
        var name = await CreateGroupAsync("vms", new { template = "default", min = 0, max = 3, desired = 0 });
        await _api.Http.PatchAsJsonAsync($"/api/v1/scaling-groups/{name}", new { desired = 2 });

        var group = await WaitRunningAsync(name, 2, TimeSpan.FromMinutes(3));

        var members = await MembersAsync(group);
        Assert.All(members, m => Assert.Equal("vm", m.GetProperty("kind").GetString()));
        await using (var console = await _api.OpenConsoleAsync(members[0].GetProperty("name").GetString()!))
        {
            await console.ReadUntilAsync(seen => seen.Contains("Linux version", StringComparison.Ordinal), TimeSpan.FromMinutes(2));
            Assert.Contains("Linux version", console.Seen);
        }

        var deleted = await _api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/scaling-groups/{name}");
        await _api.WaitSucceededAsync(deleted, TimeSpan.FromMinutes(2));
        _groups.Remove(name);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.Http.GetAsync($"/api/v1/scaling-groups/{name}")).StatusCode);
        foreach (var member in members)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await _api.Http.GetAsync($"/api/v1/machines/{member.GetProperty("id").GetString()}")).StatusCode);
        }
    }

    [Fact]
    public async Task Member_HostOffline_ReplacedOnAnOnlineHost()
    {
        await StartAsync();
        var name = await CreateGroupAsync("away", new { template = "busybox", min = 0, max = 3, desired = 0 });
        var groupId = (await GroupAsync(name)).GetProperty("id").GetString()!;
        var inventory = _factory.Services.GetRequiredService<InventoryService>();
        var farHost = Guid.NewGuid();
        var stranded = Guid.NewGuid();
        var capabilities = new HostCapabilities("Test CPU", 2, 4L << 30, 1L << 30, 2L << 30, [], false, null, false, null, false, false, "not present", new ContainerEngineInfo("podman", "4.3", "unix:///run/podman/podman.sock"), "0", "rv64", "Linux", "x64");
        var guest = new GuestInfo(stranded, $"{name}-far", MachineKind.Container, MachineState.Running, "ringmaster/busybox:latest",
            new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]), new Dictionary<string, string> { ["ringmaster.io/scaling-group"] = groupId });
        await inventory.RegisterAsync(new AgentRegistration(farHost, $"far-{_suffix}", "test", capabilities, [guest]));
        await inventory.MarkOfflineAsync(farHost, "the test took it away");

        (await _api.Http.PatchAsJsonAsync($"/api/v1/scaling-groups/{name}", new { desired = 1 })).EnsureSuccessStatusCode();

        var group = await HttpJson.EventuallyAsync(() => GroupAsync(name),
            g => g.GetProperty("running").GetInt32() == 1 && g.GetProperty("members").GetArrayLength() == 2 && g.GetProperty("status").GetString() == "stable",
            TimeSpan.FromMinutes(2), "a member on an online host to replace the stranded one");
        var members = await MembersAsync(group);
        Assert.Equal("Unknown", members.Single(m => m.GetProperty("id").GetGuid() == stranded).GetProperty("state").GetString());
        var replacement = members.Single(m => m.GetProperty("id").GetGuid() != stranded);
        Assert.Equal("test-host", replacement.GetProperty("host").GetString());
        Assert.Equal("Running", replacement.GetProperty("state").GetString());

        // Its stranded member cannot be deleted while its host is away: the delete fails saying so, and the group stays.
        var delete = await _api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/scaling-groups/{name}");
        var failed = await HttpJson.EventuallyAsync(() => _api.GetAsync($"/api/v1/operations/{delete}"),
            o => o.GetProperty("state").GetString() is "Succeeded" or "Failed", TimeSpan.FromMinutes(2), "the group's delete to end");
        Assert.Equal("Failed", failed.GetProperty("state").GetString());
        Assert.Contains("cannot be deleted", failed.GetProperty("error").GetString());
        Assert.Contains($"{name}-far", failed.GetProperty("error").GetString());
        var kept = await GroupAsync(name);
        Assert.NotEqual("deleting", kept.GetProperty("status").GetString());
        Assert.Contains(stranded, kept.GetProperty("members").EnumerateArray().Select(m => m.GetGuid()));
        _groups.Remove(name);
    }
}
