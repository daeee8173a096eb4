using System.Security.Claims;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Access;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>The Schedules page: what a schedule is for and keeps, adding one, refusals, deleting, and what a viewer may do.</summary>
public sealed class SchedulesTests : DashboardTestContext
{
    private static ScheduleView Schedule(string name, Guid? machineId = null, string? selector = null) =>
        new(Guid.NewGuid(), name, "snapshot", "*/30 * * * *", machineId, selector, true, 5, 0, 2, true, null, DateTimeOffset.UtcNow.AddMinutes(30));

    [Fact]
    public void Operator_AddsALabelBackup_ItIsListedWithWhatItKeeps_ThenDeletesIt()
    {
        Authorization.SetClaims(new Claim(AccessClaims.Role, "Operator"));
        var vm = Sample.Machine("db-1", MachineState.Running, MachineKind.Vm);
        Data.Machines.Add(vm);
        States.Schedules.Add(Schedule("half-hourly", machineId: vm.Id));

        var cut = Render<Schedules>();
        cut.WaitForAssertion(() => Assert.Equal("db-1", cut.Find("[data-schedule=half-hourly] [data-test=schedule-for]").TextContent));
        Assert.Equal("last 5 · 2 weekly", cut.Find("[data-schedule=half-hourly] [data-test=schedule-keeps]").TextContent);

        cut.Find("[data-test=schedule-name] input, input[data-test=schedule-name]").Change("nightly");
        cut.Find("[data-test=schedule-target] input, input[data-test=schedule-target]").Change("backup=nightly");
        cut.Find("[data-test=schedule-create]").Click();

        cut.WaitForAssertion(() => Assert.Equal(["schedule.create nightly backup '0 3 * * *' machine=- selector=backup=nightly keep=3/7/4"], States.Calls));
        cut.WaitForAssertion(() => Assert.Equal("label backup=nightly", cut.Find("[data-schedule=nightly] [data-test=schedule-for]").TextContent));
        Assert.Contains("Schedule nightly added", cut.Find("[data-test=schedule-message]").TextContent);

        cut.Find("[data-schedule=nightly] [data-test=schedule-delete]").Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("the snapshots and backups it already made stay", Dialogs.Markup));
        Dialogs.FindAll("button").Single(b => b.TextContent.Contains("Delete", StringComparison.Ordinal)).Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-schedule=nightly]")));
        Assert.Contains("schedule.delete nightly", States.Calls);
    }

    [Fact]
    public void BadCron_TheFieldMessageIsShown_NothingIsAdded()
    {
        Authorization.SetClaims(new Claim(AccessClaims.Role, "Admin"));
        States.OnCreateSchedule = _ => ServiceResult<ScheduleView>.Invalid("cron", "The cron expression is five fields (minute hour day month weekday).");
        var cut = Render<Schedules>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=schedule-form]")));

        cut.Find("[data-test=schedule-name] input, input[data-test=schedule-name]").Change("broken");
        cut.Find("[data-test=schedule-cron] input, input[data-test=schedule-cron]").Change("every night");
        cut.Find("[data-test=schedule-target] input, input[data-test=schedule-target]").Change("db-1");
        cut.Find("[data-test=schedule-create]").Click();

        cut.WaitForAssertion(() => Assert.Contains("five fields", cut.Find("[data-test=schedule-message]").TextContent));
        Assert.Empty(States.Schedules);
        Assert.Contains("machine=db-1", Assert.Single(States.Calls));
    }

    [Fact]
    public void Viewer_SeesTheSchedules_ButNoFormAndNoDelete()
    {
        Authorization.SetClaims(new Claim(AccessClaims.Role, "Viewer"));
        States.Schedules.Add(Schedule("labelled", selector: "tier=web"));

        var cut = Render<Schedules>();

        cut.WaitForAssertion(() => Assert.Equal("label tier=web", cut.Find("[data-schedule=labelled] [data-test=schedule-for]").TextContent));
        Assert.Empty(cut.FindAll("[data-test=schedule-form]"));
        Assert.Empty(cut.FindAll("[data-test=schedule-delete]"));
    }
}
