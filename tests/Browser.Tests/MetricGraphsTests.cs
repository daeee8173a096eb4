using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Browser.Tests;

/// <summary>The history graphs of a machine page in Chromium: drawn from what the embedded agent sends, with a range picker whose range the address keeps.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class MetricGraphsTests(BrowserFixture fixture)
{
    private RingmasterApp App => fixture.App;

    [GeneratedRegex(@"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:\d\d$")]
    private static partial Regex DayAndTime();

    [Fact]
    public async Task MachinePage_ShowsGraphsAndRangePicker_PickingADayDrawsTheDayAndSurvivesAReload()
    {
        var name = "graphs-" + Guid.NewGuid().ToString("N")[..6];
        var id = await CreateRunningContainerAsync(name);
        var data = App.Services.GetRequiredService<IDashboardData>();
        var machine = (await data.GetMachineAsync(id))!;
        // Three hours ago, before the machine was made, it was busy: only the day's graph reaches back that far.
        var history = App.Services.GetRequiredService<MetricsHistory>();
        history.RecordGuests(machine.HostId!.Value, [new GuestMetrics(id, DateTimeOffset.UtcNow.AddHours(-3), 99, 32L << 20, 64L << 20, 0, 0, 0, 0)]);
        await WaitForRecentSampleAsync(data, id);

        var page = await fixture.NewPageAsync();
        await App.GotoAsync(page, $"/machines/{id}");

        var graphs = page.GetByTestId("metric-graphs");
        await Expect(graphs).ToHaveAttributeAsync("data-range", "1h");
        await Expect(page.GetByTestId("range-picker")).ToBeVisibleAsync();
        foreach (var range in new[] { "1h", "1d", "1w", "1y" })
        {
            await Expect(page.GetByTestId($"range-{range}")).ToBeVisibleAsync();
        }

        await Expect(page.GetByTestId("range-1h")).ToHaveClassAsync(new Regex("mud-toggle-item-selected"));
        var cpu = page.GetByTestId("graph-cpu");
        await Expect(cpu).ToBeVisibleAsync();
        await Expect(page.GetByTestId("graph-memory")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("graph-disk")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("graph-network")).ToBeVisibleAsync();
        await Expect(cpu.GetByTestId("graph-peak")).Not.ToHaveTextAsync("peak 99 %");
        await Expect(cpu.Locator("[data-test=y-label]").Last).ToHaveTextAsync("100 %");

        await page.GetByTestId("range-1d").ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex($"/machines/{id}\\?range=1d$"));
        await Expect(graphs).ToHaveAttributeAsync("data-range", "1d");
        await Expect(page.GetByTestId("range-1d")).ToHaveClassAsync(new Regex("mud-toggle-item-selected"));
        await Expect(cpu.GetByTestId("graph-peak")).ToHaveTextAsync("peak 99 %");
        await Expect(cpu.Locator("[data-test=x-label]").First).ToHaveTextAsync(DayAndTime());
        await BrowserFixture.ScreenshotAsync(page, "machine-graphs-1d");

        await page.ReloadAsync();
        await RingmasterApp.WaitInteractiveAsync(page);
        await Expect(page.GetByTestId("metric-graphs")).ToHaveAttributeAsync("data-range", "1d");
        await Expect(page.GetByTestId("graph-cpu").GetByTestId("graph-peak")).ToHaveTextAsync("peak 99 %");
        await page.Context.CloseAsync();
    }

    /// <summary>Waits until the agent's figures of the running machine are in its hour (it sends them every second).</summary>
    private static async Task WaitForRecentSampleAsync(IDashboardData data, Guid id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await data.GetMetricsAsync(MetricOwner.Machine, id, MetricsHistory.Tiers[0]))?.Points.Count is not > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The agent sent no figures of the running machine within 30 s.");
            await Task.Delay(200);
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

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private static IPageAssertions Expect(IPage page) => Assertions.Expect(page);
}
