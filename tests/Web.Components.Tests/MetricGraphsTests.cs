using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>
/// The history graphs of the machine and host pages: the samples of the picked range drawn with
/// their axes, the range picker, the range kept in the address, and what shows while there is
/// nothing (yet) to draw.
/// </summary>
public sealed class MetricGraphsTests : DashboardTestContext
{
    private const long MiB = 1L << 20;
    private static readonly DateTimeOffset s_now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    public MetricGraphsTests()
    {
        Data.Now = s_now;
    }

    /// <summary>
    /// Six points of the last hour (10 s apart, CPU 30 to 80 %) and three of five hours ago (CPU 95 %,
    /// 10 MiB/s read): the hour shows the six, the day all nine.
    /// </summary>
    private MachineView SeedMachine()
    {
        var machine = Sample.Machine("db-1", MachineState.Running, MachineKind.Vm);
        Data.Machines.Add(machine);
        List<MetricPoint> points = [];
        for (var i = 0; i < 3; i++)
        {
            points.Add(new MetricPoint(s_now.AddHours(-5).AddMinutes(i), 95, 200 * MiB, 256 * MiB, 10 * MiB, 0, 1000, 500, null));
        }

        for (var i = 0; i < 6; i++)
        {
            points.Add(new MetricPoint(s_now.AddMinutes(-5).AddSeconds(10 * i), 30 + (10 * i), (100 + i) * MiB, 256 * MiB, 2048, 1024, 4096, 512, null));
        }

        Data.History[machine.Id] = points;
        return machine;
    }

    private static string Local(DateTimeOffset at, string format) => at.ToLocalTime().ToString(format, CultureInfo.InvariantCulture);

