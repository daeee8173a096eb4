using System.Text.Json;
using Ringmaster.Cli.Tests.Infrastructure;

namespace Ringmaster.Cli.Tests;

/// <summary><c>ringmaster hosts|machines|console|operations</c> against a real server with an embedded agent and busybox containers.</summary>
public sealed class MachinesCliTests(CliServerFixture server) : IClassFixture<CliServerFixture>, IDisposable
{
    private static readonly TimeSpan s_consoleTimeout = TimeSpan.FromSeconds(30);
    private readonly CliRunner _cli = CliRunner.For(server.Client);

    public void Dispose() => _cli.Dispose();

    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private static string Field(string output, string key) =>
        output.Split('\n').Select(l => l.TrimEnd('\r')).Single(l => l.StartsWith(key + ":", StringComparison.Ordinal))[(key.Length + 1)..].Trim();

    [Fact]
    public async Task HostsList_EmbeddedHost_TableShowsItOnline()
    {
        var result = await _cli.RunAsync("hosts", "list");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NAME", lines[0]);
        var row = lines.Single(l => l.StartsWith("test-host ", StringComparison.Ordinal));
        Assert.Contains(" yes ", row);
    }

    [Fact]
    public async Task MachineLifecycle_BusyboxContainer_CreateListStopShowStartDelete()
    {
        var name = NewName("cli");

        var created = await _cli.RunAsync("machines", "create", name, "--template", "busybox", "--label", "team=cli");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal(name, Field(created.Out, "Name"));
        Assert.StartsWith("Running", Field(created.Out, "State"));
        Assert.Equal("team=cli", Field(created.Out, "Labels"));
        Assert.Contains("[100%] done", created.Error);

        var listed = await _cli.RunAsync("machines", "list");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        var row = listed.Out.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.Contains(" container ", row);
        Assert.Contains(" Running ", row);
        Assert.Contains(" test-host ", row);

        var json = await _cli.RunAsync("machines", "list", "--json", "--label", "team=cli");
        Assert.True(json.ExitCode == 0, json.ToString());
        var machine = JsonDocument.Parse(json.Out).RootElement.EnumerateArray().Single(m => m.GetProperty("name").GetString() == name);
        Assert.Equal("Running", machine.GetProperty("state").GetString());
        Assert.Equal("cli", machine.GetProperty("labels").GetProperty("team").GetString());

        var stopped = await _cli.RunAsync("machines", "stop", name, "--force");
        Assert.True(stopped.ExitCode == 0, stopped.ToString());
        Assert.StartsWith("Stopped", Field(stopped.Out, "State"));

        var shown = await _cli.RunAsync("machines", "show", name, "--json");
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Equal("Stopped", JsonDocument.Parse(shown.Out).RootElement.GetProperty("state").GetString());

        var started = await _cli.RunAsync("machines", "start", name);
        Assert.True(started.ExitCode == 0, started.ToString());
        Assert.StartsWith("Running", Field(started.Out, "State"));

        var deleted = await _cli.RunAsync("machines", "delete", name);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());

