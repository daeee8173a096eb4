using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>No secret (password, token, join token, agent credential) in any log line, at any level.</summary>
public sealed class LogHygieneTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private readonly LogCapture _logs = new();
    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> _app = null!;

    public Task InitializeAsync()
    {
        _app = _factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs)));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task SignInTokensAndJoinTokens_NoSecretInAnyLogLine()
    {
        using var admin = _app.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestAccess.BootstrapToken);
        (await admin.PostAsJsonAsync("/api/v1/users", new { userName = "lena", password = "lena-secret-password", role = "Operator" })).EnsureSuccessStatusCode();
        using var anonymous = _app.CreateClient();
        var login = await (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = "lena", password = "lena-secret-password" })).ReadJsonAsync();
        (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = "lena", password = "lena-wrong-password" })).Dispose();
        var token = await (await admin.PostAsJsonAsync("/api/v1/tokens", new { name = "logged?" })).ReadJsonAsync();
        var join = await (await admin.PostAsJsonAsync("/api/v1/join-tokens", new { name = "logged?" })).ReadJsonAsync();
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "rmt_guessed-secret-value");
        (await anonymous.GetAsync("/api/v1/machines")).Dispose();
        using (var lena = _app.CreateClient())
        {
            lena.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("token").GetString());
            (await lena.GetAsync("/api/v1/machines")).EnsureSuccessStatusCode();
        }

        var secrets = new[]
        {
            TestAccess.BootstrapToken, TestAccess.AdminPassword, _factory.JoinToken, "lena-secret-password", "lena-wrong-password", "rmt_guessed-secret-value",
            login.GetProperty("token").GetString()!, token.GetProperty("token").GetString()!, join.GetProperty("token").GetString()!,
        };
        Assert.NotEmpty(_logs.Lines);
        Assert.Contains(_logs.Lines, l => l.Contains("bootstrap admin token", StringComparison.Ordinal));
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(_logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }
}
