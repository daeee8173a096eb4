using Ringmaster.Contracts;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>The machine page and the catalog say which engine runs a VM.</summary>
public sealed class MachineEngineTests : DashboardTestContext
{
    [Theory]
    [InlineData(MachineKind.Vm, VmEngine.Qemu, "x86_64 VM on QEMU")]
    [InlineData(MachineKind.Vm, VmEngine.Emulator, "RISC-V VM on the emulator")]
    [InlineData(MachineKind.Container, null, "container")]
    public void MachineDetail_EachEngine_NamedUnderTheTitle(MachineKind kind, VmEngine? engine, string shown)
    {
        var machine = Sample.Machine("m-1", MachineState.Running, kind) with { Engine = engine };
        Data.Machines.Add(machine);

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() => Assert.Equal(shown, cut.Find("[data-test=machine-kind]").TextContent));
    }

    [Fact]
    public void MachineDetail_QemuVmWithForwards_ShowsEachForwardInTheSpec()
    {
        var machine = Sample.Machine("deb-1", MachineState.Running, MachineKind.Vm) with { Engine = VmEngine.Qemu };
        machine = machine with { Spec = machine.Spec with { Networks = [new NetworkSpec("eth0", "52:54:00:00:00:01", [new PortForward(2222, 22, "tcp"), new PortForward(5353, 53, "udp")])] } };
        Data.Machines.Add(machine);

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() => Assert.Equal("Port forwards127.0.0.1:2222 → 22/tcp, 127.0.0.1:5353 → 53/udp", cut.Find("[data-test=port-forwards]").TextContent));
    }

    [Theory]
    [InlineData(MachineKind.Vm, VmEngine.Qemu, true)]
    [InlineData(MachineKind.Vm, VmEngine.Emulator, false)]
    [InlineData(MachineKind.Container, null, false)]
    public void MachineDetail_EachEngine_DisplayTabOnlyForQemuVms(MachineKind kind, VmEngine? engine, bool hasDisplay)
    {
        var machine = Sample.Machine("m-1", MachineState.Running, kind) with { Engine = engine };
        Data.Machines.Add(machine);

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-test=console]")));
        var tabs = cut.FindAll(".mud-tab").Select(t => t.TextContent.Trim()).ToList();
        Assert.Equal(hasDisplay, tabs.Contains("Display"));
        Assert.Equal(hasDisplay, tabs.Contains("Console"));
    }

    [Fact]
    public void MachineDetail_QemuVmDisplayTabChosen_ShowsTheDisplayWithItsControls()
    {
        var machine = Sample.Machine("deb-1", MachineState.Running, MachineKind.Vm) with { Engine = VmEngine.Qemu };
        Data.Machines.Add(machine);
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));
        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll(".mud-tab"), t => t.TextContent.Trim() == "Display"));

        cut.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Display").Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-test=display-screen]")));
        Assert.Empty(cut.FindAll("[data-test=console]"));
        foreach (var control in new[] { "display-ctrl-alt-del", "display-full-screen", "display-pop-out", "display-type", "display-status" })
        {
            Assert.Single(cut.FindAll($"[data-test={control}]"));
        }
    }
    [Theory]
    [InlineData("kvm", "QEMU with KVM: hardware assist", "On alpha: vmx and a KVM that ran a stock guest")]
    [InlineData("tcg", "QEMU's binary translation (TCG)", "On alpha: /dev/kvm is PVM")]
    public void MachineDetail_QemuVm_HowItRunsNamesItsHostsAcceleratorAndWhy(string accelerator, string mode, string why)
    {
        var host = Sample.Host();
        var reason = why["On alpha: ".Length..];
        Data.Hosts.Add(host with { Capabilities = host.Capabilities! with { Qemu = new QemuEngineInfo(accelerator, reason) } });
        var machine = Sample.Machine("deb-1", MachineState.Running, MachineKind.Vm) with { Engine = VmEngine.Qemu };
        Data.Machines.Add(machine);

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() => Assert.Equal(mode, cut.Find("[data-test=cpu-mode]").TextContent));
        Assert.Equal(why, cut.Find("[data-test=cpu-why]").TextContent);
        Assert.Contains("virtio-blk", cut.Find("[data-test=devices-paravirtual]").TextContent);
        Assert.Contains("VGA", cut.Find("[data-test=devices-emulated]").TextContent);
        Assert.DoesNotContain("CD-ROM", cut.Find("[data-test=devices-emulated]").TextContent);
    }

    [Fact]
    public void MachineDetail_QemuVmWithEmulatedDevices_HowItRunsListsIdeAndE1000AsEmulatedAndSaysWhy()
    {
        var machine = Sample.Machine("imported-1", MachineState.Running, MachineKind.Vm) with { Engine = VmEngine.Qemu };
        machine = machine with { Spec = machine.Spec with { Devices = GuestDevices.Emulated } };
        Data.Machines.Add(machine);

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() => Assert.Contains("disk (IDE, or SATA on q35)", cut.Find("[data-test=devices-emulated]").TextContent));
        Assert.Contains("network (Intel e1000)", cut.Find("[data-test=devices-emulated]").TextContent);
        Assert.DoesNotContain("virtio-blk", cut.Find("[data-test=devices-paravirtual]").TextContent);
        Assert.DoesNotContain("virtio-net", cut.Find("[data-test=devices-paravirtual]").TextContent);
        Assert.Contains("a guest without virtio drivers", cut.Find("[data-test=devices-why]").TextContent);
    }

    [Theory]
    [InlineData(MachineKind.Vm, VmEngine.Emulator, "Ringmaster's RISC-V interpreter", true)]
    [InlineData(MachineKind.Vm, null, "Ringmaster's RISC-V interpreter", true)]
    [InlineData(MachineKind.Container, null, "No virtualization: a container", false)]
    public void MachineDetail_EmulatorVmOrContainer_HowItRunsSaysSo(MachineKind kind, VmEngine? engine, string mode, bool devices)
    {
        var machine = Sample.Machine("m-1", MachineState.Running, kind) with { Engine = engine };
        Data.Machines.Add(machine);

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() => Assert.Equal(mode, cut.Find("[data-test=cpu-mode]").TextContent));
        Assert.Equal(devices, cut.FindAll("[data-test=devices-emulated]").Count == 1);
    }
}
