using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Access;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Names never hold control or format characters: every endpoint that takes a name (or free text)
/// refuses NUL, CR/LF, bidi overrides, line separators and the like with a 400 naming the field, and
/// keeps nothing of what it refused.
/// </summary>
public sealed class NameRulesTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private HttpClient _client = null!;

    /// <summary>Each as it is written inside a JSON string: CR/LF header injection, NUL, a bidi override, a line separator, a zero-width space, an escape, a bidi isolate.</summary>
    public static TheoryData<string> HostileNames => new()
    {
        @"a\r\nX-Injected: 1", @"a\u0000b", @"\u202Eexe.txt", @"a\u2028b", @"zero\u200Bwidth", @"esc\u001B[31m", @"\u2066isolate\u2069",
    };

    public async Task InitializeAsync()
    {
        _client = _factory.CreateClient();

        // A machine on no host: its snapshot and clone requests get as far as checking their names.
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        AccessFixture.AddMachine(db, "named", "default", null);
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task AssertRefusedAsync(string method, string path, string body, string field)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path} {body}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"{method} {path}: the problem should name '{field}': {text}");
    }

    private async Task<string> CreatedIdAsync(string path, string body)
    {
        using var response = await _client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").ToString();
    }

    private async Task<string> EverythingListedAsync()
    {
        var all = new StringBuilder();
        foreach (var path in new[] { "/api/v1/tokens", "/api/v1/join-tokens", "/api/v1/users", "/api/v1/projects", "/api/v1/machines", "/api/v1/templates", "/api/v1/images", "/api/v1/schedules", "/api/v1/scaling-groups" })
        {
            all.Append(await _client.GetStringAsync(path));
        }

        return all.ToString();
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task Create_NameWithControlOrFormCharacters_400NamingTheFieldAndNothingKept(string hostile)
    {
        var group = await CreatedIdAsync("/api/v1/scaling-groups", """{"name": "names-group", "template": "busybox", "min": 0, "max": 1, "desired": 0}""");
        var before = await EverythingListedAsync();

        await AssertRefusedAsync("POST", "/api/v1/tokens", $$"""{"name": "{{hostile}}"}""", "name");
        await AssertRefusedAsync("POST", "/api/v1/join-tokens", $$"""{"name": "{{hostile}}"}""", "name");
        await AssertRefusedAsync("POST", "/api/v1/auth/login", $$"""{"userName": "admin", "password": "{{TestAccess.AdminPassword}}", "tokenName": "{{hostile}}"}""", "tokenName");
        await AssertRefusedAsync("POST", "/api/v1/users", $$"""{"userName": "{{hostile}}", "password": "a-long-enough-password"}""", "userName");
        await AssertRefusedAsync("POST", "/api/v1/projects", $$"""{"name": "{{hostile}}"}""", "name");
        await AssertRefusedAsync("POST", "/api/v1/projects", $$"""{"name": "fine", "description": "{{hostile.Replace(@"\r\n", @"\u0085", StringComparison.Ordinal)}}"}""", "description");
        await AssertRefusedAsync("POST", "/api/v1/machines", $$"""{"name": "{{hostile}}", "template": "busybox"}""", "name");
        await AssertRefusedAsync("POST", "/api/v1/machines", $$$"""{"name": "fine", "template": "busybox", "labels": {"team": "{{{hostile}}}"}}""", "labels");
        await AssertRefusedAsync("POST", "/api/v1/templates", $$"""{"name": "{{hostile}}", "image": "busybox"}""", "name");
        await AssertRefusedAsync("POST", "/api/v1/images", $$"""{"name": "{{hostile}}", "kind": "container", "path": "x.tar"}""", "name");
        await AssertRefusedAsync("POST", "/api/v1/schedules", $$"""{"name": "{{hostile}}", "job": "snapshot", "cron": "0 3 * * *", "selector": "team=web"}""", "name");
        await AssertRefusedAsync("POST", "/api/v1/schedules", $$"""{"name": "fine", "job": "snapshot", "cron": "0 3 * * *", "selector": "team={{hostile}}"}""", "selector");
        await AssertRefusedAsync("POST", "/api/v1/scaling-groups", $$"""{"name": "{{hostile}}", "template": "busybox"}""", "name");
        await AssertRefusedAsync("POST", "/api/v1/scaling-groups", $$$"""{"name": "fine", "template": "busybox", "labels": {"team": "{{{hostile}}}"}}""", "labels");
        await AssertRefusedAsync("POST", $"/api/v1/scaling-groups/{group}/policies", $$"""{"name": "{{hostile}}", "kind": "schedule", "cron": "0 8 * * *", "target": "min", "value": 1}""", "name");
        await AssertRefusedAsync("POST", $"/api/v1/scaling-groups/{group}/scripts", $$"""{"name": "{{hostile}}", "source": "log(1);"}""", "name");
        await AssertRefusedAsync("POST", $"/api/v1/scaling-groups/{group}/scripts", $$"""{"name": "fine", "source": "log(1);", "note": "{{hostile.Replace(@"\r\n", @"\u0085", StringComparison.Ordinal)}}"}""", "note");
        await AssertRefusedAsync("POST", $"/api/v1/scaling-groups/{group}/metrics", $$"""{"name": "{{hostile}}", "value": 1}""", "name");
        await AssertRefusedAsync("POST", "/api/v1/machines/named/snapshots", $$"""{"name": "{{hostile}}"}""", "name");
        await AssertRefusedAsync("POST", "/api/v1/machines/named/snapshots", $$"""{"name": "fine", "description": "{{hostile.Replace(@"\r\n", @"\u0085", StringComparison.Ordinal)}}"}""", "description");
        await AssertRefusedAsync("POST", "/api/v1/machines/named/clone", $$"""{"name": "{{hostile}}"}""", "name");

        Assert.Equal(before, await EverythingListedAsync());
        Assert.Equal("[]", await _client.GetStringAsync($"/api/v1/scaling-groups/{group}/policies"));
        Assert.Equal("[]", await _client.GetStringAsync($"/api/v1/scaling-groups/{group}/scripts"));
    }

    [Fact]
    public async Task Create_NameWithHalfASurrogatePair_400Problem()
    {
        // Not text at all: the JSON reader refuses it before any rule runs.
        using var response = await _client.PostAsync("/api/v1/tokens", new StringContent("""{"name": "half\uD800"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("half", await _client.GetStringAsync("/api/v1/tokens"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_PlainNamesAndMultiLineDescriptions_Accepted()
    {
        await CreatedIdAsync("/api/v1/tokens", """{"name": "CI pipeline – nightly (ünïcode)"}""");
        await CreatedIdAsync("/api/v1/join-tokens", """{"name": "rack 3 / row 2"}""");
        using var project = await _client.PostAsync("/api/v1/projects", new StringContent("""{"name": "lines", "description": "first line\r\nsecond line\twith a tab"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, project.StatusCode);
        Assert.Equal("first line\r\nsecond line\twith a tab", (await project.ReadJsonAsync()).GetProperty("description").GetString());
    }
}
