using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Shared;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>
/// A running container says how long it has run, worked out from its start time as it is shown:
/// the stored time does not age, and the text moves on by itself.
/// </summary>
public sealed class RunningForTests : DashboardTestContext
{
    private readonly FakeClock _clock = new(DateTimeOffset.UtcNow);

    public RunningForTests() => Services.AddSingleton<TimeProvider>(_clock);

    [Fact]
    public void MachineDetail_RunningContainer_SaysHowLongItRanAndTheTextMovesOnWithoutNewData()
    {
        var machine = Sample.Machine("box-1") with { StartedAt = _clock.GetUtcNow().AddSeconds(-58.5) };
        Data.Machines.Add(machine);

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() => Assert.Equal("Running for 58 seconds", cut.Find("[data-test=running-for]").TextContent));
        // No new report comes: the page's own clock moves the text on.
        _clock.Advance(TimeSpan.FromSeconds(2));
        cut.WaitForAssertion(() => Assert.Equal("Running for 1 minute", cut.Find("[data-test=running-for]").TextContent), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Machines_RunningAndStoppedContainers_OnlyTheRunningOneSaysHowLongAndAStopTakesItAway()
    {
        var running = Sample.Machine("web-1") with { StartedAt = _clock.GetUtcNow().AddMinutes(-3).AddSeconds(-10) };
        var stopped = Sample.Machine("db-1", MachineState.Stopped);
        Data.Machines.AddRange([running, stopped]);

        var cut = Render<Machines>();

        cut.WaitForAssertion(() => Assert.Equal("Running for 3 minutes", Assert.Single(cut.FindAll("[data-test=running-for]")).TextContent));
        Assert.Contains("Running for 3 minutes", cut.Find("[data-machine=web-1]").TextContent);
        Assert.DoesNotContain("Running for", cut.Find("[data-machine=db-1]").TextContent);

        cut.WaitForState(() => Data.Subscribers == 1);
        Data.Publish(new MachineChanged(running with { State = MachineState.Stopped, StartedAt = null, UpdatedAt = DateTimeOffset.UtcNow.AddSeconds(1) }));
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-test=running-for]")));
    }

    [Theory]
    [InlineData(0.4, "less than a second")]
    [InlineData(1, "1 second")]
    [InlineData(59, "59 seconds")]
    [InlineData(60, "1 minute")]
    [InlineData(3 * 60 + 59, "3 minutes")]
    [InlineData(2 * 3600 + 5 * 60, "2 hours 5 minutes")]
    [InlineData(3600, "1 hour")]
    [InlineData(4 * 86400 + 3600 + 120, "4 days 1 hour")]
    public void Describe_Age_ReadsAsAPersonWouldSayIt(double seconds, string expected) =>
        Assert.Equal(expected, RunningFor.Describe(TimeSpan.FromSeconds(seconds)));
}
