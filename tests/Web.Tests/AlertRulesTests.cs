using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ringmaster.Contracts;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Metric alert rules at <c>/api/v1/alert-rules</c>: the samples an agent pushes through the hub are
/// stored in the metrics history, and the leader's evaluation after each flush opens one alert per
/// rule and machine when every sample of the window is past the threshold (shown at
/// <c>/api/v1/alerts</c>, sent to the webhooks), and resolves it when a sample is back.
/// </summary>
public sealed class AlertRulesTests : IAsyncLifetime
{
    private const string Secret = "alert-rules-secret-0123456789";
    private const string Rule = "metric.threshold";
    private const long GiB = 1L << 30;
    private readonly RingmasterFactory _factory = new() { Settings = { ["Webhooks:BackoffSeconds"] = "0.2" } };
    private readonly Guid _hot = Guid.NewGuid();
    private readonly Guid _calm = Guid.NewGuid();
    private HttpClient _client = null!;
    private ScriptedAgent _agent = null!;

    public async Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        _agent = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "rules-host");
        _agent.Guests[_hot] = ScriptedAgent.Guest(_hot, "hot-1", MachineState.Running);
        _agent.Guests[_calm] = ScriptedAgent.Guest(_calm, "calm-1", MachineState.Running);
        await _agent.ConnectAsync();
        foreach (var id in new[] { _hot, _calm })
        {
            await HttpJson.EventuallyAsync(() => _client.GetFromJsonAsync<JsonElement>($"/api/v1/machines/{id}"),
                m => m.GetProperty("state").GetString() == "Running", TimeSpan.FromSeconds(30), "the reported machine");
        }
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _factory.DisposeAsync();
    }

    /// <summary>A sample of <paramref name="machine"/> every 5 s from <paramref name="from"/> to <paramref name="to"/>, pushed as an agent pushes them.</summary>
    private Task FeedCpuAsync(Guid machine, double cpu, DateTimeOffset from, DateTimeOffset to)
    {
        var samples = new List<GuestMetrics>();
        for (var t = from; t <= to; t += TimeSpan.FromSeconds(5))
        {
            samples.Add(new GuestMetrics(machine, t, cpu, GiB, 2 * GiB, 0, 0, 0, 0));
        }

        return _agent.SendMetricsAsync(samples);
    }

    private async Task<JsonElement> CreateRuleAsync(object body)
    {
        using var response = await _client.PostAsJsonAsync("/api/v1/alert-rules", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var rule = await response.ReadJsonAsync();
        Assert.Equal($"/api/v1/alert-rules/{rule.GetProperty("id").GetGuid()}", response.Headers.Location?.ToString());
        return rule;
    }

    private Task<JsonElement> RuleAsync(Guid id) => _client.GetFromJsonAsync<JsonElement>($"/api/v1/alert-rules/{id}");

    private async Task<JsonElement[]> RuleAlertsAsync(Guid machine, string state = "open") =>
        [.. (await _client.GetFromJsonAsync<JsonElement>($"/api/v1/alerts?state={state}")).EnumerateArray()
            .Where(a => a.GetProperty("rule").GetString() == Rule && a.GetProperty("machineId").ValueKind != JsonValueKind.Null && a.GetProperty("machineId").GetGuid() == machine)];

    /// <summary>Waits until the rule was evaluated after <paramref name="after"/>: everything stored before then was looked at.</summary>
    private Task<JsonElement> EvaluatedAfterAsync(Guid rule, DateTimeOffset after) =>
        HttpJson.EventuallyAsync(() => RuleAsync(rule),
            r => r.GetProperty("evaluatedAt").ValueKind != JsonValueKind.Null && r.GetProperty("evaluatedAt").GetDateTimeOffset() > after,
            TimeSpan.FromSeconds(60), "an evaluation of the rule");

    [Fact]
    public async Task CpuAboveTheThresholdForTheWindow_OneAlertOpensAndIsDelivered_ResolvedWhenASampleIsBelow()
    {
        await using var receiver = new WebhookReceiver(Secret);
        Guid hookId;
        using (var hook = await _client.PostAsJsonAsync("/api/v1/webhooks", new { name = "rules-ops", url = receiver.Url, secret = receiver.Secret }))
        {
            Assert.Equal(HttpStatusCode.Created, hook.StatusCode);
            hookId = (await hook.ReadJsonAsync()).GetProperty("id").GetGuid();
        }

        var rule = await CreateRuleAsync(new
        {
            name = "hot-cpu", metric = "cpuPercent", comparison = ">", threshold = 80, forSeconds = 60,
            target = "machine", targetName = "hot-1", severity = "critical",
        });
        var ruleId = rule.GetProperty("id").GetGuid();
        Assert.Equal(_hot, rule.GetProperty("targetId").GetGuid());
        Assert.Equal("hot-1", rule.GetProperty("targetName").GetString());
        Assert.Equal("default", rule.GetProperty("project").GetString());

        // Two minutes at 95 %: the whole one-minute window is above 80 %.
        var now = DateTimeOffset.UtcNow;
        await FeedCpuAsync(_hot, 95, now - TimeSpan.FromMinutes(2), now);

        // (The scripted agent sends no heartbeats: its host's offline alert may come too.)
        static bool OfTheRule(WebhookReceiver.Received r) => r.Json.GetProperty("alert").GetProperty("rule").GetString() == Rule;
        var opened = await receiver.NextAsync(r => r.Event == "alert.opened" && OfTheRule(r), TimeSpan.FromSeconds(60));
        Assert.True(opened.SignatureValid, $"signature {opened.Signature} does not match the body");
        var alert = opened.Json.GetProperty("alert");
        var alertId = alert.GetProperty("id").GetGuid();
        Assert.Equal(Rule, alert.GetProperty("rule").GetString());
        Assert.Equal("critical", alert.GetProperty("severity").GetString());
        Assert.Equal(_hot, alert.GetProperty("machineId").GetGuid());
        Assert.Equal("default", alert.GetProperty("project").GetString());
        var message = alert.GetProperty("message").GetString()!;
        Assert.Contains("hot-1", message);
        Assert.Contains("above 80 %", message);
        Assert.Contains("1 min", message);
        Assert.Contains("'hot-cpu'", message);

        // Evaluations after the one that opened it find it open: still one alert, one delivery.
        await EvaluatedAfterAsync(ruleId, alert.GetProperty("openedAt").GetDateTimeOffset().AddSeconds(1));
        var firing = await RuleAsync(ruleId);
        Assert.Equal("firing", firing.GetProperty("state").GetString());
        Assert.Equal(1, firing.GetProperty("firing").GetInt32());
        Assert.Equal(alertId, Assert.Single(await RuleAlertsAsync(_hot)).GetProperty("id").GetGuid());
        Assert.Single(receiver.All, r => r.Event == "alert.opened" && OfTheRule(r));
        var deliveries = await HttpJson.EventuallyAsync(() => _client.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{hookId}/deliveries"),
            d => d.EnumerateArray().Any(x => x.GetProperty("alertId").ValueKind != JsonValueKind.Null && x.GetProperty("alertId").GetGuid() == alertId
                && x.GetProperty("state").GetString() == "delivered"), TimeSpan.FromSeconds(30), "the delivery marked delivered");
        var delivery = Assert.Single(deliveries.EnumerateArray(), d => d.GetProperty("event").GetString() == "alert.opened"
            && d.GetProperty("alertId").ValueKind != JsonValueKind.Null && d.GetProperty("alertId").GetGuid() == alertId);
        Assert.Equal(alertId, delivery.GetProperty("alertId").GetGuid());
        Assert.Equal("delivered", delivery.GetProperty("state").GetString());

        // The machine cools down: the newest samples are at 5 %.
        var later = DateTimeOffset.UtcNow;
        await FeedCpuAsync(_hot, 5, later, later + TimeSpan.FromSeconds(10));
        var resolved = await receiver.NextAsync(r => r.Event == "alert.resolved" && OfTheRule(r), TimeSpan.FromSeconds(60));
        Assert.Equal(alertId, resolved.Json.GetProperty("alert").GetProperty("id").GetGuid());
        Assert.Equal("resolved", resolved.Json.GetProperty("alert").GetProperty("state").GetString());
        Assert.Empty(await RuleAlertsAsync(_hot));
        Assert.Equal("resolved", Assert.Single(await RuleAlertsAsync(_hot, "all")).GetProperty("state").GetString());
        Assert.Equal("ok", (await RuleAsync(ruleId)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task BriefSpikeShorterThanTheWindow_NoAlert()
    {
        var rule = await CreateRuleAsync(new { name = "calm-cpu", metric = "cpuPercent", comparison = ">", threshold = 80, forSeconds = 60, target = "all-machines" });
        var ruleId = rule.GetProperty("id").GetGuid();
        Assert.Equal("pending", rule.GetProperty("state").GetString());

        // Two minutes at 20 %, then ten seconds at 95 %.
        var now = DateTimeOffset.UtcNow;
        await FeedCpuAsync(_calm, 20, now - TimeSpan.FromMinutes(2), now - TimeSpan.FromSeconds(15));
        await FeedCpuAsync(_calm, 95, now - TimeSpan.FromSeconds(10), now);
        var fed = DateTimeOffset.UtcNow;

        var evaluated = await EvaluatedAfterAsync(ruleId, fed);
        Assert.Equal("ok", evaluated.GetProperty("state").GetString());
        Assert.Equal(0, evaluated.GetProperty("firing").GetInt32());
        Assert.Empty(await RuleAlertsAsync(_calm, "all"));
    }

    [Fact]
    public async Task DeletingAFiringRule_ResolvesItsAlert()
    {
        var rule = await CreateRuleAsync(new { name = "busy", metric = "cpuPercent", comparison = ">", threshold = 50, forSeconds = 30, target = "machine", targetName = _hot.ToString() });
        var ruleId = rule.GetProperty("id").GetGuid();
        var now = DateTimeOffset.UtcNow;
        await FeedCpuAsync(_hot, 70, now - TimeSpan.FromMinutes(1), now);

        var open = await HttpJson.EventuallyAsync(() => RuleAlertsAsync(_hot), a => a.Length == 1, TimeSpan.FromSeconds(60), "the rule's alert");
        Assert.Equal("warning", open[0].GetProperty("severity").GetString());

        using (var deleted = await _client.DeleteAsync($"/api/v1/alert-rules/{ruleId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.Empty(await RuleAlertsAsync(_hot));
        Assert.Equal("resolved", Assert.Single(await RuleAlertsAsync(_hot, "all")).GetProperty("state").GetString());
        using var gone = await _client.GetAsync($"/api/v1/alert-rules/{ruleId}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    public static TheoryData<string, string> BadRules => new()
    {
        { """{"name":"r1","metric":"cpu","comparison":">","threshold":80,"forSeconds":60,"target":"all-machines"}""", "metric" },
        { """{"name":"r2","metric":"cpuPercent","comparison":">=","threshold":80,"forSeconds":60,"target":"all-machines"}""", "comparison" },
        { """{"name":"r3","metric":"cpuPercent","comparison":">","threshold":-1,"forSeconds":60,"target":"all-machines"}""", "threshold" },
        { """{"name":"r4","metric":"cpuPercent","comparison":">","forSeconds":60,"target":"all-machines"}""", "threshold" },
        { """{"name":"r5","metric":"cpuPercent","comparison":">","threshold":80,"forSeconds":5,"target":"all-machines"}""", "forSeconds" },
        { """{"name":"r6","metric":"cpuPercent","comparison":">","threshold":80,"forSeconds":90000,"target":"all-machines"}""", "forSeconds" },
        { """{"name":"r7","metric":"cpuPercent","comparison":">","threshold":80,"forSeconds":60,"target":"everything"}""", "target" },
        { """{"name":"r8","metric":"cpuPercent","comparison":">","threshold":80,"forSeconds":60,"target":"machine"}""", "targetName" },
        { """{"name":"r9","metric":"cpuPercent","comparison":">","threshold":80,"forSeconds":60,"target":"machine","targetName":"no-such"}""", "targetName" },
        { """{"name":"r10","metric":"mips","comparison":"<","threshold":10,"forSeconds":60,"target":"all-hosts"}""", "metric" },
        { """{"name":"r11","metric":"cpuPercent","comparison":">","threshold":80,"forSeconds":60,"target":"all-machines","severity":"loud"}""", "severity" },
        { """{"name":"bad name!","metric":"cpuPercent","comparison":">","threshold":80,"forSeconds":60,"target":"all-machines"}""", "name" },
    };

    [Theory]
    [MemberData(nameof(BadRules))]
    public async Task CreateRule_BadInput_FieldErrorWithAMessageAndNothingSaved(string body, string field)
    {
        using var response = await _client.PostAsync("/api/v1/alert-rules", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadJsonAsync();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), problem.ToString());
        Assert.True(messages[0].GetString()!.Length > 20, messages[0].GetString());
        Assert.Empty((await _client.GetFromJsonAsync<JsonElement>("/api/v1/alert-rules")).EnumerateArray());
    }

    [Fact]
    public async Task Rules_CreateReadChangeDelete_DuplicateNameIsAConflict_AndEachChangeIsAudited()
    {
        var rule = await CreateRuleAsync(new { name = "slow-disk", metric = "diskWritePerSecond", comparison = "<", threshold = 1000, forSeconds = 7200, target = "all-hosts" });
        var id = rule.GetProperty("id").GetGuid();
        Assert.Equal("all-hosts", rule.GetProperty("target").GetString());
        Assert.Equal("warning", rule.GetProperty("severity").GetString());
        Assert.True(rule.GetProperty("enabled").GetBoolean());

        var listed = Assert.Single((await _client.GetFromJsonAsync<JsonElement>("/api/v1/alert-rules")).EnumerateArray());
        Assert.Equal(id, listed.GetProperty("id").GetGuid());

        using (var again = await _client.PostAsJsonAsync("/api/v1/alert-rules", new { name = "slow-disk", metric = "cpuPercent", comparison = ">", threshold = 1, forSeconds = 60, target = "all-machines" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Contains("slow-disk", (await again.ReadJsonAsync()).GetProperty("detail").GetString());
        }

        using (var patched = await _client.PatchAsJsonAsync($"/api/v1/alert-rules/{id}", new { threshold = 500.5, forSeconds = 600, enabled = false, severity = "critical" }))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
            var changed = await patched.ReadJsonAsync();
            Assert.Equal(500.5, changed.GetProperty("threshold").GetDouble());
            Assert.Equal(600, changed.GetProperty("forSeconds").GetInt32());
            Assert.Equal("critical", changed.GetProperty("severity").GetString());
            Assert.Equal("disabled", changed.GetProperty("state").GetString());
            Assert.Equal("<", changed.GetProperty("comparison").GetString());
        }

        using (var badPatch = await _client.PatchAsJsonAsync($"/api/v1/alert-rules/{id}", new { comparison = "=", metric = "mips" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badPatch.StatusCode);
            var errors = (await badPatch.ReadJsonAsync()).GetProperty("errors");
            Assert.True(errors.TryGetProperty("comparison", out _));
            Assert.True(errors.TryGetProperty("metric", out _));
            Assert.Equal(500.5, (await RuleAsync(id)).GetProperty("threshold").GetDouble());
        }

        using (var missing = await _client.PatchAsJsonAsync($"/api/v1/alert-rules/{Guid.NewGuid()}", new { threshold = 1 }))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        using (var deleted = await _client.DeleteAsync($"/api/v1/alert-rules/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var deletedAgain = await _client.DeleteAsync($"/api/v1/alert-rules/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, deletedAgain.StatusCode);
        }

        Assert.Empty((await _client.GetFromJsonAsync<JsonElement>("/api/v1/alert-rules")).EnumerateArray());
        var audit = await HttpJson.EventuallyAsync(() => _client.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=100"),
            a => a.GetProperty("items").EnumerateArray().Count(e => e.GetProperty("action").GetString()!.Contains("/api/v1/alert-rules", StringComparison.Ordinal)) >= 7,
            TimeSpan.FromSeconds(10), "the audit records of the rule's changes");
        var actions = audit.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Contains(actions, a => a!.StartsWith("POST /api/v1/alert-rules", StringComparison.Ordinal));
        Assert.Contains(actions, a => a!.StartsWith("PATCH /api/v1/alert-rules/", StringComparison.Ordinal));
        // Each names the rule, not its id, while it exists (a second delete finds nothing to name).
        var entries = audit.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("action").GetString()!.Contains("/api/v1/alert-rules", StringComparison.Ordinal)).ToList();
        Assert.All(entries.Where(e => e.GetProperty("status").GetInt32() is 200 or 201 or 204 or 400 or 409), e => Assert.Equal("slow-disk", e.GetProperty("target").GetString()));
        Assert.Contains(actions, a => a!.StartsWith("DELETE /api/v1/alert-rules/", StringComparison.Ordinal));
    }
    [Fact]
    public async Task Rules_AreProjectScoped_AMemberSeesOnlyHisProjectsAndMayNotWatchHosts()
    {
        foreach (var project in new[] { "alpha", "beta" })
        {
            (await _client.PostAsJsonAsync("/api/v1/projects", new { name = project })).EnsureSuccessStatusCode();
        }

        foreach (var (user, project) in new[] { ("otto", "alpha"), ("bea", "beta") })
        {
            (await _client.PostAsJsonAsync("/api/v1/users", new { userName = user, password = user + "-password", role = "Operator", projects = new[] { project } })).EnsureSuccessStatusCode();
        }

        using var otto = await SignInAsync("otto");
        using var bea = await SignInAsync("bea");
        var rule = new { name = "cpu", metric = "cpuPercent", comparison = ">", threshold = 90, forSeconds = 60, target = "all-machines" };

        using (var created = await otto.PostAsJsonAsync("/api/v1/alert-rules", rule))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("alpha", (await created.ReadJsonAsync()).GetProperty("project").GetString());
        }

        using (var sameNameElsewhere = await bea.PostAsJsonAsync("/api/v1/alert-rules", rule))
        {
            Assert.Equal(HttpStatusCode.Created, sameNameElsewhere.StatusCode);
        }

        using (var hosts = await otto.PostAsJsonAsync("/api/v1/alert-rules", rule with { name = "hosts", target = "all-hosts" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, hosts.StatusCode);
            Assert.Contains("Only an admin", (await hosts.ReadJsonAsync()).GetProperty("errors").GetProperty("target")[0].GetString());
        }

        // hot-1 is a machine of the default project, not of alpha.
        using (var other = await otto.PostAsJsonAsync("/api/v1/alert-rules", new { name = "theirs", metric = "cpuPercent", comparison = ">", threshold = 90, forSeconds = 60, target = "machine", targetName = "hot-1" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
            Assert.Contains("no machine 'hot-1'", (await other.ReadJsonAsync()).GetProperty("errors").GetProperty("targetName")[0].GetString());
        }

        var ottos = Assert.Single((await otto.GetFromJsonAsync<JsonElement>("/api/v1/alert-rules")).EnumerateArray());
        Assert.Equal("alpha", ottos.GetProperty("project").GetString());
        var ottosId = ottos.GetProperty("id").GetGuid();
        Assert.Equal("beta", Assert.Single((await bea.GetFromJsonAsync<JsonElement>("/api/v1/alert-rules")).EnumerateArray()).GetProperty("project").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await bea.GetAsync($"/api/v1/alert-rules/{ottosId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bea.DeleteAsync($"/api/v1/alert-rules/{ottosId}")).StatusCode);
        Assert.Equal(2, (await _client.GetFromJsonAsync<JsonElement>("/api/v1/alert-rules")).GetArrayLength());
    }

    private async Task<HttpClient> SignInAsync(string user)
    {
        using var anonymous = _factory.CreateAnonymousClient();
        var login = await (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = user, password = user + "-password" })).ReadJsonAsync();
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", login.GetProperty("token").GetString());
        return client;
    }
}