    [Fact]
    public void MachineDetail_HourOfSamples_DrawsCpuMemoryDiskAndNetworkWithUnitsOnTheirAxes()
    {
        var machine = SeedMachine();

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("1h", cut.Find("[data-test=metric-graphs]").GetAttribute("data-range"));
            Assert.Contains("mud-toggle-item-selected", cut.Find("[data-test=range-1h]").ClassName);
            var cpu = cut.Find("[data-test=graph-cpu]");
            Assert.Equal("6", cpu.GetAttribute("data-points"));
            Assert.Equal("peak 80 %", cpu.QuerySelector("[data-test=graph-peak]")!.TextContent);
            Assert.Equal(["0 %", "50 %", "100 %"], cpu.QuerySelectorAll("[data-test=y-label]").Select(l => l.TextContent));
            // The time axis runs over the hour before now.
            var times = cpu.QuerySelectorAll("[data-test=x-label]").Select(l => l.TextContent).ToList();
            Assert.Equal(Local(s_now.AddHours(-1), "HH:mm"), times[0]);
            Assert.Equal(Local(s_now, "HH:mm"), times[^1]);
            // One unbroken stroke through six points 10 s apart.
            var line = cpu.QuerySelector("[data-test=graph-line]")!.GetAttribute("d")!;
            Assert.Equal(1, line.Count(c => c == 'M'));
            Assert.Equal(5, line.Count(c => c == 'L'));

            var memory = cut.Find("[data-test=graph-memory]");
            Assert.Equal("peak 256 MiB", memory.QuerySelector("[data-test=graph-peak]")!.TextContent);
            Assert.Contains("MiB", memory.QuerySelectorAll("[data-test=y-label]")[^1].TextContent);
            Assert.Equal(["used", "limit"], memory.QuerySelectorAll("[data-test=graph-line]").Select(l => l.GetAttribute("data-series")));

            var disk = cut.Find("[data-test=graph-disk]");
            Assert.Equal("peak 2 KiB/s", disk.QuerySelector("[data-test=graph-peak]")!.TextContent);
            Assert.Equal(["read", "write"], disk.QuerySelectorAll("[data-test=graph-line]").Select(l => l.GetAttribute("data-series")));
            Assert.EndsWith("/s", disk.QuerySelectorAll("[data-test=y-label]")[^1].TextContent, StringComparison.Ordinal);

            var network = cut.Find("[data-test=graph-network]");
            Assert.Equal("peak 4 KiB/s", network.QuerySelector("[data-test=graph-peak]")!.TextContent);
            Assert.Equal(["received", "sent"], network.QuerySelectorAll("[data-test=graph-line]").Select(l => l.GetAttribute("data-series")));
            Assert.Empty(cut.FindAll("[data-test=graph-mips]"));
        });
        Assert.Equal(["1h"], Data.HistoryQueries);
    }

    [Fact]
    public void PickADay_DrawsTheOlderSamplesToo_AndKeepsTheRangeInTheAddress()
    {
        var machine = SeedMachine();
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo($"/machines/{machine.Id}");
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));
        cut.WaitForAssertion(() => Assert.Equal("6", cut.Find("[data-test=graph-cpu]").GetAttribute("data-points")));

        cut.Find("[data-test=range-1d]").Click();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("1d", cut.Find("[data-test=metric-graphs]").GetAttribute("data-range"));
            Assert.Contains("mud-toggle-item-selected", cut.Find("[data-test=range-1d]").ClassName);
            Assert.DoesNotContain("mud-toggle-item-selected", cut.Find("[data-test=range-1h]").ClassName);
            var cpu = cut.Find("[data-test=graph-cpu]");
            Assert.Equal("9", cpu.GetAttribute("data-points"));
            Assert.Equal("peak 95 %", cpu.QuerySelector("[data-test=graph-peak]")!.TextContent);
            // Five hours between the old samples and the new: two strokes, not one line across the gap.
            Assert.Equal(2, cpu.QuerySelector("[data-test=graph-line]")!.GetAttribute("d")!.Count(c => c == 'M'));
            Assert.Equal(Local(s_now.AddDays(-1), "ddd HH:mm"), cpu.QuerySelectorAll("[data-test=x-label]")[0].TextContent);
            Assert.Equal("peak 10 MiB/s", cut.Find("[data-test=graph-disk] [data-test=graph-peak]").TextContent);
        });
        Assert.Equal(["1h", "1d"], Data.HistoryQueries);
        Assert.EndsWith($"/machines/{machine.Id}?range=1d", navigation.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public void RangeInTheAddress_OpensOnThatRange()
    {
        var machine = SeedMachine();
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/machines/{machine.Id}?range=1w");

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("1w", cut.Find("[data-test=metric-graphs]").GetAttribute("data-range"));
            Assert.Contains("mud-toggle-item-selected", cut.Find("[data-test=range-1w]").ClassName);
            Assert.Equal("9", cut.Find("[data-test=graph-cpu]").GetAttribute("data-points"));
            Assert.Equal(Local(s_now.AddDays(-7), "ddd d MMM"), cut.Find("[data-test=graph-cpu] [data-test=x-label]").TextContent);
        });
        Assert.Equal(["1w"], Data.HistoryQueries);
    }

    [Fact]
    public void NoSamplesInTheRange_SaysSoInsteadOfEmptyAxes()
    {
        var machine = Sample.Machine("new-1");
        Data.Machines.Add(machine);
        // A sample of last week only: the hour has none.
        Data.History[machine.Id] = [new MetricPoint(s_now.AddDays(-3), 10, MiB, 2 * MiB, null, null, null, null, null)];

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() => Assert.Contains("No samples in this range yet", cut.Find("[data-test=graphs-empty]").TextContent));
        Assert.Empty(cut.FindAll("[data-test=graph-cpu]"));

        cut.Find("[data-test=range-1w]").Click();
        cut.WaitForAssertion(() => Assert.Equal("1", cut.Find("[data-test=graph-cpu]").GetAttribute("data-points")));
        Assert.Empty(cut.FindAll("[data-test=graphs-empty]"));
    }

    [Fact]
    public void SlowHistory_ShowsLoadingUntilItAnswers()
    {
        var machine = SeedMachine();
        Data.HistoryGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=graphs-loading]")));
        Assert.Empty(cut.FindAll("[data-test=graph-cpu]"));
        Assert.Empty(cut.FindAll("[data-test=graphs-empty]"));

        Data.HistoryGate.SetResult();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("6", cut.Find("[data-test=graph-cpu]").GetAttribute("data-points"));
            Assert.Empty(cut.FindAll("[data-test=graphs-loading]"));
        });
    }

    [Fact]
    public void HostDetail_ByName_ShowsTheHostsHistory_AndTheHostsListLinksToIt()
    {
        var host = Sample.Host("alpha");
        Data.Hosts.Add(host);
        Data.History[host.Id] = [.. Enumerable.Range(0, 4).Select(i => new MetricPoint(s_now.AddMinutes(-10 + i), 40 + i, 3L << 30, 8L << 30, 1000, 2000, 3000, 4000, null))];

        var list = Render<Hosts>();
        list.WaitForAssertion(() => Assert.Equal("/hosts/alpha", list.Find("[data-host=alpha] [data-test=host-history]").GetAttribute("href")));

        var cut = Render<HostDetail>(p => p.Add(x => x.Key, "alpha"));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("alpha", cut.Find("[data-test=host-title]").TextContent);
            Assert.Equal("4", cut.Find("[data-test=graph-cpu]").GetAttribute("data-points"));
            Assert.Equal("peak 43 %", cut.Find("[data-test=graph-cpu] [data-test=graph-peak]").TextContent);
            Assert.Equal(["used", "total"], cut.FindAll("[data-test=graph-memory] [data-test=graph-line]").Select(l => l.GetAttribute("data-series")));
            Assert.Equal("peak 8 GiB", cut.Find("[data-test=graph-memory] [data-test=graph-peak]").TextContent);
        });
    }

    [Fact]
    public void HostDetail_UnknownHost_SaysThereIsNone()
    {
        Data.Hosts.Add(Sample.Host("alpha"));

        var cut = Render<HostDetail>(p => p.Add(x => x.Key, "omega"));

        cut.WaitForAssertion(() => Assert.Contains("No such host", cut.Find("[data-test=empty-state]").TextContent));
        Assert.Empty(Data.HistoryQueries);
    }
}
