using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

public sealed class MachineDetailTests : DashboardTestContext
{
    [Fact]
    public void MachineDetail_Running_ShowsStateSpecConsoleAndOperations()
    {
        var machine = Sample.Machine("web-1", MachineState.Running);
        Data.Machines.Add(machine);
        Data.Operations.Add(Sample.Operation("machine.create", "web-1", machine.Id, OperationStatus.Succeeded, 100));

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("web-1", cut.Find("[data-test=machine-title]").TextContent);
            Assert.Equal("running", cut.Find("[data-test=state]").TextContent);
            Assert.Contains("64 MiB", cut.Find("[data-test=spec]").TextContent);
            Assert.Contains("env=dev", cut.Find("[data-test=spec]").TextContent);
            Assert.NotNull(cut.Find("[data-test=console]"));
            Assert.Contains("create web-1", cut.Find("[data-test=machine-operations]").TextContent);
            Assert.False(cut.Find("[data-test=action-stop]").HasAttribute("disabled"));
            Assert.True(cut.Find("[data-test=action-start]").HasAttribute("disabled"));
        });
    }

    [Fact]
    public void MachineDetail_QemuVmWithIso_EjectButtonNamesTheIsoAndAsksForTheEject_NoButtonWithoutIso()
    {
        var installing = Sample.Machine("inst-1", MachineState.Running, MachineKind.Vm) with { Engine = VmEngine.Qemu, Iso = "debian-installer-12" };
        var plain = Sample.Machine("plain-1", MachineState.Running, MachineKind.Vm) with { Engine = VmEngine.Qemu };
        Data.Machines.AddRange([installing, plain]);

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, installing.Id));
        cut.WaitForAssertion(() => Assert.Equal("Eject debian-installer-12", cut.Find("[data-test=action-eject]").TextContent.Trim()));
        cut.Find("[data-test=action-eject]").Click();
        Assert.Equal($"eject {installing.Id}", Assert.Single(Actions.Calls));

        var other = Render<MachineDetail>(p => p.Add(x => x.Id, plain.Id));
        other.WaitForAssertion(() => Assert.Equal("plain-1", other.Find("[data-test=machine-title]").TextContent));
        Assert.Empty(other.FindAll("[data-test=action-eject]"));
    }

    [Fact]
    public void MachineDetail_ContainerStopping_ShowsATransitionalStateNotAnErrorAndStartWaits()
    {
        var machine = Sample.Machine("box-1", MachineState.Running);
        Data.Machines.Add(machine);
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));
        cut.WaitForAssertion(() => Assert.Equal("running", cut.Find("[data-test=state]").TextContent));
        cut.WaitForState(() => Data.Subscribers == 1);

        Data.Publish(new MachineChanged(machine with { State = MachineState.Stopping, Detail = "Up 12 seconds", UpdatedAt = DateTimeOffset.UtcNow.AddSeconds(1) }));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("stopping", cut.Find("[data-test=state]").TextContent);
            Assert.Contains("mud-chip-color-info", cut.Find("[data-test=state]").ClassName);
            Assert.Equal("Up 12 seconds", cut.Find("[data-test=machine-detail]").TextContent);
            Assert.Contains("mud-alert-text-info", cut.Find("[data-test=machine-detail]").ClassName);
            Assert.True(cut.Find("[data-test=action-start]").HasAttribute("disabled"));
            Assert.True(cut.Find("[data-test=action-stop]").HasAttribute("disabled"));
        }, Live);

        Data.Publish(new MachineChanged(machine with { State = MachineState.Stopped, Detail = null, UpdatedAt = DateTimeOffset.UtcNow.AddSeconds(2) }));
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-test=action-start]").HasAttribute("disabled")), Live);
    }

    [Fact]
    public void MachineDetail_MetricsPushed_ShowsRatesAndMips()
    {
        var machine = Sample.Machine("vm-1", MachineState.Running, MachineKind.Vm);
        Data.Machines.Add(machine);
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=no-metrics]")));
        cut.WaitForState(() => Data.Subscribers == 1);
        var t0 = DateTimeOffset.UtcNow;

        Data.Publish(new MetricsChanged(Sample.HostId, [new GuestMetrics(machine.Id, t0, 50, 100L << 20, 256L << 20, 0, 0, 0, 0, 120)]));
        Data.Publish(new MetricsChanged(Sample.HostId, [new GuestMetrics(machine.Id, t0.AddSeconds(1), 75, 110L << 20, 256L << 20, 2048, 1024, 4096, 0, 150)]));

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("75 %", cut.Find("[data-test=chart-CPU]").TextContent);
            Assert.Contains("110 MiB of 256 MiB", cut.Find("[data-test=chart-Memory]").TextContent);
            Assert.Contains("read 2 KiB/s · write 1 KiB/s", cut.Find("[data-test=chart-Disk]").TextContent);
            Assert.Contains("↓ 4 KiB/s", cut.Find("[data-test=chart-Network]").TextContent);
            Assert.Contains("150 million instructions/s", cut.Find("[data-test=chart-MIPS]").TextContent);
        }, Live);
    }

    [Fact]
    public void MachineDetail_Delete_AsksFirstThenDeletes()
    {
        var machine = Sample.Machine("web-1", MachineState.Stopped);
        Data.Machines.Add(machine);
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=action-delete]")));

        cut.Find("[data-test=action-delete]").Click();

        Dialogs.WaitForAssertion(() => Assert.Contains("web-1 will be stopped and deleted with its disks", Dialogs.Markup));
        Assert.Empty(Actions.Calls);
        Dialogs.FindAll("button").Single(b => b.TextContent.Contains("Delete", StringComparison.Ordinal)).Click();
        cut.WaitForAssertion(() => Assert.Equal([$"delete {machine.Id}"], Actions.Calls));
    }

    [Fact]
    public void MachineDetail_ActionRefused_SaysWhyInWords()
    {
        var machine = Sample.Machine("web-1", MachineState.Running);
        Data.Machines.Add(machine);
        Actions.OnAct = (_, _) => ServiceResult<OperationAccepted>.Conflict("Machine web-1 cannot be reached: its host is offline.");
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=action-stop]")));

        cut.Find("[data-test=action-stop]").Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("Stop web-1?", Dialogs.Markup));
        DialogButton("Stop").Click();

        Snackbars.WaitForAssertion(() => Assert.Contains("Could not stop web-1: Machine web-1 cannot be reached: its host is offline.", Snackbars.Markup));
    }

    [Fact]
    public void MachineDetail_RemovedWhileOpen_SaysItWasDeleted()
    {
        var machine = Sample.Machine("web-1");
        Data.Machines.Add(machine);
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=machine-title]")));
        cut.WaitForState(() => Data.Subscribers == 1);

        Data.Publish(new MachineRemoved(machine.Id, "web-1"));

        cut.WaitForAssertion(() => Assert.Contains("web-1 was deleted", cut.Find("[data-test=empty-state]").TextContent), Live);
    }

    [Fact]
    public void MachineDetail_StopVm_AsksFirstNamingTheMachineThenStops()
    {
        var machine = Sample.Machine("web-1", MachineState.Running, MachineKind.Vm);
        Data.Machines.Add(machine);
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-test=action-stop]").HasAttribute("disabled")));

        cut.Find("[data-test=action-stop]").Click();

        Dialogs.WaitForAssertion(() =>
        {
            Assert.Contains("Stop web-1?", Dialogs.Markup);
            Assert.Contains("web-1 is shut down. A VM whose guest cannot be asked to shut down is powered off at once, like pulling its plug", Dialogs.Markup);
        });
        Assert.Empty(Actions.Calls);
        DialogButton("Stop").Click();
        cut.WaitForAssertion(() => Assert.Equal([$"stop {machine.Id}"], Actions.Calls));
        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll(".mud-dialog")));
    }

    [Fact]
    public void MachineDetail_StopCancelled_LeavesTheMachineRunning()
    {
        var machine = Sample.Machine("web-1", MachineState.Running);
        Data.Machines.Add(machine);
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-test=action-stop]").HasAttribute("disabled")));

        cut.Find("[data-test=action-stop]").Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("Stop web-1?", Dialogs.Markup));
        DialogButton("Cancel").Click();

        Dialogs.WaitForAssertion(() => Assert.Empty(Dialogs.FindAll(".mud-dialog")));
        Assert.Empty(Actions.Calls);
    }

    [Fact]
    public void MachineDetail_ForceStop_IsItsOwnChoiceAndSaysItPowersOff()
    {
        var machine = Sample.Machine("web-1", MachineState.Running);
        Data.Machines.Add(machine);
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-test=action-force-stop]").HasAttribute("disabled")));

        cut.Find("[data-test=action-force-stop]").Click();

        Dialogs.WaitForAssertion(() =>
        {
            Assert.Contains("Force stop web-1?", Dialogs.Markup);
            Assert.Contains("web-1 is powered off at once, without asking its guest to shut down", Dialogs.Markup);
        });
        Assert.Empty(Actions.Calls);
        DialogButton("Force stop").Click();
        cut.WaitForAssertion(() => Assert.Equal([$"force-stop {machine.Id}"], Actions.Calls));
    }

    private AngleSharp.Dom.IElement DialogButton(string text) =>
        Dialogs.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == text);
}
