using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>The scaling-groups API without an agent: validation, scripts, versions, dry runs, custom metrics, schedules.</summary>
public sealed class ScalingGroupsApiTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private readonly FakeClock _clock = new(new DateTimeOffset(2026, 11, 24, 9, 59, 30, TimeSpan.Zero));
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddKeyedSingleton<TimeProvider>("scaling", _clock))).CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<JsonElement> CreateGroupAsync(object body)
    {
        var response = await _client.PostAsJsonAsync("/api/v1/scaling-groups", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.NotNull(response.Headers.Location);
        return await response.ReadJsonAsync();
    }

    private async Task<JsonElement> GroupAsync(string id) => await (await _client.GetAsync($"/api/v1/scaling-groups/{id}")).ReadJsonAsync();

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.ReadJsonAsync();
    }

    [Fact]
    public async Task Create_Valid_ReadsBackCountsMembersStatusAndHistory()
    {
        var group = await CreateGroupAsync(new { name = "web", template = "busybox", min = 1, max = 4, desired = 2, cooldownSeconds = 30 });

        var read = await GroupAsync(group.GetProperty("id").GetString()!);
        Assert.Equal("web", read.GetProperty("name").GetString());
        Assert.Equal(1, read.GetProperty("min").GetInt32());
        Assert.Equal(4, read.GetProperty("max").GetInt32());
        Assert.Equal(2, read.GetProperty("desired").GetInt32());
        Assert.Equal(30, read.GetProperty("cooldownSeconds").GetInt32());
        Assert.Equal(JsonValueKind.Array, read.GetProperty("members").ValueKind);
        Assert.False(string.IsNullOrEmpty(read.GetProperty("status").GetString()));
        var created = Assert.Single(read.GetProperty("history").EnumerateArray());
        Assert.Equal(2, created.GetProperty("newDesired").GetInt32());
        Assert.Contains("created", created.GetProperty("reason").GetString());
        Assert.Equal(group.GetProperty("id").GetString(), (await GroupAsync("web")).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Create_MinAboveMaxAndUnknownTemplate_ProblemNamesBoth()
    {
        var problem = await ProblemAsync(await _client.PostAsJsonAsync("/api/v1/scaling-groups", new { name = "bad", template = "nope", min = 5, max = 2, desired = 3 }));

        var errors = problem.GetProperty("errors");
        Assert.Contains("must not be below min", errors.GetProperty("max")[0].GetString());
        Assert.Contains("Unknown template", errors.GetProperty("template")[0].GetString());
        Assert.Equal(0, (await (await _client.GetAsync("/api/v1/scaling-groups")).ReadJsonAsync()).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Create_SameNameTwice_Conflict()
    {
        await CreateGroupAsync(new { name = "twice", template = "busybox", max = 2 });

        var response = await _client.PostAsJsonAsync("/api/v1/scaling-groups", new { name = "twice", template = "busybox", max = 2 });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Fact]
    public async Task Patch_DesiredAboveMax_ProblemAndNothingChanged_ValidPatchRecorded()
    {
        await CreateGroupAsync(new { name = "patch", template = "busybox", min = 0, max = 3, desired = 0 });

        var problem = await ProblemAsync(await _client.PatchAsJsonAsync("/api/v1/scaling-groups/patch", new { desired = 9 }));
        Assert.Contains("between min (0) and max (3)", problem.GetProperty("errors").GetProperty("desired")[0].GetString());
        Assert.Equal(0, (await GroupAsync("patch")).GetProperty("desired").GetInt32());

        var ok = await _client.PatchAsJsonAsync("/api/v1/scaling-groups/patch", new { max = 6, desired = 5 });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var group = await GroupAsync("patch");
        Assert.Equal(5, group.GetProperty("desired").GetInt32());
        var last = group.GetProperty("history")[0];
        Assert.Equal("user", last.GetProperty("source").GetString());
        Assert.Equal(0, last.GetProperty("oldDesired").GetInt32());
        Assert.Equal(5, last.GetProperty("newDesired").GetInt32());
        Assert.Contains("desired 0 → 5", last.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task NoHost_GroupSaysWhyItIsShort()
    {
        await CreateGroupAsync(new { name = "nohost", template = "busybox", min = 1, max = 2, desired = 1 });

        var group = await HttpJson.EventuallyAsync(() => GroupAsync("nohost"), g => g.GetProperty("status").GetString() == "short", TimeSpan.FromSeconds(20), "the group to say it is short");

        Assert.Contains("No online host has a container engine", group.GetProperty("statusDetail").GetString());
    }

    [Fact]
    public async Task Script_SyntaxError_CannotBeSaved_ProblemHasLineAndColumn()
    {
        await CreateGroupAsync(new { name = "syntax", template = "busybox", max = 3 });

        var problem = await ProblemAsync(await _client.PostAsJsonAsync("/api/v1/scaling-groups/syntax/scripts", new { name = "s", source = "log('ok');\nscaleTo(3 +;\n" }));

        var message = problem.GetProperty("errors").GetProperty("source")[0].GetString();
        Assert.Contains("Syntax error at line 2, column", message);
        Assert.Equal(0, (await (await _client.GetAsync("/api/v1/scaling-groups/syntax/scripts")).ReadJsonAsync()).GetArrayLength());
    }

    [Fact]
    public async Task Script_SavedTwiceThenRolledBack_EveryStepIsAVersion()
    {
        await CreateGroupAsync(new { name = "versions", template = "busybox", max = 3 });
        var created = await (await _client.PostAsJsonAsync("/api/v1/scaling-groups/versions/scripts", new { name = "sizer", source = "scaleTo(1);", enabled = false })).ReadJsonAsync();
        var id = created.GetProperty("id").GetString();
        var saved = await _client.PutAsJsonAsync($"/api/v1/scaling-groups/versions/scripts/{id}", new { source = "scaleTo(2);" });
        Assert.Equal(2, (await saved.ReadJsonAsync()).GetProperty("version").GetInt32());

        var rolled = await _client.PostAsJsonAsync($"/api/v1/scaling-groups/versions/scripts/{id}/rollback", new { version = 1 });

        Assert.Equal(HttpStatusCode.OK, rolled.StatusCode);
        var script = await rolled.ReadJsonAsync();
        Assert.Equal(3, script.GetProperty("version").GetInt32());
        Assert.Equal("scaleTo(1);", script.GetProperty("source").GetString());
        var versions = await (await _client.GetAsync($"/api/v1/scaling-groups/versions/scripts/sizer/versions")).ReadJsonAsync();
        Assert.Equal([3, 2, 1], versions.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal("rollback to version 1", versions[0].GetProperty("note").GetString());
    }

    [Fact]
    public async Task DryRun_ScaleBy_ShowsWhatItWouldDoWithoutDoingIt()
    {
        await CreateGroupAsync(new { name = "dry", template = "busybox", min = 0, max = 5, desired = 1 });

        var response = await _client.PostAsJsonAsync("/api/v1/scaling-groups/dry/scripts/dry-run", new { source = "log('members', group.members.length, 'desired', group.desired); scaleBy(9);" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var run = await response.ReadJsonAsync();
        Assert.Equal(1, run.GetProperty("currentDesired").GetInt32());
        Assert.Equal(10, run.GetProperty("requested").GetInt32());
        Assert.Equal(5, run.GetProperty("newDesired").GetInt32());
        Assert.Equal("members 0 desired 1", run.GetProperty("logs")[0].GetString());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("error").ValueKind);
        Assert.Equal(1, (await GroupAsync("dry")).GetProperty("desired").GetInt32());
    }

    [Theory]
    [InlineData("System.IO.File.ReadAllText('/etc/passwd');", "System is not defined")]
    [InlineData("importNamespace('System.IO');", "importNamespace is not defined")]
    [InlineData("require('fs');", "require is not defined")]
    [InlineData("fetch('http://example.com');", "fetch is not defined")]
    [InlineData("eval('1+1');", "")]
    public async Task DryRun_ReachesOutOfTheSandbox_Refused(string source, string expected)
    {
        await CreateGroupAsync(new { name = "sandbox", template = "busybox", max = 3 });

        var run = await (await _client.PostAsJsonAsync("/api/v1/scaling-groups/sandbox/scripts/dry-run", new { source })).ReadJsonAsync();

        var error = run.GetProperty("error").GetString();
        Assert.NotNull(error);
        Assert.Contains(expected, error);
        Assert.Equal(JsonValueKind.Null, run.GetProperty("newDesired").ValueKind);
    }

    [Theory]
    [InlineData("while (true) {}", "time limit")]
    // Eight megabytes a step in one allocation: the memory limit comes within five steps, long before the
    // (wall-clock) time limit even on a loaded machine (filling arrays element by element did not, once).
    [InlineData("const a = []; while (true) { a.push(new ArrayBuffer(8 * 1024 * 1024)); }", "memory limit")]
    [InlineData("function f(n) { return f(n + 1); } f(0);", "recursion limit")]
    [InlineData("throw new Error('boom');", "line 1, column")]
    public async Task DryRun_BreaksALimit_StoppedWithClearError(string source, string expected)
    {
        await CreateGroupAsync(new { name = "limits", template = "busybox", max = 3 });

        var run = await (await _client.PostAsJsonAsync("/api/v1/scaling-groups/limits/scripts/dry-run", new { source })).ReadJsonAsync();

        Assert.Contains(expected, run.GetProperty("error").GetString());
    }

    [Fact]
    public async Task CustomMetric_Reported_ScriptReadsItOverItsWindow()
    {
        await CreateGroupAsync(new { name = "queue", template = "busybox", min = 0, max = 10, desired = 0 });
        Assert.Equal(HttpStatusCode.NoContent, (await _client.PostAsJsonAsync("/api/v1/scaling-groups/queue/metrics", new { name = "queue", value = 30 })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.PostAsJsonAsync("/api/v1/scaling-groups/queue/metrics", new { name = "queue", value = 50 })).StatusCode);

        var run = await (await _client.PostAsJsonAsync("/api/v1/scaling-groups/queue/scripts/dry-run", new { source = "const q = metric('queue', 60); log('queue', q); scaleTo(Math.ceil(q / 10));" })).ReadJsonAsync();

        Assert.Equal(4, run.GetProperty("newDesired").GetInt32());
        Assert.Equal("queue 40", run.GetProperty("logs")[0].GetString());
        Assert.Equal(40, run.GetProperty("inputs").GetProperty("queue[60s]").GetDouble());
    }

    [Fact]
    public async Task CustomMetric_BuiltInNameOrNoValue_Problem()
    {
        await CreateGroupAsync(new { name = "badmetric", template = "busybox", max = 2 });

        var problem = await ProblemAsync(await _client.PostAsJsonAsync("/api/v1/scaling-groups/badmetric/metrics", new { name = "cpu" }));

        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("value", out _));
    }

    [Fact]
    public async Task Policy_BadCronAndBadRule_ProblemsSayWhatIsExpected()
    {
        await CreateGroupAsync(new { name = "policies", template = "busybox", max = 2 });

        var cron = await ProblemAsync(await _client.PostAsJsonAsync("/api/v1/scaling-groups/policies/policies", new { name = "p", kind = "schedule", cron = "61 * * * *", target = "desired", value = 1 }));
        var rule = await ProblemAsync(await _client.PostAsJsonAsync("/api/v1/scaling-groups/policies/policies", new { name = "p", kind = "metric", metric = "cpu", @operator = "sideways", threshold = 50, durationSeconds = 10, adjustment = 0 }));

        Assert.Contains("minute field", cron.GetProperty("errors").GetProperty("cron")[0].GetString());
        Assert.Contains("'above' or 'below'", rule.GetProperty("errors").GetProperty("operator")[0].GetString());
        Assert.True(rule.GetProperty("errors").TryGetProperty("adjustment", out _));
    }

    [Fact]
    public async Task Schedule_AtItsMinute_SetsDesiredAndRecordsWhy()
    {
        await CreateGroupAsync(new { name = "nightly", template = "busybox", min = 0, max = 5, desired = 0 });
        var policy = await _client.PostAsJsonAsync("/api/v1/scaling-groups/nightly/policies", new { name = "morning", kind = "schedule", cron = "0 10 * * *", target = "desired", value = 3 });
        Assert.Equal(HttpStatusCode.Created, policy.StatusCode);
        Assert.Equal("at '0 10 * * *' (UTC) → set desired to 3", (await policy.ReadJsonAsync()).GetProperty("description").GetString());
        Assert.Equal(0, (await GroupAsync("nightly")).GetProperty("desired").GetInt32());

        _clock.Set(new DateTimeOffset(2026, 11, 24, 10, 0, 5, TimeSpan.Zero));

        var group = await HttpJson.EventuallyAsync(() => GroupAsync("nightly"), g => g.GetProperty("desired").GetInt32() == 3, TimeSpan.FromSeconds(20), "the schedule to set desired");
        var decision = group.GetProperty("history")[0];
        Assert.Equal("schedule", decision.GetProperty("source").GetString());
        Assert.Equal("morning", decision.GetProperty("sourceName").GetString());
        Assert.Contains("2026-11-24 10:00 UTC", decision.GetProperty("reason").GetString());
        Assert.Equal(DateTimeOffset.Parse("2026-11-24T10:00:05Z", System.Globalization.CultureInfo.InvariantCulture), decision.GetProperty("at").GetDateTimeOffset());
    }

    [Fact]
    public async Task Delete_GroupWithoutMembers_GoneAfterItsOperation()
    {
        await CreateGroupAsync(new { name = "gone", template = "busybox", max = 2 });

        var response = await _client.DeleteAsync("/api/v1/scaling-groups/gone");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var operation = (await response.ReadJsonAsync()).GetProperty("operation").GetProperty("id").GetGuid();
        await HttpJson.EventuallyAsync(async () => await (await _client.GetAsync($"/api/v1/operations/{operation}")).ReadJsonAsync(),
            o => o.GetProperty("state").GetString() == "Succeeded", TimeSpan.FromSeconds(20), "the delete to finish");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/v1/scaling-groups/gone")).StatusCode);
    }

    [Fact]
    public async Task CustomMetricRule_ValueAboveThreshold_AddsMembersAndRecordsInputs()
    {
        await CreateGroupAsync(new { name = "queued", template = "busybox", min = 0, max = 5, desired = 0, cooldownSeconds = 3600 });
        var policy = await _client.PostAsJsonAsync("/api/v1/scaling-groups/queued/policies", new { name = "backlog", kind = "metric", metric = "queue", @operator = "above", threshold = 10, durationSeconds = 0, adjustment = 2 });
        Assert.Equal(HttpStatusCode.Created, policy.StatusCode);

        await _client.PostAsJsonAsync("/api/v1/scaling-groups/queued/metrics", new { name = "queue", value = 50 });

        var group = await HttpJson.EventuallyAsync(() => GroupAsync("queued"), g => g.GetProperty("desired").GetInt32() == 2, TimeSpan.FromSeconds(20), "the rule to add 2");
        var decision = group.GetProperty("history")[0];
        Assert.Equal("policy", decision.GetProperty("source").GetString());
        Assert.Equal("backlog", decision.GetProperty("sourceName").GetString());
        Assert.Equal(50, decision.GetProperty("inputs").GetProperty("value").GetDouble());
        Assert.Equal("queue 50 > 10 for 0 s → add 2.", decision.GetProperty("reason").GetString());
    }
}
