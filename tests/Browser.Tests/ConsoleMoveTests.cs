using System.Diagnostics;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Shared;
using static Microsoft.Playwright.Assertions;

namespace Ringmaster.Browser.Tests;

/// <summary>
/// Its own app with a second host (a real agent process), alone: the other browser tests' app has one
/// host, and they count on it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TwoHostsCollection
{
    public const string Name = "browser, two hosts";
}

/// <summary>
/// A console open in the browser while its VM moves live to another host follows the machine: the
/// status says it reconnected there, the terminal says so, and what is typed next runs on the VM on
/// its new host, with no reload. (Once it said "Connected" and showed nothing for 20 s.)
/// </summary>
[Collection(TwoHostsCollection.Name)]
public sealed class ConsoleMoveTests : IAsyncLifetime
{
    private readonly BrowserFixture _fixture = new();
    private readonly string _agentData = Directory.CreateTempSubdirectory("ringmaster-browser-b-").FullName;
    private readonly string _target = "browser-b-" + Guid.NewGuid().ToString("N")[..6];
    private AgentProcess? _agent;

    private RingmasterApp App => _fixture.App;

    public async Task InitializeAsync()
    {
        await _fixture.InitializeAsync();
        _agent = AgentProcess.Start(App.Address, App.JoinToken, _agentData, _target);
        var inventory = App.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            await using var db = await inventory.CreateDbContextAsync();
            if (await db.Hosts.AnyAsync(h => h.Name == _target && h.Online))
            {
                return;
            }

            Assert.False(_agent.HasExited, $"the second agent ended: {_agent.Output}");
            Assert.True(DateTime.UtcNow < deadline, $"the second agent did not come online: {_agent.Output}");
            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        // The fixture deletes the machines first, through the agent that holds them now.
        await _fixture.DisposeAsync();
        _agent?.Dispose();

        Directory.Delete(_agentData, recursive: true);
    }

    [Fact]
    public async Task Console_OpenDuringALiveMove_SaysItReconnectedOnTheNewHostAndTypingRunsThere()
    {
        var source = "browser-test-host";
        var name = "console-move-" + Guid.NewGuid().ToString("N")[..6];
        using var scope = App.Services.CreateScope();
        var created = await scope.ServiceProvider.GetRequiredService<MachineService>()
            .CreateAsync(new CreateMachineRequest(name, "default", MemoryMiB: 64, Host: source), "browser-test");
        Assert.True(created.Kind == ResultKind.Ok, created.Message);
        var id = created.Value!.Machine!.Id;
        _fixture.Created.Add(id);

        var page = await _fixture.NewPageAsync();
        await App.GotoAsync(page, $"/machines/{id}");
        var console = page.GetByTestId("console");
        await Expect(console).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 60_000 });
        await DashboardTests.WaitForConsoleAsync(page, text => DashboardTests.PromptPattern().IsMatch(text), TimeSpan.FromMinutes(3));
        await DashboardTests.TypeInConsoleAsync(page, "echo before-$((6*7))");
        await DashboardTests.WaitForConsoleAsync(page, text => text.Contains("before-42", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        await Expect(page.GetByText($"on {source}")).ToBeVisibleAsync();

        var moved = await scope.ServiceProvider.GetRequiredService<MigrationService>().MigrateAsync(id, new MigrateRequest(_target, Live: true), "browser-test");
        Assert.True(moved.Kind == ResultKind.Ok, moved.Message);
        await scope.ServiceProvider.GetRequiredService<OperationService>().WhenIdleAsync();
        await using (var db = await App.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync())
        {
            var operation = await db.Operations.SingleAsync(o => o.Id == moved.Value!.Operation.Id);
            Assert.True(operation.State == OperationStatus.Succeeded, $"the move {operation.State}: {operation.Error}");
        }

        // The page follows by itself: the machine's host, the console's status, a line in the terminal.
        await Expect(page.GetByText($"on {_target}")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("console-status")).ToContainTextAsync($"Reconnected after the move to {_target}.", new() { Timeout = 30_000 });
        await Expect(console).ToHaveAttributeAsync("data-state", "open");
        await DashboardTests.WaitForConsoleAsync(page, text => text.Contains($"reconnected after the move to {_target}", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        await DashboardTests.TypeInConsoleAsync(page, "echo after-$((6*7))");
        await DashboardTests.WaitForConsoleAsync(page, text => text.Contains("after-42", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        await console.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotFolder, "machine-console-after-move.png") });
        await page.Context.CloseAsync();
    }
}

/// <summary>An agent as its own process (the build's ringmaster-agent), dialling <paramref name="server"/>; its output kept for failures.</summary>
internal sealed class AgentProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AgentProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static AgentProcess Start(Uri server, string token, string data, string name)
    {
        var root = SourceCheckout.Root ?? throw new InvalidOperationException("Console.sln not found above the test assembly.");
        var configuration = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(root, "src/Agents/bin", configuration, "net10.0/ringmaster-agent.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var arg in (string[])[dll, "--server", server.GetLeftPart(UriPartial.Authority), "--token", token, "--data", data, "--name", name])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("RINGMASTER_JOIN_TOKEN");
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        return new AgentProcess(Process.Start(info)!);
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
