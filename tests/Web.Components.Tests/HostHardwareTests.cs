using Ringmaster.Contracts;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>The host page explains its hardware: each CPU flag that matters, and what it means for the machines placed there.</summary>
public sealed class HostHardwareTests : DashboardTestContext
{
    private IRenderedComponent<HostDetail> Open(HostCapabilities capabilities)
    {
        Data.Hosts.Add(Sample.Host("alpha") with { Capabilities = capabilities });
        var cut = Render<HostDetail>(p => p.Add(x => x.Key, "alpha"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=hardware-notes]")));
        return cut;
    }

    private static string Note(IRenderedComponent<HostDetail> cut, string topic) =>
        cut.Find($"[data-test=hardware-note][data-topic='{topic}']").TextContent;

    [Fact]
    public void Host_NoVmxSvmButKvmOpens_SaysWhyBothAreTrueAndThatItsVmsRunUnderTcg()
    {
        var cut = Open(Sample.Capabilities() with
        {
            CpuFlags = [new CpuFlagInfo("hypervisor", "running inside a virtual machine")],
            HardwareVirtualization = false,
            HardwareVirtualizationFlag = null,
            NestedPaging = false,
            NestedPagingFlag = null,
            KvmUsable = true,
            Qemu = new QemuEngineInfo("tcg", "TCG (binary translation): this CPU has no vmx/svm; /dev/kvm is PVM (kvm_pvm), which runs only PVM-built guest kernels"),
        });

        var qemu = Note(cut, "x86_64 VMs (QEMU)");
        Assert.Contains("\"Hardware virtualization: no\" and \"KVM: usable\" are both true here", qemu);
        Assert.Contains("QEMU VMs placed here run under TCG", qemu);
        Assert.Contains("/dev/kvm is PVM (kvm_pvm)", qemu);
        Assert.Contains("shadow copies of each guest's page tables", Note(cut, "Nested paging"));
        Assert.Contains("This host is itself a virtual machine", Note(cut, "A virtual host"));
        Assert.Contains("needs no virtualization at all", Note(cut, "RISC-V VMs (emulator)"));
        Assert.Contains("share this host's kernel through podman", Note(cut, "Containers"));
        var flag = Assert.Single(cut.FindAll("[data-test=cpu-flag]"));
        Assert.Equal("hypervisor", flag.GetAttribute("data-flag"));
        Assert.Contains("running inside a virtual machine", flag.TextContent);
    }

    [Fact]
    public void Host_WithVmxAndKvm_SaysItsVmsRunUnderKvm()
    {
        var cut = Open(Sample.Capabilities(kvm: true) with
        {
            CpuFlags = [new CpuFlagInfo("vmx", "hardware virtualization (Intel VT-x)"), new CpuFlagInfo("ept", "nested paging (Intel EPT)")],
            HardwareVirtualizationFlag = "vmx",
            NestedPagingFlag = "ept",
            RunsInsideHypervisor = false,
            Qemu = new QemuEngineInfo("kvm", "KVM (hardware virtualization)"),
        });

        var qemu = Note(cut, "x86_64 VMs (QEMU)");
        Assert.Contains("The CPU has hardware virtualization (vmx) and the kernel's KVM is usable.", qemu);
        Assert.Contains("run under KVM", qemu);
        Assert.Contains("(ept)", Note(cut, "Nested paging"));
        Assert.Empty(cut.FindAll("[data-test=hardware-note][data-topic='A virtual host']"));
        Assert.Equal(["vmx", "ept"], cut.FindAll("[data-test=cpu-flag]").Select(f => f.GetAttribute("data-flag")));
    }

    [Fact]
    public void Host_VmxButNoKvm_SaysWhatToDo()
    {
        var cut = Open(Sample.Capabilities(kvm: false) with { Qemu = new QemuEngineInfo("tcg", "TCG (binary translation): the CPU has svm (AMD-V), but /dev/kvm does not open") });

        var qemu = Note(cut, "x86_64 VMs (QEMU)");
        Assert.Contains("but KVM is not usable (not present: no /dev/kvm on this host): load the kvm module", qemu);
        Assert.Contains("run under TCG", qemu);
    }
}
