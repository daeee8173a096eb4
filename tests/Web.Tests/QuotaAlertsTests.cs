using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Access;
using Ringmaster.Web.Services;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// The quota rule: when a project's machines use the threshold's share of a quota (75 % here, a
/// setting), one alert opens, shown at <c>/api/v1/alerts</c> and sent to the webhooks; it resolves
/// when the use is back below (here: the quota raised or lifted).
/// </summary>
public sealed class QuotaAlertsTests : IAsyncLifetime
{
    private const string Secret = "quota-alerts-secret-0123456789";
    private const string Rule = "quota.near-limit";
    private readonly RingmasterFactory _factory = new()
    {
        Settings = { ["Webhooks:BackoffSeconds"] = "0.2", ["Alerts:QuotaThresholdPercent"] = "75" },
    };

    private readonly Guid _web = Guid.NewGuid();
    private HttpClient _client = null!;
    private ScriptedAgent _agent = null!;

    public async Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        // One machine in the default project: 1 vCPU, 64 MiB, 1 GiB of disk.
        _agent = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "quota-host");
        _agent.Guests[_web] = ScriptedAgent.Guest(_web, "web-1", MachineState.Running);
        await _agent.ConnectAsync();
        await HttpJson.EventuallyAsync(() => _client.GetFromJsonAsync<JsonElement>($"/api/v1/machines/{_web}"),
            m => m.GetProperty("state").GetString() == "Running", TimeSpan.FromSeconds(30), "the reported machine");
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private async Task<JsonElement[]> QuotaAlertsAsync(string state = "open") =>
        [.. (await _client.GetFromJsonAsync<JsonElement>($"/api/v1/alerts?state={state}")).EnumerateArray().Where(a => a.GetProperty("rule").GetString() == Rule)];

    private async Task SetQuotasAsync(object quotas)
    {
        using var response = await _client.PutAsJsonAsync("/api/v1/projects/default/quotas", quotas);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MachinesReachTheThreshold_OneAlertOpensAndIsSent_ResolvedWhenTheQuotaIsRaised()
    {
        await using var receiver = new WebhookReceiver(Secret);
        using (var hook = await _client.PostAsJsonAsync("/api/v1/webhooks", new { name = "quota-ops", url = receiver.Url, secret = receiver.Secret }))
        {
            Assert.Equal(HttpStatusCode.Created, hook.StatusCode);
        }

        // One machine of four: 25 %.
        await SetQuotasAsync(new { maxMachines = 4 });
        Assert.Empty(await QuotaAlertsAsync());

        // Another host comes with two guests, which join the project: three of four, 75 %.
        await using var other = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "quota-host-2");
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        other.Guests[a] = ScriptedAgent.Guest(a, "app-1", MachineState.Running);
        other.Guests[b] = ScriptedAgent.Guest(b, "app-2", MachineState.Running);
        await other.ConnectAsync();

        var opened = await receiver.NextAsync(r => r.Event == "alert.opened", TimeSpan.FromSeconds(30));
        Assert.True(opened.SignatureValid, $"signature {opened.Signature} does not match the body");
        var alert = opened.Json.GetProperty("alert");
        Assert.Equal(Rule, alert.GetProperty("rule").GetString());
        Assert.Equal("default machines", alert.GetProperty("subject").GetString());
        Assert.Equal("default", alert.GetProperty("project").GetString());
        Assert.Contains("uses 3 of the 4 machines its quota allows (75 %, alerts from 75 %)", alert.GetProperty("message").GetString());

        // More reports of the same machines (a state change, the agent connecting again) open nothing more.
        await other.GuestChangedAsync(other.Guests[a] with { State = MachineState.Stopped });
        await other.RegisterAsync();
        await HttpJson.EventuallyAsync(() => _client.GetFromJsonAsync<JsonElement>($"/api/v1/machines/{a}"),
            m => m.GetProperty("state").GetString() == "Stopped", TimeSpan.FromSeconds(30), "the stopped machine");
        var open = Assert.Single(await QuotaAlertsAsync());
        Assert.Equal(alert.GetProperty("id").GetGuid(), open.GetProperty("id").GetGuid());

        // Room again: three of ten.
        await SetQuotasAsync(new { maxMachines = 10 });
        var resolved = await receiver.NextAsync(r => r.Event == "alert.resolved", TimeSpan.FromSeconds(30));
        Assert.True(resolved.SignatureValid);
        Assert.Equal(alert.GetProperty("id").GetGuid(), resolved.Json.GetProperty("alert").GetProperty("id").GetGuid());
        Assert.Empty(await QuotaAlertsAsync());
        Assert.Single(receiver.All, r => r.Event == "alert.opened");
    }

    [Fact]
    public async Task MachineDeleted_UseFallsBelowTheThreshold_AlertResolves()
    {
        await SetQuotasAsync(new { maxMachines = 4 });
        await using var other = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "quota-host-3");
        other.AutoComplete = command => new CommandResult(command.CommandId, true, null, null);
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        other.Guests[a] = ScriptedAgent.Guest(a, "job-1", MachineState.Running);
        other.Guests[b] = ScriptedAgent.Guest(b, "job-2", MachineState.Running);
        await other.ConnectAsync();
        var opened = await HttpJson.EventuallyAsync(() => QuotaAlertsAsync(), alerts => alerts.Length == 1, TimeSpan.FromSeconds(30), "the machines quota's alert");
        Assert.Equal("default machines", opened[0].GetProperty("subject").GetString());

        // Two of four: 50 %.
        using (var deleted = await _client.DeleteAsync($"/api/v1/machines/{a}"))
        {
            Assert.True(deleted.StatusCode == HttpStatusCode.Accepted, await deleted.Content.ReadAsStringAsync());
        }

        await HttpJson.EventuallyAsync(() => QuotaAlertsAsync("all"), alerts => alerts.Length == 1 && alerts[0].GetProperty("state").GetString() == "resolved",
            TimeSpan.FromSeconds(30), "the alert resolved once the machine is gone");
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/machines/{a}")).StatusCode);
        Assert.Empty(await QuotaAlertsAsync());
    }

    [Fact]
    public async Task QuotaLoweredToWhatIsUsed_AlertsAtOnce_BelowTheThresholdItDoesNot_LiftedItResolves()
    {
        // 1 vCPU of 2: 50 %, under the threshold.
        await SetQuotasAsync(new { maxVcpus = 2, maxMemoryMiB = 1024 });
        Assert.Empty(await QuotaAlertsAsync());

        // 1 of 1: 100 %. The memory (64 of 1024 MiB) stays quiet.
        await SetQuotasAsync(new { maxVcpus = 1, maxMemoryMiB = 1024 });
        var alert = Assert.Single(await QuotaAlertsAsync());
        Assert.Equal("default vCPUs", alert.GetProperty("subject").GetString());
        Assert.Contains("uses 1 of the 1 vCPUs its quota allows (100 %", alert.GetProperty("message").GetString());

        // Setting the same quotas again does not open a second one.
        await SetQuotasAsync(new { maxVcpus = 1, maxMemoryMiB = 1024 });
        Assert.Single(await QuotaAlertsAsync());

        await SetQuotasAsync(new { maxVcpus = (int?)null, maxMemoryMiB = 1024 });
        Assert.Empty(await QuotaAlertsAsync());
        var all = await QuotaAlertsAsync("all");
        Assert.Equal("resolved", Assert.Single(all).GetProperty("state").GetString());
    }

    [Fact]
    public async Task QuotaLoweredOnTheDashboard_AlertsAtOnce_AsThroughTheApi()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var claims = new List<Claim> { new(ClaimTypes.Name, "ada"), new(AccessClaims.Role, nameof(AccessRole.Admin)), new(ClaimTypes.Role, nameof(AccessRole.Admin)) };
        ((IHostEnvironmentAuthenticationStateProvider)scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>())
            .SetAuthenticationState(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity(claims, "test", ClaimTypes.Name, ClaimTypes.Role)))));
        var admin = scope.ServiceProvider.GetRequiredService<AccessAdmin>();

        // 1 vCPU of 1: 100 %, set from the project's page.
        var saved = await admin.SetQuotasAsync("default", new ProjectQuotasView(1, null, null, null, null));

        Assert.Equal(ResultKind.Ok, saved.Kind);
        var alert = Assert.Single(await QuotaAlertsAsync());
        Assert.Equal("default vCPUs", alert.GetProperty("subject").GetString());
        var audit = (await _client.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=50")).GetProperty("items").EnumerateArray()
            .Single(e => e.GetProperty("action").GetString() == "project.quotas");
        Assert.Equal("ada", audit.GetProperty("user").GetString());
        Assert.Equal("project default", audit.GetProperty("target").GetString());
    }
}
