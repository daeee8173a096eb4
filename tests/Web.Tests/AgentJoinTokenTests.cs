using System.Text;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// A standalone agent takes its join token from a private file or from the environment, so that the
/// token never shows in the host's process list; a token file others can read is refused.
/// </summary>
[Collection(ProcessTests.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AgentJoinTokenTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("ringmaster-join-").FullName;
    private readonly string _token = "join-" + Guid.NewGuid().ToString("N");
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly int _port = RingmasterProcess.FreePort();
    private readonly List<RingmasterProcess> _processes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    private RingmasterProcess Track(RingmasterProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private string TokenFile(string name, UnixFileMode mode)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, _token + "\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static string CommandLine(RingmasterProcess process) =>
        Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{process.Id}/cmdline")).Replace('\0', ' ');

    [Fact]
    public async Task Agent_TokenFileReadableByOthers_ExitsSayingSoWithoutDialing()
    {
        var file = TokenFile("token", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var agent = Track(RingmasterProcess.StartAgentWith(
            ["--server", $"http://127.0.0.1:{_port}", "--token-file", file, "--data", Path.Combine(_root, "agent"), "--name", "loose-" + _suffix], []));

        Assert.True(await agent.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the agent should refuse a token file others can read");
        Assert.Equal(2, agent.ExitCode);
        Assert.Contains($"the token file {file} can be read or changed by other users (mode 0644); make it private first: chmod 600 {file}", agent.Output);
    }

    [Fact]
    public async Task Agent_TokenFromPrivateFileOrEnvironment_JoinsWithTheTokenNowhereInItsCommandLine()
    {
        var api = ApiClient.For(_port);
        Track(RingmasterProcess.StartWeb(_port, Path.Combine(_root, "web"), _token));
        var fromFile = "file-" + _suffix;
        var fromEnvironment = "env-" + _suffix;
        var data = Directory.CreateDirectory(Path.Combine(_root, "file-agent")).FullName;
        File.SetUnixFileMode(data, (UnixFileMode)0b111_101_101);

        var fileAgent = Track(RingmasterProcess.StartAgentWith(
            ["--server", $"http://127.0.0.1:{_port}", "--token-file", TokenFile("token", UnixFileMode.UserRead | UnixFileMode.UserWrite), "--data", data, "--name", fromFile], []));
        var environmentAgent = Track(RingmasterProcess.StartAgentWith(
            ["--server", $"http://127.0.0.1:{_port}", "--data", Path.Combine(_root, "env-agent"), "--name", fromEnvironment],
            new() { ["RINGMASTER_JOIN_TOKEN"] = _token }));

        var hosts = await HttpJson.EventuallyAsync(async () =>
        {
            try
            {
                return await api.GetAsync("/api/v1/hosts");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                return default;
            }
        }, h => h.ValueKind != JsonValueKind.Undefined && new[] { fromFile, fromEnvironment }.All(name =>
            h.GetProperty("items").EnumerateArray().Any(x => x.GetProperty("name").GetString() == name && x.GetProperty("online").GetBoolean())),
            TimeSpan.FromSeconds(90), "both agents online");

        Assert.Equal(2, hosts.GetProperty("items").GetArrayLength());
        Assert.DoesNotContain(_token, CommandLine(fileAgent), StringComparison.Ordinal);
        Assert.DoesNotContain(_token, CommandLine(environmentAgent), StringComparison.Ordinal);
        Assert.DoesNotContain("--token shows", fileAgent.Output + environmentAgent.Output, StringComparison.Ordinal);
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(data));
    }
}
