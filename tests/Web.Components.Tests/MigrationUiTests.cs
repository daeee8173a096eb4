using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>The Migrate dialog of the machine page and the Evacuate action of the Hosts page.</summary>
public sealed class MigrationUiTests : DashboardTestContext
{
    private static readonly Guid s_betaId = Guid.Parse("22222222-2222-2222-2222-222222222222");

    private IRenderedComponent<MachineDetail> OpenMigrateDialog(MachineView machine)
    {
        Data.Hosts.Add(Sample.Host("alpha", machines: 1));
        Data.Hosts.Add(Sample.Host("beta", id: s_betaId));
        Data.Machines.Add(machine);
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=action-migrate]")));
        cut.Find("[data-test=action-migrate]").Click();
        return cut;
    }

    [Fact]
    public void MigrateDialog_ChecksPass_ShowsThemThenMigratesLive()
    {
        var machine = Sample.Machine("web-1", MachineState.Running, MachineKind.Vm);
        var cut = OpenMigrateDialog(machine);

        Dialogs.WaitForAssertion(() =>
        {
            var checks = Dialogs.FindAll("[data-test=migrate-check]");
            Assert.Equal(3, checks.Count);
            Assert.Contains("beta is online.", checks[0].TextContent);
            Assert.All(checks, c => Assert.Equal("true", c.GetAttribute("data-passed")));
        });
        Assert.Equal([$"preflight {machine.Id} beta live=True"], Migrations.Calls);

        Dialogs.Find("[data-test=migrate-confirm]").Click();

        cut.WaitForAssertion(() => Assert.Contains($"migrate {machine.Id} beta live=True", Migrations.Calls));
        Snackbars.WaitForAssertion(() => Assert.Contains("Started: migrate web-1", Snackbars.Markup));
    }

    [Fact]
    public void MigrateDialog_CheckFails_SaysWhyAndCannotStart()
    {
        var machine = Sample.Machine("web-1", MachineState.Running, MachineKind.Vm);
        Migrations.OnPreflight = (id, host, live) => ServiceResult<MigrationPreflight>.Ok(new MigrationPreflight(id, "web-1", "alpha", host, true, false,
        [
            new PreflightCheck("target online", true, $"{host} is online."),
            new PreflightCheck("capacity", false, $"{host} lacks room: 256 MiB of memory needed, 100 MiB of 2048 MiB not yet given to machines."),
        ]));
        OpenMigrateDialog(machine);

        Dialogs.WaitForAssertion(() =>
        {
            var failed = Dialogs.Find("[data-test=migrate-check][data-passed=false]");
            Assert.Contains("beta lacks room: 256 MiB of memory needed", failed.TextContent);
            Assert.Contains("web-1 cannot move to beta until the failed checks pass", Dialogs.Find("[data-test=migrate-blocked]").TextContent);
            Assert.True(Dialogs.Find("[data-test=migrate-confirm]").HasAttribute("disabled"));
        });

        Dialogs.Find("[data-test=migrate-confirm]").Click();
        Assert.DoesNotContain(Migrations.Calls, c => c.StartsWith("migrate", StringComparison.Ordinal));
    }

    [Fact]
    public void MigrateDialog_Container_OfflineOnlyAndSaysWhy()
    {
        var machine = Sample.Machine("box-1", MachineState.Running, MachineKind.Container);
        OpenMigrateDialog(machine);

        Dialogs.WaitForAssertion(() =>
        {
            Assert.Contains("Live migration would need CRIU", Dialogs.Find("[data-test=migrate-container-note]").TextContent);
            Assert.Empty(Dialogs.FindAll("[data-test=migrate-live]"));
            Assert.Equal(3, Dialogs.FindAll("[data-test=migrate-check]").Count);
        });
        Assert.Equal([$"preflight {machine.Id} beta live=False"], Migrations.Calls);
    }

    [Fact]
    public void Hosts_Evacuate_AsksFirstThenEvacuates()
    {
        var host = Sample.Host("alpha", machines: 1);
        Data.Hosts.Add(host);
        Data.Hosts.Add(Sample.Host("beta", id: s_betaId));
        Data.Machines.Add(Sample.Machine("web-1"));
        var cut = Render<Hosts>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-host=alpha] [data-test=host-evacuate]")));
        Assert.True(cut.Find("[data-host=beta] [data-test=host-evacuate]").HasAttribute("disabled"));

        cut.Find("[data-host=alpha] [data-test=host-evacuate]").Click();

        Dialogs.WaitForAssertion(() => Assert.Contains("All 1 machines on alpha will move to other hosts", Dialogs.Markup));
        Assert.Empty(Migrations.Calls);
        Dialogs.FindAll("button").Single(b => b.TextContent.Contains("Evacuate", StringComparison.Ordinal)).Click();
        cut.WaitForAssertion(() => Assert.Equal([$"evacuate {host.Id} {Hosts.EvacuationConcurrency}"], Migrations.Calls));
        Snackbars.WaitForAssertion(() => Assert.Contains("Started: evacuate alpha", Snackbars.Markup));
    }
}
