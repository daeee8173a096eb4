using System.Text.Json;
using Ringmaster.Cli.Tests.Infrastructure;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Cli.Tests;

/// <summary>
/// <c>ringmaster login</c> against <c>POST /api/v1/auth/login</c> (users and tokens come with the
/// auth work; the admin's password is set through RINGMASTER_ADMIN_PASSWORD).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CliLoginTests : IAsyncLifetime, IDisposable
{
    private const string Password = "cli-test-Password-1";
    private readonly RingmasterFactory _factory = new();
    private CliRunner _cli = null!;
    private Uri _server = null!;

    public Task InitializeAsync()
    {
        _factory.Settings["RINGMASTER_ADMIN_PASSWORD"] = Password;
        _factory.Settings["Ringmaster:AdminPassword"] = Password;
        var client = _factory.StartKestrel();
        _server = client.BaseAddress!;
        _cli = new CliRunner();
        _cli.Variables["RINGMASTER_URL"] = _server.ToString();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Login_PasswordOnStdin_SavesServerAndTokenWithMode0600_ThenCommandsWork()
    {
        _cli.Input = Password + "\n";

        var result = await _cli.RunAsync("login", "--user", "admin", "--password-stdin");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"Signed in to {_server} as admin", result.Out);
        var config = JsonDocument.Parse(await File.ReadAllTextAsync(_cli.ConfigPath)).RootElement;
        Assert.Equal(_server.ToString(), config.GetProperty("server").GetString());
        Assert.False(string.IsNullOrWhiteSpace(config.GetProperty("token").GetString()));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cli.ConfigPath));

        _cli.Variables.Remove("RINGMASTER_URL");
        var hosts = await _cli.RunAsync("hosts", "list");
        Assert.True(hosts.ExitCode == 0, hosts.ToString());
        Assert.StartsWith("NAME", hosts.Out);
    }

    [Fact]
    public async Task Login_PromptsForUserAndPassword_PasswordReadWithoutEcho()
    {
        _cli.Input = "admin\n";
        _cli.ReadSecret = _ => Password;

        var result = await _cli.RunAsync("login");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("User: ", result.Error);
        Assert.Equal(["Password: "], _cli.Prompts);
        Assert.DoesNotContain(Password, result.Out + result.Error);
        Assert.True(File.Exists(_cli.ConfigPath));
    }

    [Fact]
    public async Task Login_WrongPassword_RefusedAndNothingSaved()
    {
        _cli.Input = "not-the-password\n";

        var result = await _cli.RunAsync("login", "--user", "admin", "--password-stdin");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Sign-in refused: wrong user name or password", result.Error);
        Assert.False(File.Exists(_cli.ConfigPath));
    }

    [Fact]
    public async Task Login_NoTerminalAndNoPasswordStdin_ClearUsageError()
    {
        var result = await _cli.RunAsync("login", "--user", "admin");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--password-stdin", result.Error);
    }
}
