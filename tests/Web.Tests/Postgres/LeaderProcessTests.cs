using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Postgres;

/// <summary>
/// Two web processes on one PostgreSQL database, as two nodes behind a proxy: exactly one leads the
/// background work; kill -9 of the leader and the other leads within 15 s; a schedule due while both
/// run makes one snapshot per due time, before the handover and after it; an agent given both
/// nodes' addresses dials the second when the first dies; an operation the dead leader ran is
/// settled by the new one; a dashboard cookie and antiforgery token made by one node hold on the other;
/// with a Redis backplane, a machine whose agent is on one node is commanded, watched and typed in through the other,
/// and a VM moves live between hosts whose agents are on different nodes.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class LeaderProcessTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("ringmaster-leader-").FullName;
    private readonly string _token = "leader-" + Guid.NewGuid().ToString("N");
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly string _connectionString = PostgresServer.Shared.NewConnectionString("leader");
    private readonly List<RingmasterProcess> _processes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        PostgresServer.Release(_connectionString);
        Directory.Delete(_root, recursive: true);
    }

    private (RingmasterProcess Process, ApiClient Api) StartWeb(string node, int port, string? redis)
    {
        var process = RingmasterProcess.StartWeb(port, Path.Combine(_root, node), _token, settings: new Dictionary<string, string?>
        {
            ["Ringmaster__ConnectionString"] = _connectionString,
            ["Ringmaster__Redis"] = redis,
            ["Leadership__Node"] = node,
            ["Leadership__PollSeconds"] = "1",
            // Each node a machine of its own: no key folder shared through one home directory.
            ["HOME"] = Directory.CreateDirectory(Path.Combine(_root, node + "-home")).FullName,
        });
        _processes.Add(process);
        return (process, ApiClient.For(port));
    }

    private async Task<JsonElement> WaitForAsync(string what, Func<Task<JsonElement>> probe, Func<JsonElement, bool> condition, TimeSpan timeout)
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
            }, e => e.ValueKind != JsonValueKind.Undefined && condition(e), timeout, what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + "\n" + Logs(), ex);
        }
    }

    /// <summary>The last lines each process wrote.</summary>
    private string Logs() => string.Join("\n", _processes.Select((p, i) => $"--- process {i} ---\n" + string.Join("\n", p.Output.Split('\n').TakeLast(60))));

    private Task<JsonElement> StatusAsync(ApiClient api, bool leader, TimeSpan timeout) =>
        WaitForAsync($"{api.Http.BaseAddress} to answer with leader={leader}", () => api.GetAsync("/api/v1/status"), s => s.GetProperty("leader").GetBoolean() == leader, timeout);

    /// <summary>Node a (started first, on a new database) leads, node b follows; both answer.</summary>
    private async Task<(RingmasterProcess A, ApiClient ApiA, ApiClient ApiB, int PortA, int PortB)> StartBothAsync(string? redis = null)
    {
        int portA = RingmasterProcess.FreePort(), portB = RingmasterProcess.FreePort();
        var (a, apiA) = StartWeb("web-a", portA, redis);
        var statusA = await StatusAsync(apiA, leader: true, TimeSpan.FromSeconds(90));
        var (_, apiB) = StartWeb("web-b", portB, redis);
        var statusB = await StatusAsync(apiB, leader: false, TimeSpan.FromSeconds(90));
        Assert.Equal("web-a", statusA.GetProperty("node").GetString());
        Assert.Equal("web-b", statusB.GetProperty("node").GetString());
        Assert.Equal("postgresql", statusB.GetProperty("database").GetString());
        // Exactly one leads, seen from both once both run.
        Assert.True((await apiA.GetAsync("/api/v1/status")).GetProperty("leader").GetBoolean());
        Assert.False((await apiB.GetAsync("/api/v1/status")).GetProperty("leader").GetBoolean());
        return (a, apiA, apiB, portA, portB);
    }

    [Fact]
    public async Task TwoWebNodes_OneLeads_LeaderKilled_TheOtherLeadsWithin15Seconds()
    {
        var (a, _, apiB, _, _) = await StartBothAsync();

        a.KillHard();
        var killed = Stopwatch.StartNew();
        var status = await StatusAsync(apiB, leader: true, TimeSpan.FromSeconds(15));
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(15), $"took {killed.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal("web-b", status.GetProperty("node").GetString());
        Assert.True(status.GetProperty("leaderSince").GetDateTimeOffset() > DateTimeOffset.UtcNow - TimeSpan.FromSeconds(30));
        Assert.Contains("Node web-b now leads", _processes[1].Output);
    }

    [Fact]
    public async Task ScheduleDueWhileTwoNodesRun_OneSnapshotPerDueTime_BeforeAndAfterTheLeaderIsKilled()
    {
        var (a, apiA, apiB, portA, portB) = await StartBothAsync();
        await using var proxy = new FailoverProxy(portA, portB);
        var host = "leader-host-" + _suffix;
        var machine = "every-minute-" + _suffix;
        _processes.Add(RingmasterProcess.StartAgent(proxy.Port, Path.Combine(_root, "agent"), _token, host));
        await WaitForAsync($"host {host} online on node a", () => apiA.HostAsync(host), h => h.GetProperty("online").GetBoolean(), TimeSpan.FromSeconds(90));
        await apiA.CreateMachineAsync(new { name = machine, template = "default", start = false, host }, TimeSpan.FromMinutes(3));
        using (var created = await apiA.Http.PostAsJsonAsync("/api/v1/schedules", new { name = "minutely", job = "snapshot", cron = "* * * * *", machine }))
        {
            Assert.True(created.StatusCode == System.Net.HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }

        // A due time passes with both nodes up: one scheduled snapshot, made through the leader.
        await WaitForAsync("a scheduled snapshot to succeed", () => apiA.GetAsync($"/api/v1/operations?machine={machine}"),
            o => Scheduled(o).Any(s => s.State == "Succeeded"), TimeSpan.FromSeconds(150));

        a.KillHard();
        var killed = DateTimeOffset.UtcNow;
        await StatusAsync(apiB, leader: true, TimeSpan.FromSeconds(15));
        // The agent's connection went with node a; through the proxy it dials node b.
        await WaitForAsync($"host {host} online on node b", () => apiB.HostAsync(host), h => h.GetProperty("online").GetBoolean(), TimeSpan.FromSeconds(60));
        var operations = await WaitForAsync("a scheduled snapshot started by node b to succeed", () => apiB.GetAsync($"/api/v1/operations?machine={machine}"),
            o => Scheduled(o).Any(s => s.State == "Succeeded" && s.CreatedAt > killed), TimeSpan.FromSeconds(150));

        // One operation and one snapshot per due time (per minute), on either side of the handover.
        var scheduled = Scheduled(operations);
        var perMinute = scheduled.GroupBy(s => Minute(s.CreatedAt)).ToList();
        Assert.True(perMinute.Count >= 2, string.Join(", ", scheduled));
        Assert.All(perMinute, g => Assert.True(g.Count() == 1, $"{g.Count()} scheduled snapshots at {g.Key}: {string.Join(", ", scheduled)}"));
        var snapshots = (await apiB.GetAsync($"/api/v1/machines/{machine}/snapshots")).EnumerateArray().SelectMany(Flatten)
            .Select(s => s.GetProperty("name").GetString()!).Where(n => n.StartsWith("minutely-", StringComparison.Ordinal)).ToList();
        var succeeded = scheduled.Count(s => s.State == "Succeeded");
        Assert.True(snapshots.Count >= succeeded, $"{succeeded} succeeded, snapshots: {string.Join(", ", snapshots)}");
        // The snapshot's name carries its run time (minutely-yyyyMMdd-HHmmss): one per minute.
        Assert.All(snapshots.GroupBy(n => n["minutely-".Length..^2]), g => Assert.True(g.Count() == 1, $"two snapshots in one minute: {string.Join(", ", g)}"));
    }

    [Fact]
    public async Task AgentWithTwoServers_FirstKilled_ItDialsTheSecond_AndItsHostIsOnlineAndServedThere()
    {
        var (a, apiA, apiB, portA, portB) = await StartBothAsync();
        var host = "two-servers-" + _suffix;
        var agent = RingmasterProcess.StartAgentWith(
            ["--server", $"http://127.0.0.1:{portA},http://127.0.0.1:{portB}", "--data", Path.Combine(_root, "agent"), "--name", host],
            new Dictionary<string, string?> { ["RINGMASTER_JOIN_TOKEN"] = _token });
        _processes.Add(agent);
        await WaitForAsync($"host {host} online on node a", () => apiA.HostAsync(host), h => h.GetProperty("online").GetBoolean(), TimeSpan.FromSeconds(90));

        a.KillHard();
        var killed = DateTimeOffset.UtcNow;
        // Online from a heartbeat node b took after node a died, and node b can command the host.
        await WaitForAsync($"host {host} online on node b", () => apiB.HostAsync(host),
            h => h.GetProperty("online").GetBoolean() && h.GetProperty("lastSeenAt").GetDateTimeOffset() > killed, TimeSpan.FromSeconds(60));
        var machine = await apiB.CreateMachineAsync(new { name = "served-by-b-" + _suffix, template = "default", start = false, host }, TimeSpan.FromMinutes(3));
        Assert.Equal(host, machine.GetProperty("host").GetString());
        Assert.Contains($"dialling http://127.0.0.1:{portB}", agent.Output);
    }

    [Fact]
    public async Task LeaderKilledWithABackupInFlight_TheNewLeaderSettlesIt_AndTheBackupExistsExactlyWhenItSucceeded()
    {
        var (a, apiA, apiB, portA, portB) = await StartBothAsync();
        await using var proxy = new FailoverProxy(portA, portB);
        var host = "orphans-" + _suffix;
        var machine = "backed-up-" + _suffix;
        _processes.Add(RingmasterProcess.StartAgent(proxy.Port, Path.Combine(_root, "agent"), _token, host));
        await WaitForAsync($"host {host} online on node a", () => apiA.HostAsync(host), h => h.GetProperty("online").GetBoolean(), TimeSpan.FromSeconds(90));
        await apiA.CreateMachineAsync(new { name = machine, template = "default", start = true, host }, TimeSpan.FromMinutes(3));

        // Node a accepts the backup and runs it; it dies before the backup can end.
        var backup = await apiA.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{machine}/backups", new { includeMemory = true, full = true });
        a.KillHard();

        await StatusAsync(apiB, leader: true, TimeSpan.FromSeconds(15));
        var operation = await WaitForAsync($"node b to settle the backup {backup} node a ran", () => apiB.GetAsync($"/api/v1/operations/{backup}"),
            o => o.GetProperty("state").GetString() is "Succeeded" or "Failed" or "Cancelled", TimeSpan.FromMinutes(3));
        var state = operation.GetProperty("state").GetString();
        Console.WriteLine($"the backup node a ran ended {state} on node b: {operation.GetProperty("log").GetString()}");
        Assert.Contains(Ringmaster.Core.Services.OperationRecovery.NodeStopped, operation.GetProperty("log").GetString());
        Assert.Contains("node web-b settles it", _processes[1].Output);

        // What the user sees matches the outcome: a backup listed exactly when the operation succeeded.
        var backups = (await apiB.GetAsync($"/api/v1/backups?machine={machine}")).EnumerateArray().ToList();
        Assert.True(backups.Count == (state == "Succeeded" ? 1 : 0), $"{state}: {backups.Count} backup(s): {operation}");
        // The machine is usable from node b afterwards.
        var after = await WaitForAsync($"machine {machine} settled on node b", () => apiB.MachineAsync(machine),
            m => m.GetProperty("state").GetString() is "Running" or "Stopped", TimeSpan.FromSeconds(60));
        Assert.Equal(host, after.GetProperty("host").GetString());
    }

    [Fact]
    public async Task SignedInOnOneNode_TheOtherNodeKnowsTheCookie_AndTakesTheFirstNodesAntiforgeryToken()
    {
        var (_, _, _, portA, portB) = await StartBothAsync();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer(), AllowAutoRedirect = false });
        Uri a = new($"http://127.0.0.1:{portA}"), b = new($"http://127.0.0.1:{portB}");

        // Sign in on node a, with the form and antiforgery token node a served.
        var signIn = await http.PostAsync(new Uri(a, "/account/login"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = await http.AntiforgeryTokenAsync(new Uri(a, "/login").ToString()),
            ["userName"] = "admin",
            ["password"] = TestAccess.AdminPassword,
            ["returnUrl"] = "/machines",
        }));
        Assert.Equal(System.Net.HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/machines", signIn.Headers.Location?.OriginalString);

        // Node b reads that cookie: the dashboard opens instead of sending the browser to sign in.
        var machines = await http.GetAsync(new Uri(b, "/machines"));
        Assert.True(machines.StatusCode == System.Net.HttpStatusCode.OK, $"node b answered {(int)machines.StatusCode} {machines.Headers.Location}");
        var shell = await machines.Content.ReadAsStringAsync();
        Assert.Contains("_framework/blazor.web.js", shell);
        Assert.DoesNotContain("login-form", shell);

        // Sign out on node b with the token node a put in its sign-out form.
        var signOut = await http.PostAsync(new Uri(b, "/account/logout"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = await http.AntiforgeryTokenAsync(new Uri(a, "/logout").ToString()),
        }));
        Assert.True(signOut.StatusCode == System.Net.HttpStatusCode.Redirect, $"node b answered {(int)signOut.StatusCode}: {await signOut.Content.ReadAsStringAsync()}");
        Assert.Equal("/login", signOut.Headers.Location?.OriginalString);

        // Signed out on both nodes.
        foreach (var node in new[] { a, b })
        {
            var after = await http.GetAsync(new Uri(node, "/machines"));
            Assert.Equal(System.Net.HttpStatusCode.Redirect, after.StatusCode);
            var location = after.Headers.Location;
            Assert.StartsWith("/login", location is { IsAbsoluteUri: true } ? location.PathAndQuery : location?.OriginalString);
        }
    }

    [Fact]
    public async Task WithRedis_AMachineOnAHostServedByNodeA_IsCreatedWatchedTypedInStoppedAndItsAgentRevokedThroughNodeB()
    {
        await using var redis = await RedisServer.StartAsync();
        var (_, apiA, apiB, portA, _) = await StartBothAsync(redis.Configuration);
        var host = "served-by-a-" + _suffix;
        var machine = "through-b-" + _suffix;
        // The agent knows node a only: every command node b sends it goes through the backplane.
        _processes.Add(RingmasterProcess.StartAgent(portA, Path.Combine(_root, "agent"), _token, host));
        var hostId = (await WaitForAsync($"host {host} online", () => apiB.HostAsync(host), h => h.GetProperty("online").GetBoolean(), TimeSpan.FromSeconds(90)))
            .GetProperty("id").GetGuid();
        await using var eventsOnA = await EventStream.OpenAsync(apiA, "machine");
        await using var eventsOnB = await EventStream.OpenAsync(apiB, "metrics");

        // Created and started through node b: the agent on node a acknowledged and finished both commands.
        var created = await apiB.CreateMachineAsync(new { name = machine, template = "default", start = true, host }, TimeSpan.FromMinutes(3));
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal("Running", (await apiB.MachineAsync(machine)).GetProperty("state").GetString());

        // Live both ways: node a streams the machine node b created; node b the figures node a's agent pushes.
        await eventsOnA.WaitForAsync("machine.changed", e => e.GetProperty("id").GetGuid() == id, TimeSpan.FromSeconds(60));
        await eventsOnB.WaitForAsync("metrics", e => e.GetProperty("hostId").GetGuid() == hostId
            && e.GetProperty("metrics").EnumerateArray().Any(m => m.GetProperty("id").GetGuid() == id), TimeSpan.FromSeconds(60));

        // The console through node b: keys reach the guest on node a's agent, its output comes back.
        await using (var console = await apiB.OpenConsoleAsync(machine))
        {
            await console.WaitReadyAsync();
            await console.FreshPromptAsync("~ # ");
            await console.RunAsync("echo $((40+2))-via-b", "42-via-b");
        }

        var stop = await apiB.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{machine}/stop");
        await apiB.WaitSucceededAsync(stop, TimeSpan.FromMinutes(2));
        await WaitForAsync($"machine {machine} stopped, seen on node a", () => apiA.MachineAsync(machine),
            m => m.GetProperty("state").GetString() == "Stopped", TimeSpan.FromSeconds(30));

        // Node b knows the agent is connected (to node a); revoked through node b, node a disconnects it at once.
        static bool Connected(JsonElement agents, Guid host) =>
            agents.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("hostId").GetGuid() == host).GetProperty("connected").GetBoolean();
        Assert.True(Connected(await apiB.GetAsync("/api/v1/agents"), hostId));
        using (var revoked = await apiB.Http.DeleteAsync($"/api/v1/agents/{hostId}/credential"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, revoked.StatusCode);
        }

        await WaitForAsync("node a to disconnect the revoked agent", () => apiA.GetAsync("/api/v1/agents"), a => !Connected(a, hostId), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task WithRedis_AVmMovesLiveBetweenHostsServedByDifferentNodes_BothWays_ItsShellKeepsItsState()
    {
        await using var redis = await RedisServer.StartAsync();
        var (_, apiA, apiB, portA, portB) = await StartBothAsync(redis.Configuration);
        var hostA = "agent-on-a-" + _suffix;
        var hostB = "agent-on-b-" + _suffix;
        var machine = "moving-" + _suffix;
        _processes.Add(RingmasterProcess.StartAgent(portA, Path.Combine(_root, "agent-a"), _token, hostA));
        _processes.Add(RingmasterProcess.StartAgent(portB, Path.Combine(_root, "agent-b"), _token, hostB));
        foreach (var host in new[] { hostA, hostB })
        {
            await WaitForAsync($"host {host} online", () => apiA.HostAsync(host), h => h.GetProperty("online").GetBoolean(), TimeSpan.FromSeconds(90));
        }

        await apiA.CreateMachineAsync(new { name = machine, template = "default", start = true, host = hostA }, TimeSpan.FromMinutes(3));
        await using (var console = await apiA.OpenConsoleAsync(machine))
        {
            await console.WaitReadyAsync();
            await console.FreshPromptAsync("~ # ");
            await console.RunAsync("MARK=$((6*7))-kept; echo set-$MARK", "set-42-kept");
        }

        // Each migration runs on node a, where it was asked, so its transfer lives there. To node b's
        // host: the target's agent reads through node b, which passes its request on to node a. Back:
        // the source's agent sends through node b, and asks node b how much went through.
        foreach (var to in new[] { hostB, hostA })
        {
            var move = await apiA.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{machine}/migrate", new { host = to, live = true });
            await WaitForAsync($"the move to {to}", () => apiA.GetAsync($"/api/v1/operations/{move}"), o => o.GetProperty("state").GetString() == "Succeeded"
                || (o.GetProperty("state").GetString() is "Failed" or "Cancelled" ? throw new Xunit.Sdk.XunitException($"the move to {to} failed: {o}\n{Logs()}") : false),
                TimeSpan.FromMinutes(3));
            var now = await apiB.MachineAsync(machine);
            Assert.Equal(to, now.GetProperty("host").GetString());
            Assert.Equal("Running", now.GetProperty("state").GetString());

            // The same shell, typed in through the other node: the guest's memory came along.
            await using var console = await apiB.OpenConsoleAsync(machine);
            await console.WaitReadyAsync();
            await console.FreshPromptAsync("~ # ");
            await console.RunAsync("echo on-$MARK", "on-42-kept");
        }
    }

    [Fact]
    public async Task BehindTheShippedNginxConfig_WithRedis_LeaderKilled_AgentSessionAndEventsCarryOnThroughTheProxy()
    {
        await using var redis = await RedisServer.StartAsync();
        var (a, _, _, portA, portB) = await StartBothAsync(redis.Configuration);
        await using var nginx = await NginxProxy.StartAsync(portA, portB);
        var proxied = ApiClient.For(nginx.Port);
        var host = "behind-nginx-" + _suffix;
        var machine = "proxied-" + _suffix;
        _processes.Add(RingmasterProcess.StartAgent(nginx.Port, Path.Combine(_root, "agent"), _token, host));
        await WaitForAsync($"host {host} online through nginx", () => proxied.HostAsync(host), h => h.GetProperty("online").GetBoolean(), TimeSpan.FromSeconds(90));
        await proxied.CreateMachineAsync(new { name = machine, template = "default", start = true, host }, TimeSpan.FromMinutes(3));

        // A browser's session through the proxy: signed in, the dashboard opens.
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{nginx.Port}"),
        };
        var signIn = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = await browser.AntiforgeryTokenAsync("/login"),
            ["userName"] = "admin",
            ["password"] = TestAccess.AdminPassword,
            ["returnUrl"] = "/machines",
        }));
        Assert.Equal(System.Net.HttpStatusCode.Redirect, signIn.StatusCode);

        a.KillHard();
        await WaitForAsync("node b to lead, asked through nginx", () => proxied.GetAsync("/api/v1/status"),
            s => s.GetProperty("leader").GetBoolean() && s.GetProperty("node").GetString() == "web-b", TimeSpan.FromSeconds(15));

        // Whichever node the agent had dialled, it is served (and commanded) through the proxy now.
        var killed = DateTimeOffset.UtcNow;
        await WaitForAsync($"host {host} heard from after node a died", () => proxied.HostAsync(host),
            h => h.GetProperty("online").GetBoolean() && h.GetProperty("lastSeenAt").GetDateTimeOffset() > killed, TimeSpan.FromSeconds(60));
        await using var events = await EventStream.OpenAsync(proxied, "machine");
        var stop = await proxied.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{machine}/stop");
        await proxied.WaitSucceededAsync(stop, TimeSpan.FromMinutes(2));
        await events.WaitForAsync("machine.changed", m => m.GetProperty("name").GetString() == machine && m.GetProperty("state").GetString() == "Stopped", TimeSpan.FromSeconds(60));

        // The browser's session holds on the node that is left.
        var page = await browser.GetAsync("/machines");
        Assert.True(page.StatusCode == System.Net.HttpStatusCode.OK, $"the dashboard answered {(int)page.StatusCode} {page.Headers.Location} through nginx; its errors: {nginx.ErrorLog}");
        Assert.DoesNotContain("login-form", await page.Content.ReadAsStringAsync());
    }

    /// <summary>An open <c>/api/v1/events</c> stream, read in the background.</summary>
    private sealed class EventStream : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly HttpResponseMessage _response;
        private readonly System.Collections.Concurrent.ConcurrentQueue<(string Type, JsonElement Data)> _events = new();
        private readonly SemaphoreSlim _arrived = new(0);
        private readonly Task _reading;

        private EventStream(HttpResponseMessage response, StreamReader reader)
        {
            _response = response;
            _reading = Task.Run(async () =>
            {
                string? type = null;
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        type = line["event: ".Length..];
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal) && type is not null)
                    {
                        _events.Enqueue((type, JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone()));
                        _arrived.Release();
                    }
                }
            });
        }

        public static async Task<EventStream> OpenAsync(ApiClient api, string types)
        {
            var response = await api.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/v1/events?types={types}"), HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Equal("event: ready", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            return new EventStream(response, reader);
        }

        public async Task WaitForAsync(string type, Func<JsonElement, bool> match, TimeSpan timeout)
        {
            using var deadline = new CancellationTokenSource(timeout);
            var seen = new List<string>();
            try
            {
                while (true)
                {
                    await _arrived.WaitAsync(deadline.Token);
                    if (_events.TryDequeue(out var e))
                    {
                        seen.Add(e.Type);
                        if (e.Type == type && match(e.Data))
                        {
                            return;
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no matching {type} event within {timeout.TotalSeconds:0} s; events seen: {string.Join(", ", seen.CountBy(t => t).Select(c => $"{c.Value} {c.Key}"))}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _response.Dispose();
            await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _stop.Dispose();
        }
    }

    private sealed record Run(string State, DateTimeOffset CreatedAt);

    private static List<Run> Scheduled(JsonElement operations) =>
        [.. operations.GetProperty("items").EnumerateArray()
            .Where(o => o.GetProperty("kind").GetString() == "schedule.snapshot")
            .Select(o => new Run(o.GetProperty("state").GetString()!, o.GetProperty("createdAt").GetDateTimeOffset()))];

    private static DateTimeOffset Minute(DateTimeOffset at) => new(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0, at.Offset);

    private static IEnumerable<JsonElement> Flatten(JsonElement node) =>
        new[] { node }.Concat(node.GetProperty("children").EnumerateArray().SelectMany(Flatten));
}
