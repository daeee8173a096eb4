using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>The audit log records changes, refusals and sign-ins without secrets; rate limits answer 429 problems.</summary>
public sealed class AuditAndLimitTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new()
    {
        Settings =
        {
            ["Access:SignInPermitLimit"] = "3",
            ["Access:FailedTokenPermitLimit"] = "4",
        },
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<List<JsonElement>> AuditAsync(HttpClient admin) =>
        [.. (await (await admin.GetAsync("/api/v1/audit?limit=100")).ReadJsonAsync()).GetProperty("items").EnumerateArray()];

    [Fact]
    public async Task Audit_RecordsChangesRefusalsAndSignInsWithoutSecrets()
    {
        using var admin = _factory.CreateClient();
        (await admin.PostAsJsonAsync("/api/v1/projects", new { name = "audited" })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/v1/users", new { userName = "val", password = "val-password", role = "Viewer" })).EnsureSuccessStatusCode();
        var created = await (await admin.PostAsJsonAsync("/api/v1/tokens", new { name = "audit-token" })).ReadJsonAsync();
        var secret = created.GetProperty("token").GetString()!;
        using var anonymous = _factory.CreateAnonymousClient();
        var login = await (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = "val", password = "val-password" })).ReadJsonAsync();
        (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = "val", password = "not-it" })).Dispose();
        using var viewer = _factory.CreateClient();
        viewer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("token").GetString());
        (await viewer.DeleteAsync("/api/v1/machines/whatever")).Dispose();

        var entries = await HttpJson.EventuallyAsync(() => AuditAsync(admin), e => e.Any(x => x.GetProperty("user").GetString() == "val" && x.GetProperty("status").GetInt32() == 403), TimeSpan.FromSeconds(10), "the refusal in the audit log");

        var project = entries.Single(e => e.GetProperty("action").GetString() == "POST /api/v1/projects/");
        Assert.Equal("bootstrap", project.GetProperty("user").GetString());
        Assert.Equal(201, project.GetProperty("status").GetInt32());
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "POST /api/v1/tokens/" && e.GetProperty("status").GetInt32() == 201);
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "auth.login" && e.GetProperty("user").GetString() == "val" && e.GetProperty("status").GetInt32() == 200);
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "auth.login" && e.GetProperty("user").GetString() == "val" && e.GetProperty("status").GetInt32() == 401);
        var refused = entries.Single(e => e.GetProperty("user").GetString() == "val" && e.GetProperty("status").GetInt32() == 403);
        Assert.Equal("/api/v1/machines/whatever", refused.GetProperty("target").GetString());
        Assert.All(entries, e => Assert.False(string.IsNullOrEmpty(e.GetProperty("at").GetString())));

        var all = string.Join("\n", entries.Select(e => e.ToString()));
        Assert.DoesNotContain(secret, all, StringComparison.Ordinal);
        Assert.DoesNotContain("val-password", all, StringComparison.Ordinal);
        Assert.DoesNotContain("not-it", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_ApiChanges_NameWhatTheyChanged_AndKeepThePath()
    {
        using var admin = _factory.CreateClient();
        var created = await (await admin.PostAsJsonAsync("/api/v1/tokens", new { name = "named-token" })).ReadJsonAsync();
        var id = created.GetProperty("id").GetString();
        (await admin.DeleteAsync($"/api/v1/tokens/{id}")).EnsureSuccessStatusCode();
        using var notJson = await admin.PostAsync("/api/v1/tokens", new StringContent("{ not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);

        var entries = await HttpJson.EventuallyAsync(() => AuditAsync(admin),
            e => e.Any(x => x.GetProperty("action").GetString() == "DELETE /api/v1/tokens/{id:guid}") && e.Any(x => x.GetProperty("status").GetInt32() == 400),
            TimeSpan.FromSeconds(10), "the revocation and the refused create in the audit log");

        var create = entries.Single(x => x.GetProperty("action").GetString() == "POST /api/v1/tokens/" && x.GetProperty("status").GetInt32() == 201);
        Assert.Equal("named-token", create.GetProperty("target").GetString());
        Assert.Equal("/api/v1/tokens", create.GetProperty("detail").GetString());
        var revoke = entries.Single(x => x.GetProperty("action").GetString() == "DELETE /api/v1/tokens/{id:guid}");
        Assert.Equal("named-token", revoke.GetProperty("target").GetString());
        Assert.Equal($"/api/v1/tokens/{id}", revoke.GetProperty("detail").GetString());
        Assert.DoesNotContain(entries, x => x.GetProperty("target").GetString()!.Contains(id!, StringComparison.OrdinalIgnoreCase));
        var refused = entries.Single(x => x.GetProperty("action").GetString() == "POST /api/v1/tokens/" && x.GetProperty("status").GetInt32() == 400);
        Assert.Equal("/api/v1/tokens", refused.GetProperty("target").GetString());
    }

    [Fact]
    public async Task Audit_Paged_CursorGoesBackInTime()
    {
        using var admin = _factory.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            (await admin.PostAsJsonAsync("/api/v1/projects", new { name = $"paged-{i}" })).EnsureSuccessStatusCode();
        }

        await HttpJson.EventuallyAsync(() => AuditAsync(admin), e => e.Count(x => x.GetProperty("target").GetString()!.StartsWith("paged-", StringComparison.Ordinal)) >= 3, TimeSpan.FromSeconds(10), "three audit entries");
        var first = await (await admin.GetAsync("/api/v1/audit?limit=2")).ReadJsonAsync();
        Assert.Equal(2, first.GetProperty("items").GetArrayLength());
        var next = first.GetProperty("nextCursor").GetString();
        var second = await (await admin.GetAsync($"/api/v1/audit?limit=2&cursor={next}")).ReadJsonAsync();
        Assert.True(second.GetProperty("items")[0].GetProperty("id").GetInt64() < first.GetProperty("items")[1].GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Login_TooManyAttempts_429ProblemEvenWithTheRightPassword()
    {
        using var anonymous = _factory.CreateAnonymousClient();
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = "admin", password = "guess-" + i });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var limited = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = "admin", password = TestAccess.AdminPassword });
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(limited.Headers.RetryAfter);
    }

    [Fact]
    public async Task BadTokens_TooMany_429WhileAValidTokenStillWorks()
    {
        using var guesser = _factory.CreateAnonymousClient();
        for (var i = 0; i < 4; i++)
        {
            guesser.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "rmt_guess" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.GetAsync("/api/v1/machines")).StatusCode);
        }

        guesser.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "rmt_guess-again");
        using var limited = await guesser.GetAsync("/api/v1/machines");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);

        using var admin = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/machines")).StatusCode);
    }
}
