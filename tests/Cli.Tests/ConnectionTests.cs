using System.Text.Json;
using Ringmaster.Cli.Tests.Infrastructure;

namespace Ringmaster.Cli.Tests;

/// <summary>Which server and token a command uses: flags, then the environment, then the config file.</summary>
public sealed class ConnectionTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private CliEnvironment Env() => new()
    {
        Out = TextWriter.Null,
        Error = TextWriter.Null,
        In = TextReader.Null,
        Terminal = new FakeTerminal(),
        GetVariable = name => name == "XDG_CONFIG_HOME" ? _cli.ConfigHome : _cli.Variables.GetValueOrDefault(name),
    };

    private void WriteConfig(string server, string token)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_cli.ConfigPath)!);
        File.WriteAllText(_cli.ConfigPath, JsonSerializer.Serialize(new { server, token }));
    }

    [Fact]
    public void Resolve_NothingConfigured_LocalDefaultWithoutToken()
    {
        var connection = Connection.Resolve(null, null, Env());

        Assert.Equal(new Uri("http://127.0.0.1:5080/"), connection.Server);
        Assert.Null(connection.Token);
    }

    [Fact]
    public void Resolve_ConfigFileOnly_ItsServerAndToken()
    {
        WriteConfig("https://console.example:8443", "from-config");

        var connection = Connection.Resolve(null, null, Env());

        Assert.Equal(new Uri("https://console.example:8443/"), connection.Server);
        Assert.Equal("from-config", connection.Token);
    }

    [Fact]
    public void Resolve_EnvironmentSet_BeatsConfigFile()
    {
        WriteConfig("https://console.example:8443", "from-config");
        _cli.Variables["RINGMASTER_URL"] = "https://console.example:8443";
        _cli.Variables["RINGMASTER_TOKEN"] = "from-env";

        var connection = Connection.Resolve(null, null, Env());

        Assert.Equal("from-env", connection.Token);
    }

    [Fact]
    public void Resolve_FlagsSet_BeatEnvironment()
    {
        _cli.Variables["RINGMASTER_URL"] = "https://env.example";
        _cli.Variables["RINGMASTER_TOKEN"] = "from-env";

        var connection = Connection.Resolve("http://flag.example:5080", "from-flag", Env());

        Assert.Equal(new Uri("http://flag.example:5080/"), connection.Server);
        Assert.Equal("from-flag", connection.Token);
    }

    [Fact]
    public void Resolve_OtherServerThanConfigFile_ConfigTokenNotSent()
    {
        WriteConfig("https://console.example:8443", "from-config");

        var connection = Connection.Resolve("https://elsewhere.example", null, Env());

        Assert.Equal(new Uri("https://elsewhere.example/"), connection.Server);
        Assert.Null(connection.Token);
    }

    [Fact]
    public async Task BrokenConfigFile_ClearMessageAndUsageExit()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_cli.ConfigPath)!);
        await File.WriteAllTextAsync(_cli.ConfigPath, "{ not json");

        var result = await _cli.RunAsync("hosts", "list");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"The config file {_cli.ConfigPath} is not valid JSON", result.Error);
    }
}
