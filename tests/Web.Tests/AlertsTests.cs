using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ringmaster.Contracts;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Alerts from what an agent reports through the hub, as <c>/api/v1/alerts</c> shows them and a
/// webhook receiver gets them: opened once per cause, resolved when the cause goes, acknowledged by
/// hand; deliveries signed, retried after a failing answer and logged attempt by attempt.
/// </summary>
public sealed class AlertsTests : IAsyncLifetime
{
    private const string Secret = "alerts-test-secret-0123456789";
    private readonly RingmasterFactory _factory = new() { Settings = { ["Webhooks:BackoffSeconds"] = "0.2" } };
    private readonly Guid _web = Guid.NewGuid();
    private HttpClient _client = null!;
    private ScriptedAgent _agent = null!;

    public async Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        _agent = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "alerts-host");
        _agent.Guests[_web] = ScriptedAgent.Guest(_web, "web-7", MachineState.Running);
        await _agent.ConnectAsync();
        await HttpJson.EventuallyAsync(() => _client.GetFromJsonAsync<JsonElement>($"/api/v1/machines/{_web}"),
            m => m.GetProperty("state").GetString() == "Running", TimeSpan.FromSeconds(30), "the reported machine");
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private async Task<Guid> AddWebhookAsync(WebhookReceiver receiver, string name)
    {
        var response = await _client.PostAsJsonAsync("/api/v1/webhooks", new { name, url = receiver.Url, secret = receiver.Secret });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var created = await response.ReadJsonAsync();
        Assert.Equal(receiver.Secret, created.GetProperty("secret").GetString());
        return created.GetProperty("id").GetGuid();
    }

    private Task<JsonElement> AlertsAsync(string state = "open") => _client.GetFromJsonAsync<JsonElement>($"/api/v1/alerts?state={state}");

    [Fact]
    public async Task MachineInError_OpensOneAlert_SentSigned_ResolvedWhenItRunsAgain()
    {
        await using var receiver = new WebhookReceiver(Secret);
        await AddWebhookAsync(receiver, "ops-" + Guid.NewGuid().ToString("N")[..6]);

        var broken = _agent.Guests[_web] with { State = MachineState.Error, Detail = "the engine could not start it: no space left on device" };
        await _agent.GuestChangedAsync(broken);
        await _agent.GuestChangedAsync(broken with { Detail = "still broken" });

        var opened = await receiver.NextAsync(r => r.Event == "alert.opened", TimeSpan.FromSeconds(30));
        Assert.True(opened.SignatureValid, $"signature {opened.Signature} does not match the body");
        var alert = opened.Json.GetProperty("alert");
        Assert.Equal("machine.error", alert.GetProperty("rule").GetString());
        Assert.Equal("web-7", alert.GetProperty("subject").GetString());
        Assert.Contains("no space left on device", alert.GetProperty("message").GetString());
        Assert.Equal(opened.Delivery, opened.Json.GetProperty("delivery").GetString());

        var open = await AlertsAsync();
        var listed = Assert.Single(open.EnumerateArray(), a => a.GetProperty("machineId").GetGuid() == _web);
        Assert.Equal("open", listed.GetProperty("state").GetString());

        await _agent.GuestChangedAsync(_agent.Guests[_web] with { State = MachineState.Running, Detail = null });
        var resolved = await receiver.NextAsync(r => r.Event == "alert.resolved", TimeSpan.FromSeconds(30));
        Assert.True(resolved.SignatureValid);
        Assert.Equal(alert.GetProperty("id").GetGuid(), resolved.Json.GetProperty("alert").GetProperty("id").GetGuid());
        Assert.Equal("resolved", resolved.Json.GetProperty("alert").GetProperty("state").GetString());

        // The second Error report did not open a second alert.
        Assert.Single(receiver.All, r => r.Event == "alert.opened");
        Assert.DoesNotContain((await AlertsAsync()).EnumerateArray(), a => a.GetProperty("machineId").ValueKind != JsonValueKind.Null && a.GetProperty("machineId").GetGuid() == _web);
        Assert.Equal("resolved", Assert.Single((await AlertsAsync("all")).EnumerateArray(), a => a.GetProperty("id").GetGuid() == alert.GetProperty("id").GetGuid()).GetProperty("state").GetString());
    }

    [Fact]
    public async Task HostReportsNoneOfItsTwelveMachines_OneAlertNamesThemAll_ResolvedWhenTheyAreBack()
    {
        var hostId = Guid.NewGuid();
        var hostName = "mass-" + Guid.NewGuid().ToString("N")[..6];
        await using var agent = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, hostId, hostName);
        var guests = Enumerable.Range(0, 12).Select(i => ScriptedAgent.Guest(Guid.NewGuid(), $"{hostName}-{i:00}", MachineState.Running)).ToList();
        foreach (var guest in guests)
        {
            agent.Guests[guest.Id] = guest;
        }

        await agent.ConnectAsync();
        foreach (var guest in guests)
        {
            await HttpJson.EventuallyAsync(() => _client.GetFromJsonAsync<JsonElement>($"/api/v1/machines/{guest.Id}"),
                m => m.GetProperty("state").GetString() == "Running", TimeSpan.FromSeconds(30), $"machine {guest.Name} reported");
        }

        // The agent comes back listing none of them: all twelve are Lost at once.
        agent.Guests.Clear();
        await agent.RegisterAsync();
        var open = await HttpJson.EventuallyAsync(() => AlertsAsync(),
            a => a.EnumerateArray().Any(x => x.GetProperty("hostId").ValueKind != JsonValueKind.Null && x.GetProperty("hostId").GetGuid() == hostId),
            TimeSpan.FromSeconds(30), "an alert for the host's lost machines");
        var alert = Assert.Single(open.EnumerateArray(), x => x.GetProperty("hostId").ValueKind != JsonValueKind.Null && x.GetProperty("hostId").GetGuid() == hostId);
        Assert.Equal("machine.lost", alert.GetProperty("rule").GetString());
        Assert.Equal("critical", alert.GetProperty("severity").GetString());
        Assert.Equal(JsonValueKind.Null, alert.GetProperty("machineId").ValueKind);
        Assert.Equal($"12 machines on {hostName}", alert.GetProperty("subject").GetString());
        var message = alert.GetProperty("message").GetString()!;
        Assert.Contains($"12 machines of project default on host {hostName} are Lost: {hostName}-00, {hostName}-01", message);
        Assert.Contains("and 2 more", message);

        // None of the twelve has an alert of its own, then or once every change is taken in.
        await HttpJson.EventuallyAsync(() => _client.GetFromJsonAsync<JsonElement>($"/api/v1/machines/{guests[^1].Id}"),
            m => m.GetProperty("state").GetString() == "Lost", TimeSpan.FromSeconds(30), "the last machine Lost");
        var ids = guests.Select(g => g.Id).ToHashSet();
        Assert.DoesNotContain((await AlertsAsync("all")).EnumerateArray(),
            x => x.GetProperty("machineId").ValueKind != JsonValueKind.Null && ids.Contains(x.GetProperty("machineId").GetGuid()));

        // Eleven come back: the alert stays open while one is still lost; the last one resolves it.
        foreach (var guest in guests.Take(11))
        {
            agent.Guests[guest.Id] = guest;
        }

        await agent.RegisterAsync();
        await HttpJson.EventuallyAsync(() => _client.GetFromJsonAsync<JsonElement>($"/api/v1/machines/{guests[10].Id}"),
            m => m.GetProperty("state").GetString() == "Running", TimeSpan.FromSeconds(30), "eleven machines back");
        // One of them fails after that: its own alert shows the rules have taken in every change before it.
        await agent.GuestChangedAsync(guests[0] with { State = MachineState.Error, Detail = "failed after coming back" });
        await HttpJson.EventuallyAsync(() => AlertsAsync(),
            a => a.EnumerateArray().Any(x => x.GetProperty("machineId").ValueKind != JsonValueKind.Null && x.GetProperty("machineId").GetGuid() == guests[0].Id),
            TimeSpan.FromSeconds(30), "the alert of the one machine in Error");
        Assert.Contains((await AlertsAsync()).EnumerateArray(), x => x.GetProperty("id").GetGuid() == alert.GetProperty("id").GetGuid());
        await agent.GuestChangedAsync(guests[0]);

        agent.Guests[guests[11].Id] = guests[11];
        await agent.RegisterAsync();
        await HttpJson.EventuallyAsync(() => AlertsAsync("all"),
            a => a.EnumerateArray().Any(x => x.GetProperty("id").GetGuid() == alert.GetProperty("id").GetGuid() && x.GetProperty("state").GetString() == "resolved"),
            TimeSpan.FromSeconds(30), "the group's alert resolved");
    }

    [Fact]
    public async Task ReceiverFailsTwice_DeliveryRetriedWithBackoff_AndEveryAttemptLogged()
    {
        await using var receiver = new WebhookReceiver(Secret, failFirst: 2);
        var id = await AddWebhookAsync(receiver, "flaky-" + Guid.NewGuid().ToString("N")[..6]);

        var test = await _client.PostAsync($"/api/v1/webhooks/{id}/test", null);
        Assert.Equal(HttpStatusCode.Accepted, test.StatusCode);
        var delivered = await receiver.NextAsync(r => r.Event == "webhook.test", TimeSpan.FromSeconds(30));
        Assert.True(delivered.SignatureValid);

        var delivery = await HttpJson.EventuallyAsync(
            async () => (await _client.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{id}/deliveries"))[0],
            d => d.GetProperty("state").GetString() == "delivered", TimeSpan.FromSeconds(30), "the delivery marked delivered");
        Assert.Equal(3, delivery.GetProperty("attempts").GetInt32());
        Assert.Equal(204, delivery.GetProperty("lastStatus").GetInt32());
        var log = delivery.GetProperty("log").EnumerateArray().Select(l => l.GetString()!).ToList();
        Assert.Equal(3, log.Count);
        Assert.Contains("attempt 1: 500", log[0]);
        Assert.Contains("attempt 2: 500", log[1]);
        Assert.Contains("attempt 3: 204", log[2]);

        // All three attempts carried the same body and signature.
        Assert.Equal(3, receiver.All.Count);
        Assert.Single(receiver.All.Select(r => r.Signature).Distinct());

        var hooks = await _client.GetFromJsonAsync<JsonElement>("/api/v1/webhooks");
        var hook = Assert.Single(hooks.EnumerateArray(), h => h.GetProperty("id").GetGuid() == id);
        Assert.False(hook.TryGetProperty("secret", out _));
        Assert.Equal("delivered", hook.GetProperty("lastDelivery").GetProperty("state").GetString());
    }

    [Fact]
    public async Task FailedBackup_StaysOpenUntilAcknowledged_ThenAcknowledgingAgainChangesNothing()
    {
        // The backup's command comes to the agent, which answers that it failed.
        _agent.AutoComplete = command => command.Kind == AgentCommandKind.Backup
            ? new CommandResult(command.CommandId, false, null, "The backup store is full (0 bytes free).")
            : null;
        var accepted = await _client.PostAsJsonAsync($"/api/v1/machines/{_web}/backups", new { });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        var open = await HttpJson.EventuallyAsync(() => AlertsAsync(),
            a => a.EnumerateArray().Any(x => x.GetProperty("rule").GetString() == "operation.failed"), TimeSpan.FromSeconds(30), "the failed backup's alert");
        var alert = open.EnumerateArray().Single(x => x.GetProperty("rule").GetString() == "operation.failed");
        Assert.Contains("The backup of web-7 failed", alert.GetProperty("message").GetString());
        Assert.Contains("store is full", alert.GetProperty("message").GetString());

        var id = alert.GetProperty("id").GetGuid();
        var acknowledged = await (await _client.PostAsync($"/api/v1/alerts/{id}/acknowledge", null)).ReadJsonAsync();
        Assert.Equal("acknowledged", acknowledged.GetProperty("state").GetString());
        Assert.False(string.IsNullOrEmpty(acknowledged.GetProperty("acknowledgedBy").GetString()));
        Assert.DoesNotContain((await AlertsAsync()).EnumerateArray(), a => a.GetProperty("id").GetGuid() == id);

        var again = await _client.PostAsync($"/api/v1/alerts/{id}/acknowledge", null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(acknowledged.GetProperty("acknowledgedAt").GetString(), (await again.ReadJsonAsync()).GetProperty("acknowledgedAt").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.PostAsync($"/api/v1/alerts/{Guid.NewGuid()}/acknowledge", null)).StatusCode);
    }

    [Theory]
    [InlineData("ftp://receiver.example/x", null, "url")]
    [InlineData("not a url", null, "url")]
    [InlineData("http://user:pass@127.0.0.1:9/x", null, "url")]
    [InlineData("http://127.0.0.1:9/x", "short", "secret")]
    public async Task CreateWebhook_BadInput_FieldErrorAndNothingAdded(string url, string? secret, string field)
    {
        var name = "bad-" + Guid.NewGuid().ToString("N")[..6];
        var response = await _client.PostAsJsonAsync("/api/v1/webhooks", new { name, url, secret });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadJsonAsync();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.DoesNotContain((await _client.GetFromJsonAsync<JsonElement>("/api/v1/webhooks")).EnumerateArray(), h => h.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task CreateWebhook_WithoutSecret_OneIsMadeAndShownOnce_SameNameAgainIsAConflict()
    {
        var name = "gen-" + Guid.NewGuid().ToString("N")[..6];
        var created = await (await _client.PostAsJsonAsync("/api/v1/webhooks", new { name, url = "http://127.0.0.1:9/hook" })).ReadJsonAsync();
        Assert.True(created.GetProperty("secret").GetString()!.Length >= 32);

        var again = await _client.PostAsJsonAsync("/api/v1/webhooks", new { name, url = "http://127.0.0.1:9/hook" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains(name, (await again.ReadJsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Alerts_BadState_ProblemNamingTheChoices()
    {
        var response = await _client.GetAsync("/api/v1/alerts?state=closed");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'open'", (await response.ReadJsonAsync()).GetProperty("errors").GetProperty("state")[0].GetString());
    }
}
