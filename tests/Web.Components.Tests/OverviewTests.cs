using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

public sealed class OverviewTests : DashboardTestContext
{
    [Fact]
    public void Overview_Snapshot_ShowsHostsMachinesByStateAndCapacity()
    {
        Data.Hosts.Add(Sample.Host("alpha"));
        Data.Hosts.Add(Sample.Host("beta", online: false, id: Guid.NewGuid()));
        Data.Machines.Add(Sample.Machine("web-1"));
        Data.Machines.Add(Sample.Machine("web-2", MachineState.Stopped, MachineKind.Vm));

        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("1", cut.Find("[data-test=hosts-online]").TextContent);
            Assert.Equal("1", cut.Find("[data-test=hosts-offline]").TextContent);
            Assert.Contains("running: 1", cut.Find("[data-test=state-running]").TextContent);
            Assert.Contains("stopped: 1", cut.Find("[data-test=state-stopped]").TextContent);
            Assert.Contains("VMs: 1", cut.Find("[data-test=kind-vm]").TextContent);
            var alpha = cut.Find("[data-test=capacity-host][data-host=alpha]").TextContent;
            Assert.Contains("2 vCPUs given of 2 cores", alpha);
            Assert.Contains("2 GiB used of 8 GiB", alpha);
            Assert.Contains("60 GiB used of 100 GiB", alpha);
        });
    }

    [Fact]
    public void Overview_HostGivesMoreMemoryThanItHas_SaysOvercommittedAndBeyondTheRatio()
    {
        Data.Hosts.Add(Sample.Host("alpha"));
        Data.Hosts.Add(Sample.Host("beta", id: Guid.NewGuid()));
        var beta = Data.Hosts[1].Id;
        static MachineView Sized(string name, int memoryMiB, Guid? host = null) =>
            Sample.Machine(name, hostId: host) with { Spec = new MachineSpec(1, memoryMiB, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]) };
        Data.Machines.Add(Sized("a-1", 10240));
        Data.Machines.Add(Sized("b-1", 262144, beta));

        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            var alpha = cut.Find("[data-test=capacity-host][data-host=alpha] [data-test=memory-overcommit]");
            Assert.Contains("Memory overcommitted: 10 GiB given of 8 GiB (1.25×). Placement allows up to 1.5×", alpha.TextContent);
            Assert.Contains("mud-alert-text-warning", alpha.ClassName);
            var betaAlert = cut.Find("[data-test=capacity-host][data-host=beta] [data-test=memory-overcommit]");
            Assert.Contains("256 GiB given of 8 GiB (32×). That is beyond the 1.5× placement allows", betaAlert.TextContent);
            Assert.Contains("mud-alert-text-error", betaAlert.ClassName);
        });
    }

    [Fact]
    public void Overview_ChangesPushed_ShowsNewMachineAndOperationProgressWithoutReload()
    {
        Data.Hosts.Add(Sample.Host());
        var cut = Render<Overview>();
        cut.WaitForAssertion(() => Assert.Contains("No machines yet", cut.Find("[data-test=machines-summary]").TextContent));
        cut.WaitForState(() => Data.Subscribers == 1);

        var machine = Sample.Machine("db-1", MachineState.Running);
        var op = Sample.Operation("machine.create", "db-1", machine.Id, OperationStatus.Running, 40);
        Data.Publish(new MachineChanged(machine));
        Data.Publish(new OperationChanged(op));

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("running: 1", cut.Find("[data-test=state-running]").TextContent);
            var row = cut.Find($"[data-test=operation][data-operation='{op.Id}']").TextContent;
            Assert.Contains("create db-1", row);
            Assert.Contains("40 %", row);
        }, Live);

        Data.Publish(new OperationChanged(op with { State = OperationStatus.Succeeded, Progress = 100 }));
        cut.WaitForAssertion(() => Assert.Contains("succeeded", cut.Find($"[data-operation='{op.Id}']").TextContent), Live);
    }

    [Fact]
    public void Overview_NoHosts_SaysWhatToDoNext()
    {
        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("No host has registered yet", cut.Markup);
            Assert.Contains("launch one in a click", cut.Markup);
        });
    }

    [Fact]
    public async Task Overview_Closed_Unsubscribes()
    {
        var cut = Render<Overview>();
        cut.WaitForState(() => Data.Subscribers == 1);

        await cut.Instance.DisposeAsync();

        Assert.Equal(0, Data.Subscribers);
    }
}