        var gone = await _cli.RunAsync("machines", "show", name);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("No such machine", gone.Error);
        Assert.Equal("", gone.Out);
    }

    [Fact]
    public async Task PauseThenResume_BusyboxContainer_ShowsPausedThenRunning()
    {
        var name = NewName("cli-pause");
        var created = await _cli.RunAsync("machines", "create", name, "--template", "busybox");
        Assert.True(created.ExitCode == 0, created.ToString());

        var paused = await _cli.RunAsync("machines", "pause", name);
        Assert.True(paused.ExitCode == 0, paused.ToString());
        Assert.StartsWith("Paused", Field(paused.Out, "State"));

        var pausedAgain = await _cli.RunAsync("machines", "pause", name);
        Assert.NotEqual(0, pausedAgain.ExitCode);
        Assert.Contains("Paused", pausedAgain.Error);

        var resumed = await _cli.RunAsync("machines", "resume", name);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.StartsWith("Running", Field(resumed.Out, "State"));

        var deleted = await _cli.RunAsync("machines", "delete", name);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
    }

    [Fact]
    public async Task CreateNoWait_ThenOperationsWatch_PrintsIdThenFollowsToDone()
    {
        var name = NewName("cli-nw");

        var created = await _cli.RunAsync("machines", "create", name, "--template", "busybox", "--no-start", "--no-wait");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.True(Guid.TryParse(created.Out.Trim(), out var operationId), created.ToString());

        var watched = await _cli.RunAsync("operations", "watch", operationId.ToString());
        Assert.True(watched.ExitCode == 0, watched.ToString());
        Assert.Contains($"{name} [100%] done", watched.Out);

        var shown = await _cli.RunAsync("machines", "show", name, "--json");
        Assert.Equal("Stopped", JsonDocument.Parse(shown.Out).RootElement.GetProperty("state").GetString());
        Assert.Equal(0, (await _cli.RunAsync("machines", "delete", name)).ExitCode);
    }

    [Fact]
    public async Task Console_BusyboxContainer_EchoComesBackAndCtrlBracketDetaches()
    {
        var name = NewName("cli-con");
        Assert.Equal(0, (await _cli.RunAsync("machines", "create", name, "--template", "busybox")).ExitCode);
        _cli.Terminal = new FakeTerminal((101, 31));

        var session = _cli.RunAsync("console", name);
        await _cli.Terminal.WaitForAsync(_ => _cli.Terminal.InRawMode, s_consoleTimeout);
        await Task.Delay(500);
        _cli.Terminal.Type("echo cli-$((20+22))\n");
        var seen = await _cli.Terminal.WaitForAsync(s => s.Contains("cli-42", StringComparison.Ordinal), s_consoleTimeout);
        Assert.Contains("cli-42", seen);
        _cli.Terminal.Type("stty size\n");
        seen = await _cli.Terminal.WaitForAsync(s => s.Contains("31 101", StringComparison.Ordinal), s_consoleTimeout);
        Assert.Contains("31 101", seen);
        _cli.Terminal.Type(0x1D);
        var result = await session.WaitAsync(s_consoleTimeout);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Detached.", result.Error);
        Assert.False(_cli.Terminal.InRawMode, "the terminal must leave raw mode on detach");
        var machine = JsonDocument.Parse((await _cli.RunAsync("machines", "show", name, "--json")).Out).RootElement;
        Assert.Equal("Running", machine.GetProperty("state").GetString());
        Assert.Equal(0, (await _cli.RunAsync("machines", "delete", name)).ExitCode);
    }

    [Fact]
    public async Task Create_InvalidNameAndMemory_FieldErrorsAndExitCode1()
    {
        var result = await _cli.RunAsync("machines", "create", "Not_A_Name!", "--template", "busybox", "--memory", "1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: The request is not valid. (400)", result.Error);
        Assert.Contains("  name: The name must be", result.Error);
        Assert.Contains("  memoryMiB: Memory must be between", result.Error);
    }

    [Fact]
    public async Task Create_UnknownTemplate_ListsKnownTemplates()
    {
        var result = await _cli.RunAsync("machines", "create", NewName("cli-bad"), "--template", "no-such-template");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("template: Unknown template. Known templates: busybox", result.Error);
    }

    [Fact]
    public async Task CreateWithIso_ContainerTemplateAndUnknownImage_FieldErrorsAndExitCode1()
    {
        var result = await _cli.RunAsync("machines", "create", NewName("cli-iso"), "--template", "busybox", "--iso", "no-such-iso", "--disk", "2");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("  iso: Unknown image 'no-such-iso'", result.Error);
        Assert.Contains("installing from an ISO is for QEMU VMs.", result.Error);
    }

    [Fact]
    public async Task Eject_MachineWithoutCd_RefusedSayingThereIsNothingToEject()
    {
        var name = NewName("cli-ej");
        Assert.Equal(0, (await _cli.RunAsync("machines", "create", name, "--template", "busybox", "--no-start")).ExitCode);
        try
        {
            var result = await _cli.RunAsync("machines", "eject", name);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"Machine {name} has no CD in its drive; there is nothing to eject.", result.Error);
            Assert.DoesNotContain("CD-ROM", (await _cli.RunAsync("machines", "show", name)).Out);
        }
        finally
        {
            Assert.Equal(0, (await _cli.RunAsync("machines", "delete", name)).ExitCode);
        }
    }

    [Theory]
    [InlineData("machines", "create", "x")]
    [InlineData("machines", "frobnicate")]
    [InlineData("machines", "create", "x", "--template", "busybox", "--vcpus", "many")]
    public async Task BadCommandLine_UsageErrorExitCode2(params string[] args)
    {
        var result = await _cli.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Create_LabelWithoutEquals_UsageError()
    {
        var result = await _cli.RunAsync("machines", "create", NewName("cli-l"), "--template", "busybox", "--label", "oops");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("The label 'oops' is not key=value.", result.Error);
    }

    [Fact]
    public async Task ServerPrecedence_FlagBeatsEnvironmentBeatsConfigFile()
    {
        var real = server.Client.BaseAddress!.ToString();
        const string Dead = "http://127.0.0.1:9/";
        Directory.CreateDirectory(Path.GetDirectoryName(_cli.ConfigPath)!);

        // Config file alone.
        _cli.Variables.Remove("RINGMASTER_URL");
        await File.WriteAllTextAsync(_cli.ConfigPath, JsonSerializer.Serialize(new { server = real }));
        Assert.Equal(0, (await _cli.RunAsync("hosts", "list")).ExitCode);

        // The environment beats the config file.
        _cli.Variables["RINGMASTER_URL"] = Dead;
        var fromEnvironment = await _cli.RunAsync("hosts", "list");
        Assert.Equal(1, fromEnvironment.ExitCode);
        Assert.Contains("Cannot reach the server at http://127.0.0.1:9/", fromEnvironment.Error);

        // The flag beats the environment.
        Assert.Equal(0, (await _cli.RunAsync("hosts", "list", "--server", real)).ExitCode);
    }

    [Fact]
    public async Task ServerFlag_NotAnHttpUrl_UsageError()
    {
        var result = await _cli.RunAsync("hosts", "list", "--server", "file:///etc/passwd");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is not an http:// or https:// URL", result.Error);
    }
}
