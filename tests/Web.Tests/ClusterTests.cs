using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// The web and two standalone agent processes on loopback, with real containers: hosts going away
/// and coming back, and the web itself restarting, lose nothing.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class ClusterTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("ringmaster-cluster-").FullName;
    private readonly string _token = "cluster-" + Guid.NewGuid().ToString("N");
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly int _port = RingmasterProcess.FreePort();
    private readonly List<RingmasterProcess> _processes = [];
    private ApiClient _api = null!;

    private string HostA => "agent-a-" + _suffix;
    private string HostB => "agent-b-" + _suffix;

    public Task InitializeAsync()
    {
        _api = ApiClient.For(_port);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        await Podman.RemoveAsync($"web-a-{_suffix}");
        await Podman.RemoveAsync($"web-b-{_suffix}");
        Directory.Delete(_root, recursive: true);
    }

    private RingmasterProcess Track(RingmasterProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private RingmasterProcess StartWeb() => Track(RingmasterProcess.StartWeb(_port, Path.Combine(_root, "web"), _token));

    private RingmasterProcess StartAgent(string name) => Track(RingmasterProcess.StartAgent(_port, Path.Combine(_root, name), _token, name));

    private async Task<JsonElement> WaitForAsync(string what, Func<Task<JsonElement>> probe, Func<JsonElement, bool> condition, double seconds)
    {
        try
        {
            return await HttpJson.EventuallyAsync(async () =>
            {
                try
                {
                    return await probe();
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
                {
                    return default;
                }
            }, e => e.ValueKind != JsonValueKind.Undefined && condition(e), TimeSpan.FromSeconds(seconds), what);
        }
        catch (TimeoutException ex)
        {
            // What the processes said is what explains a timeout: the end of each one's log.
            var logs = string.Join("\n", _processes.Select((p, i) => $"--- process {i} ---\n" + string.Join("\n", p.Output.Split('\n').TakeLast(80))));
            throw new TimeoutException(ex.Message + "\n" + logs, ex);
        }
    }

    private Task<JsonElement> HostOnlineAsync(string name, bool online, double seconds) =>
        WaitForAsync($"host {name} {(online ? "online" : "offline")}", () => _api.HostAsync(name), h => h.GetProperty("online").GetBoolean() == online, seconds);

    private Task<JsonElement> MachineStateAsync(string name, string state, double seconds) =>
        WaitForAsync($"machine {name} {state}", () => _api.MachineAsync(name), m => m.GetProperty("state").GetString() == state, seconds);

    [Fact]
    public async Task Cluster_AgentKilledThenRestarted_WebRestarted_NothingLost()
    {
        var web = StartWeb();
        var agentA = StartAgent(HostA);
        StartAgent(HostB);
        await HostOnlineAsync(HostA, true, 60);
        await HostOnlineAsync(HostB, true, 60);

        var onA = await _api.CreateMachineAsync(new { name = $"web-a-{_suffix}", template = "busybox", host = HostA }, TimeSpan.FromMinutes(3));
        var onB = await _api.CreateMachineAsync(new { name = $"web-b-{_suffix}", template = "busybox", host = HostB }, TimeSpan.FromMinutes(3));
        Assert.Equal(HostA, onA.GetProperty("host").GetString());
        Assert.Equal(HostB, onB.GetProperty("host").GetString());
        Assert.Equal("Running", onA.GetProperty("state").GetString());

        // kill -9 agent A: its host is offline and its machine Unknown within 15 s; B is untouched.
        agentA.KillHard();
        var killed = Stopwatch.StartNew();
        await HostOnlineAsync(HostA, false, 15);
        var unknown = await MachineStateAsync($"web-a-{_suffix}", "Unknown", 15 - killed.Elapsed.TotalSeconds);
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(15), $"took {killed.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal("Running", unknown.GetProperty("lastKnownState").GetString());
        Assert.Equal("Running", (await _api.MachineAsync($"web-b-{_suffix}")).GetProperty("state").GetString());

        // Restart agent A (same data folder, so the same host): reconciled, the container kept running.
        StartAgent(HostA);
        await HostOnlineAsync(HostA, true, 60);
        var back = await MachineStateAsync($"web-a-{_suffix}", "Running", 30);
        Assert.Equal(onA.GetProperty("id").GetGuid(), back.GetProperty("id").GetGuid());
        var machines = await _api.GetAsync("/api/v1/machines");
        Assert.Equal(2, machines.GetProperty("items").GetArrayLength());

        // Restart the web hard: inventory and operations are intact, and the agents dial back in.
        var operationsBefore = (await _api.GetAsync("/api/v1/operations")).GetProperty("items").EnumerateArray()
            .Select(o => (o.GetProperty("id").GetGuid(), o.GetProperty("state").GetString())).OrderBy(o => o.Item1).ToList();
        web.KillHard();
        StartWeb();
        await HostOnlineAsync(HostA, true, 60);
        await HostOnlineAsync(HostB, true, 60);
        var operationsAfter = (await _api.GetAsync("/api/v1/operations")).GetProperty("items").EnumerateArray()
            .Select(o => (o.GetProperty("id").GetGuid(), o.GetProperty("state").GetString())).OrderBy(o => o.Item1).ToList();
        Assert.Equal(operationsBefore, operationsAfter);
        Assert.Equal(2, operationsAfter.Count(o => o.Item2 == "Succeeded"));
        await MachineStateAsync($"web-a-{_suffix}", "Running", 30);
        await MachineStateAsync($"web-b-{_suffix}", "Running", 30);
        Assert.Equal(2, (await _api.GetAsync("/api/v1/machines")).GetProperty("items").GetArrayLength());

        // And the machines still answer to commands after all that.
        var stop = await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/web-a-{_suffix}/stop");
        await _api.WaitSucceededAsync(stop, TimeSpan.FromMinutes(1));
        Assert.Equal("Stopped", (await _api.MachineAsync($"web-a-{_suffix}")).GetProperty("state").GetString());
        foreach (var name in new[] { $"web-a-{_suffix}", $"web-b-{_suffix}" })
        {
            var delete = await _api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{name}");
            await _api.WaitSucceededAsync(delete, TimeSpan.FromMinutes(1));
        }

        Assert.Equal(0, (await _api.GetAsync("/api/v1/machines")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Agent_WrongJoinToken_ExitsWithClearError()
    {
        StartWeb();
        await WaitForAsync("the web to answer", async () => await _api.IsUpAsync() ? await _api.GetAsync("/healthz") : default, _ => true, 60);

        var agent = Track(RingmasterProcess.StartAgent(_port, Path.Combine(_root, "intruder"), "not-the-token", "intruder-" + _suffix));

        Assert.True(await agent.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the agent should give up on a refused token");
        Assert.Equal(2, agent.ExitCode);
        Assert.Contains("refused this agent's join token", agent.Output);
        Assert.Empty((await _api.GetAsync("/api/v1/hosts")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task AgentKilledHard_HostOfflineAlertSentToTheWebhookOnce_Signed_ThenResolvedWhenItIsBack()
    {
        await using var receiver = new WebhookReceiver("cluster-webhook-secret-" + _suffix);
        StartWeb();
        var agent = StartAgent(HostA);
        await HostOnlineAsync(HostA, true, 60);
        using (var created = await _api.Http.PostAsJsonAsync("/api/v1/webhooks", new { name = "pager-" + _suffix, url = receiver.Url, secret = receiver.Secret }))
        {
            Assert.True(created.StatusCode == System.Net.HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }

        agent.KillHard();

        var opened = await receiver.NextAsync(r => r.Event == "alert.opened", TimeSpan.FromSeconds(60));
        Assert.True(opened.SignatureValid, $"signature {opened.Signature} does not match the body");
        var alert = opened.Json.GetProperty("alert");
        Assert.Equal("host.offline", alert.GetProperty("rule").GetString());
        Assert.Equal("critical", alert.GetProperty("severity").GetString());
        Assert.Equal(HostA, alert.GetProperty("subject").GetString());
        var open = await _api.GetAsync("/api/v1/alerts");
        Assert.Equal(alert.GetProperty("id").GetGuid(), Assert.Single(open.EnumerateArray()).GetProperty("id").GetGuid());

        // The same data folder brings the same host back: its alert is resolved, and it was sent once.
        StartAgent(HostA);
        await HostOnlineAsync(HostA, true, 60);
        var resolved = await receiver.NextAsync(r => r.Event == "alert.resolved", TimeSpan.FromSeconds(60));
        Assert.True(resolved.SignatureValid);
        Assert.Equal(alert.GetProperty("id").GetGuid(), resolved.Json.GetProperty("alert").GetProperty("id").GetGuid());
        Assert.Single(receiver.All, r => r.Event == "alert.opened");
        Assert.Empty((await _api.GetAsync("/api/v1/alerts")).EnumerateArray());
    }
}
