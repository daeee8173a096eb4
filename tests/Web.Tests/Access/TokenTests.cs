using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>API tokens: shown once, stored hashed, refused once expired or revoked.</summary>
public sealed class TokenTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _admin = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private HttpClient With(string token)
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task Create_SecretShownOnceAndStoredOnlyAsItsHash()
    {
        using var response = await _admin.PostAsJsonAsync("/api/v1/tokens", new { name = "ci", role = "Operator" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.ReadJsonAsync();
        var secret = created.GetProperty("token").GetString()!;
        Assert.StartsWith("rmt_", secret, StringComparison.Ordinal);
        Assert.Equal($"/api/v1/tokens/{created.GetProperty("id").GetGuid()}", response.Headers.Location!.OriginalString);

        var list = await (await _admin.GetAsync("/api/v1/tokens")).Content.ReadAsStringAsync();
        Assert.Contains("\"ci\"", list, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, list, StringComparison.Ordinal);

        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        var stored = await db.ApiTokens.SingleAsync(t => t.Name == "ci");
        Assert.Equal(Secrets.Hash(secret), stored.Hash);
        Assert.DoesNotContain(secret, stored.Hash + stored.Prefix, StringComparison.Ordinal);

        using var client = With(secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/machines")).StatusCode);
    }

    [Fact]
    public async Task Revoke_TokenIsRefusedAfterwards()
    {
        var created = await (await _admin.PostAsJsonAsync("/api/v1/tokens", new { name = "short-lived" })).ReadJsonAsync();
        using var client = With(created.GetProperty("token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/hosts")).StatusCode);

        using var revoked = await _admin.DeleteAsync($"/api/v1/tokens/{created.GetProperty("id").GetGuid()}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/hosts")).StatusCode);
        var list = await (await _admin.GetAsync("/api/v1/tokens")).ReadJsonAsync();
        var entry = list.GetProperty("items").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "short-lived");
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, entry.GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task Expired_TokenIsRefused()
    {
        var secret = Secrets.New(Secrets.TokenPrefix);
        await using (var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync())
        {
            db.ApiTokens.Add(new ApiTokenEntity
            {
                Id = Guid.NewGuid(),
                Name = "expired",
                Hash = Secrets.Hash(secret),
                Prefix = Secrets.Shown(secret),
                Role = AccessRole.Admin,
                CreatedBy = "test",
                CreatedAt = DateTime.UtcNow.AddDays(-2),
                ExpiresAt = DateTime.UtcNow.AddMinutes(-1),
            });
            await db.SaveChangesAsync();
        }

        using var client = With(secret);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/machines")).StatusCode);
    }

    [Fact]
    public async Task Create_ExpiryInThePast_ValidationProblem()
    {
        using var response = await _admin.PostAsJsonAsync("/api/v1/tokens", new { name = "old", expiresAt = DateTimeOffset.UtcNow.AddDays(-1) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadJsonAsync()).GetProperty("errors").TryGetProperty("expiresAt", out _));
    }

    [Fact]
    public async Task Revoke_SomeoneElsesToken_404ForNonAdmins()
    {
        (await _admin.PostAsJsonAsync("/api/v1/users", new { userName = "olga", password = "olga-password", role = "Operator" })).EnsureSuccessStatusCode();
        using var anonymous = _factory.CreateAnonymousClient();
        var login = await (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = "olga", password = "olga-password" })).ReadJsonAsync();
        var adminToken = await (await _admin.PostAsJsonAsync("/api/v1/tokens", new { name = "admins" })).ReadJsonAsync();

        using var olga = With(login.GetProperty("token").GetString()!);
        Assert.Equal(HttpStatusCode.NotFound, (await olga.DeleteAsync($"/api/v1/tokens/{adminToken.GetProperty("id").GetGuid()}")).StatusCode);
        var mine = await (await olga.GetAsync("/api/v1/tokens")).ReadJsonAsync();
        Assert.All(mine.GetProperty("items").EnumerateArray(), t => Assert.Equal("olga", t.GetProperty("user").GetString()));
    }

    [Fact]
    public async Task DeletedUser_TokensStopWorking()
    {
        (await _admin.PostAsJsonAsync("/api/v1/users", new { userName = "gone", password = "gone-password", role = "Viewer" })).EnsureSuccessStatusCode();
        using var anonymous = _factory.CreateAnonymousClient();
        var login = await (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = "gone", password = "gone-password" })).ReadJsonAsync();
        using var client = With(login.GetProperty("token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/machines")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync("/api/v1/users/gone")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/machines")).StatusCode);
    }
}
