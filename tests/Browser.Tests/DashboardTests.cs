using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Browser.Tests;

/// <summary>The dashboard tried as a new user would, in Chromium, against the real app and its embedded agent.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class DashboardTests(BrowserFixture fixture)
{
    private static readonly TimeSpan s_live = TimeSpan.FromSeconds(5);
    private RingmasterApp App => fixture.App;

    [Fact]
    public async Task EveryPage_NewUser_ShowsRealDataInWords()
    {
        var page = await fixture.NewPageAsync();

        await App.GotoAsync(page, "/");
        await Expect(page.GetByTestId("hosts-online")).ToHaveTextAsync("1");
        await Expect(page.Locator("[data-test=capacity-host][data-host=browser-test-host]")).ToContainTextAsync("vCPUs");
        await BrowserFixture.ScreenshotAsync(page, "overview");

        await NavigateAsync(page, "Hosts");
        var host = page.Locator("[data-test=host][data-host=browser-test-host]");
        await Expect(host.GetByTestId("host-status")).ToHaveTextAsync("online");
        await Expect(host.GetByTestId("capabilities")).ToContainTextAsync("hardware virtualization:");
        await Expect(host.GetByTestId("capabilities")).ToContainTextAsync("KVM:");
        await Expect(host.GetByTestId("capabilities")).ToContainTextAsync("container engine:");
        await BrowserFixture.ScreenshotAsync(page, "hosts");

        await NavigateAsync(page, "Catalog");
        await Expect(page.Locator("[data-template=busybox]")).ToContainTextAsync("BusyBox container");
        await Expect(page.Locator("[data-template=default]")).ToContainTextAsync("RISC-V");
        await BrowserFixture.ScreenshotAsync(page, "catalog");

        await NavigateAsync(page, "Machines");
        await Expect(page.GetByTestId("machines-grid")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "machines");

        await NavigateAsync(page, "Operations");
        await Expect(page.GetByTestId("operation-total")).ToContainTextAsync("operations");
        await BrowserFixture.ScreenshotAsync(page, "operations");

        await page.GetByTestId("theme-toggle").ClickAsync();
        await BrowserFixture.ScreenshotAsync(page, "operations-dark");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Catalog_LaunchBusybox_LandsOnConsoleThatEchoes()
    {
        var page = await fixture.NewPageAsync();
        await App.GotoAsync(page, "/catalog");

        await page.Locator("[data-template=busybox]").GetByTestId("launch").ClickAsync();
        await Expect(page.GetByTestId("launch-progress")).ToBeVisibleAsync();
        await page.WaitForURLAsync(MachineUrl(), new() { Timeout = 120_000 });
        fixture.Created.Add(Guid.Parse(page.Url[^36..]));
        await Expect(page.GetByTestId("state")).ToHaveTextAsync("running", new() { Timeout = 30_000 });

        var console = page.GetByTestId("console");
        await Expect(console).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 30_000 });
        await TypeInConsoleAsync(page, "echo hello-ringmaster");
        // Once echoed as typed, once as the command's output.
        await WaitForConsoleAsync(page, text => Regex.Count(text, "hello-ringmaster") >= 2, TimeSpan.FromSeconds(20));
        await BrowserFixture.ScreenshotAsync(page, "machine-console-busybox");

        // The terminal told the container its size: stty sees as many rows as xterm fitted.
        var rows = await page.EvaluateAsync<int>("() => document.querySelector('[data-test=console] .xterm-rows')?.children.length ?? 0");
        Assert.True(rows > 5, $"xterm showed {rows} rows");
        await TypeInConsoleAsync(page, "stty size");
        await WaitForConsoleAsync(page, text => Regex.IsMatch(text, $@"^{rows} \d+\s*$", RegexOptions.Multiline), TimeSpan.FromSeconds(20));

        await page.GetByTestId("machine-operations").GetByRole(AriaRole.Link).First.ClickAsync();
        await Expect(page.GetByTestId("operation-state")).ToHaveTextAsync("succeeded");
        await BrowserFixture.ScreenshotAsync(page, "operation-detail");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task MachineConsole_WithoutXterm_PlainConsoleWorksAndSurvivesRestart()
    {
        var name = "plain-console-" + Guid.NewGuid().ToString("N")[..6];
        var id = await CreateRunningContainerAsync(name);
        var page = await fixture.NewPageAsync();
        // As when the app was built without npm: xterm.js is not there.
        await page.RouteAsync("**/lib/xterm/**", route => route.FulfillAsync(new() { Status = 404 }));

        await App.GotoAsync(page, $"/machines/{id}");
        var console = page.GetByTestId("console");
        await Expect(console).ToHaveAttributeAsync("data-console", "text");
        await Expect(console).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 30_000 });
        await TypeInConsoleAsync(page, "echo plain-$((40+2))");
        await WaitForConsoleAsync(page, text => text.Contains("plain-42", StringComparison.Ordinal), TimeSpan.FromSeconds(20));

        await page.GetByTestId("action-restart").ClickAsync();
        await Expect(page.GetByTestId("machine-operations")).ToContainTextAsync("restart", new() { Timeout = 10_000 });
        await Expect(page.Locator("[data-test=machine-operations] [data-test=operation-row]").First).ToContainTextAsync("succeeded", new() { Timeout = 60_000 });
        await Expect(page.GetByTestId("state")).ToHaveTextAsync("running");
        await Expect(console).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 30_000 });
        await WaitForConsoleAsync(page, _ => true, TimeSpan.FromSeconds(1));
        await RetryTypingAsync(page, "echo again-$((40+3))", "again-43", TimeSpan.FromSeconds(30));
        await BrowserFixture.ScreenshotAsync(page, "machine-console-plain-after-restart");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Catalog_LaunchDefaultVm_BootsLinuxAndUnameSaysRiscv64()
    {
        var page = await fixture.NewPageAsync();
        await App.GotoAsync(page, "/catalog");

        await page.Locator("[data-template=default]").GetByTestId("launch").ClickAsync();
        await page.WaitForURLAsync(MachineUrl(), new() { Timeout = 120_000 });
        fixture.Created.Add(Guid.Parse(page.Url[^36..]));
        await Expect(page.GetByTestId("console")).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 30_000 });
        // xterm renders only the rows in view, and the boot takes a second or two: wait for the prompt,
        // then the kernel's own lines are still on screen above it.
        await WaitForConsoleAsync(page, text => PromptPattern().IsMatch(text), TimeSpan.FromMinutes(3));
        await WaitForConsoleAsync(page, text => Regex.IsMatch(text, @"^\[\s*\d+\.\d+\] ", RegexOptions.Multiline) && text.Contains("BusyBox", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        await BrowserFixture.ScreenshotAsync(page, "machine-console-vm-boot");

        await TypeInConsoleAsync(page, "uname -m");
        await WaitForConsoleAsync(page, text => Regex.IsMatch(text, @"^riscv64\s*$", RegexOptions.Multiline), TimeSpan.FromSeconds(30));
        await BrowserFixture.ScreenshotAsync(page, "machine-console-vm-uname");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Machines_StopFromGrid_StateChangesLiveInBothTabs()
    {
        var name = "grid-stop-" + Guid.NewGuid().ToString("N")[..6];
        await CreateRunningContainerAsync(name);

        var first = await fixture.NewPageAsync();
        var second = await first.Context.NewPageAsync();
        await App.GotoAsync(first, "/machines");
        await App.GotoAsync(second, "/machines");
        foreach (var tab in new[] { first, second })
        {
            await FilterByNameAsync(tab, name);
            await Expect(State(tab, name)).ToHaveTextAsync("running");
        }

        var checkbox = Row(first, name).Locator("input[type=checkbox]");
        await checkbox.CheckAsync();
        await Expect(first.GetByTestId("selected-count")).ToHaveTextAsync("1 selected");
        await Expect(checkbox).ToBeCheckedAsync();
        await first.GetByTestId("bulk-stop").ClickAsync();
        await Expect(first.GetByTestId("bulk-preview")).ToContainTextAsync($"{name} (running): will stop");
        await BrowserFixture.ScreenshotAsync(first, "machines-bulk-preview");
        await first.GetByTestId("bulk-confirm").ClickAsync();
        await Expect(first.GetByTestId("bulk-result")).ToContainTextAsync("stop started");
        await first.GetByTestId("bulk-close").ClickAsync();

        // No reload: the change is pushed to both tabs.
        try
        {
            await Expect(State(first, name)).ToHaveTextAsync("stopped", new() { Timeout = 30_000 });
        }
        catch (PlaywrightException)
        {
            var data = App.Services.GetRequiredService<Ringmaster.Web.Services.IDashboardData>();
            var machine = (await data.QueryMachinesAsync(new(Name: name))).Items.Single();
            Assert.Fail($"{name} did not show as stopped; the inventory says {machine.State}: {machine.Detail}");
        }

        await Expect(State(second, name)).ToHaveTextAsync("stopped", new() { Timeout = 5_000 });
        await BrowserFixture.ScreenshotAsync(second, "machines-stopped-second-tab");
        await first.Context.CloseAsync();
    }

    [Fact]
    public async Task MachinePage_Stop_AsksFirstThenConsoleSaysStoppedAndReconnectsOnStart()
    {
        var name = "page-stop-" + Guid.NewGuid().ToString("N")[..6];
        var id = await CreateRunningContainerAsync(name);
        var page = await fixture.NewPageAsync();
        await App.GotoAsync(page, $"/machines/{id}");
        var console = page.GetByTestId("console");
        var status = page.GetByTestId("console-status");
        await Expect(console).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 30_000 });
        await Expect(status).ToContainTextAsync("Connected");

        await page.GetByTestId("action-stop").ClickAsync();
        var dialog = page.Locator(".mud-dialog");
        await Expect(dialog).ToContainTextAsync($"Stop {name}?");
        await BrowserFixture.ScreenshotAsync(page, "machine-stop-confirm");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);

        await Expect(page.GetByTestId("state")).ToHaveTextAsync("stopped", new() { Timeout = 30_000 });
        await Expect(console).ToHaveAttributeAsync("data-state", "stopped");
        await Expect(status).ToHaveTextAsync($"{name} is stopped: the console is disconnected and connects again when it starts.");
        await BrowserFixture.ScreenshotAsync(page, "machine-console-stopped");

        await page.GetByTestId("action-start").ClickAsync();
        await Expect(page.GetByTestId("state")).ToHaveTextAsync("running", new() { Timeout = 30_000 });
        await Expect(console).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 30_000 });
        await Expect(status).ToContainTextAsync("Connected");
        await page.Context.CloseAsync();
    }

    /// <summary>Follows a link of the navigation drawer, as a user would.</summary>
    private static Task NavigateAsync(IPage page, string name) =>
        page.Locator(".mud-drawer").GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).ClickAsync();

    /// <summary>
    /// Types a name into the grid's filter and waits until the grid shows what the server answered
    /// for it: the field waits 250 ms after the last key before it asks, so until then the rows on
    /// screen are the unfiltered page, about to be read again.
    /// </summary>
    private static async Task FilterByNameAsync(IPage page, string name)
    {
        await page.Locator("input[data-test=filter-name], [data-test=filter-name] input").First.FillAsync(name);
        await Expect(page.GetByTestId("grid-total")).ToHaveAttributeAsync("data-name-filter", name);
        await Expect(page.Locator("[data-test=machines-grid] tbody tr")).ToHaveCountAsync(1);
    }

    private static ILocator Row(IPage page, string machine) => page.Locator("tr", new() { Has = page.Locator($"[data-machine='{machine}']") });

    private static ILocator State(IPage page, string machine) => page.Locator($"[data-machine='{machine}'] [data-test=state]");

    private Regex MachineUrl() => new($"^{Regex.Escape(App.Address.ToString())}machines/[0-9a-f-]{{36}}$");

    /// <summary>Types a command until its output shows (the shell may still be starting after a restart).</summary>
    private static async Task RetryTypingAsync(IPage page, string command, string expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await TypeInConsoleAsync(page, command);
            try
            {
                await WaitForConsoleAsync(page, text => text.Contains(expected, StringComparison.Ordinal), TimeSpan.FromSeconds(3));
                return;
            }
            catch (Xunit.Sdk.FailException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }

    private async Task<Guid> CreateRunningContainerAsync(string name)
    {
        using var scope = App.Services.CreateScope();
        var machines = scope.ServiceProvider.GetRequiredService<MachineService>();
        var result = await machines.CreateAsync(new CreateMachineRequest(name, "busybox"), "browser-test");
        Assert.True(result.Kind == ResultKind.Ok, result.Message + " " + string.Join(" ", result.Errors?.SelectMany(e => e.Value) ?? []));
        fixture.Created.Add(result.Value!.Machine!.Id);
        await scope.ServiceProvider.GetRequiredService<OperationService>().WhenIdleAsync();
        return result.Value.Machine.Id;
    }

    internal static async Task TypeInConsoleAsync(IPage page, string line)
    {
        var console = page.GetByTestId("console");
        if (await console.GetAttributeAsync("data-console") == "xterm")
        {
            await console.ClickAsync();
            await page.Keyboard.TypeAsync(line);
            await page.Keyboard.PressAsync("Enter");
        }
        else
        {
            await console.Locator("input").FillAsync(line);
            await console.Locator("input").PressAsync("Enter");
        }
    }

    /// <summary>Waits until the console shows text that satisfies <paramref name="condition"/>.</summary>
    internal static async Task WaitForConsoleAsync(IPage page, Func<string, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var text = "";
        while (DateTime.UtcNow < deadline)
        {
            text = await ConsoleTextAsync(page);
            if (condition(text))
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"The console did not show what was expected within {timeout.TotalSeconds:0} s; it shows:\n{text}");
    }

    /// <summary>What the console shows on screen (xterm's rows, or the plain console's text).</summary>
    internal static Task<string> ConsoleTextAsync(IPage page) => page.EvaluateAsync<string>("""
        () => {
          const c = document.querySelector('[data-test=console]');
          const rows = c.querySelector('.xterm-rows');
          if (rows) return Array.from(rows.children).map(r => r.textContent.replace(/\u00a0/g, ' ')).join('\n');
          const pre = c.querySelector('pre');
          return pre ? pre.textContent : '';
        }
        """);

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [GeneratedRegex(@"[#$] *$", RegexOptions.Multiline)]
    internal static partial Regex PromptPattern();
}
