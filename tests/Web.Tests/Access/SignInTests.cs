using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>Who gets in: nobody without a token or cookie, the admin with the right password, the bootstrap token as admin.</summary>
public sealed class SignInTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Theory]
    [InlineData("GET", "/api/v1/machines")]
    [InlineData("GET", "/api/v1/hosts")]
    [InlineData("GET", "/api/v1/operations")]
    [InlineData("POST", "/api/v1/machines")]
    [InlineData("GET", "/api/v1/tokens")]
    [InlineData("GET", "/api/v1/events")]
    public async Task Api_WithoutCredentials_401Problem(string method, string path)
    {
        using var client = _factory.CreateAnonymousClient();
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? JsonContent.Create(new { name = "x", template = "busybox" }) : null });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task Api_WithUnknownToken_401()
    {
        using var client = _factory.CreateAnonymousClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "rmt_not-a-token");
        using var response = await client.GetAsync("/api/v1/machines");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/login")]
    [InlineData("/api/docs")]
    [InlineData("/readyz")]
    public async Task PublicPaths_WithoutCredentials_Answer(string path)
    {
        using var client = _factory.CreateAnonymousClient();
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task DashboardPage_WithoutCookie_RedirectsToLogin()
    {
        using var client = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = null;
        using var response = await client.GetAsync("/machines");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        Assert.Contains("ReturnUrl=%2Fmachines", response.Headers.Location!.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_AdminPassword_GivesWorkingAdminToken()
    {
        using var client = _factory.CreateAnonymousClient();
        using var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { userName = "admin", password = TestAccess.AdminPassword, tokenName = "cli" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        var token = body.GetProperty("token").GetString()!;
        Assert.StartsWith("rmt_", token, StringComparison.Ordinal);
        Assert.Equal("admin", body.GetProperty("userName").GetString());
        Assert.Equal("Admin", body.GetProperty("role").GetString());
        var expires = body.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddDays(29), DateTimeOffset.UtcNow.AddDays(31));

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var users = await client.GetAsync("/api/v1/tokens");
        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
        var tokens = await users.ReadJsonAsync();
        Assert.Contains(tokens.GetProperty("items").EnumerateArray(), t => t.GetProperty("name").GetString() == "cli" && t.GetProperty("user").GetString() == "admin");
        Assert.DoesNotContain(token, tokens.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("admin", "wrong-password")]
    [InlineData("nobody", "test-admin-password")]
    [InlineData("", "")]
    public async Task Login_BadCredentials_401Problem(string userName, string password)
    {
        using var client = _factory.CreateAnonymousClient();
        using var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { userName, password });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("token", (await response.ReadJsonAsync()).EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task OpenApi_ShowsBearerAndCookieSchemes()
    {
        using var client = _factory.CreateAnonymousClient();
        var document = await (await client.GetAsync("/openapi/v1.json")).ReadJsonAsync();
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("cookie", schemes.GetProperty("cookie").GetProperty("in").GetString());
        Assert.True(document.GetProperty("security").GetArrayLength() >= 2);
    }
}
