using Ringmaster.Agents.Drivers.Qemu;

namespace Ringmaster.Agents.Tests.Qemu;

/// <summary>KVM or TCG, and why: on made-up hosts (fake /proc, /sys and /dev/kvm) and on this one.</summary>
public sealed class AcceleratorProbeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rm-accel-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A made-up host: a cpuinfo with <paramref name="flags"/>, optionally a /dev/kvm that opens and a kvm_pvm module.</summary>
    private AcceleratorProbe Host(string flags, bool devKvm, bool pvm, FakeKvmTrial trial)
    {
        Directory.CreateDirectory(Path.Combine(_root, "proc"));
        File.WriteAllText(Path.Combine(_root, "proc", "cpuinfo"),
            $"processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Made-up CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n");
        Directory.CreateDirectory(Path.Combine(_root, "sys", "module", "kvm"));
        if (pvm)
        {
            Directory.CreateDirectory(Path.Combine(_root, "sys", "module", "kvm_pvm"));
        }

        Directory.CreateDirectory(Path.Combine(_root, "dev"));
        if (devKvm)
        {
            File.WriteAllText(Path.Combine(_root, "dev", "kvm"), "");
        }

        return new AcceleratorProbe(Path.Combine(_root, "proc"), Path.Combine(_root, "sys"), Path.Combine(_root, "dev", "kvm"), trial);
    }

    [Fact]
    public async Task Decide_VmxAndKvmGuestRuns_Kvm()
    {
        var trial = new FakeKvmTrial(failure: null);

        var decision = await Host("fpu vme sse2 vmx ept", devKvm: true, pvm: false, trial).DecideAsync();

        Assert.Equal(QemuAccelerator.Kvm, decision.Accelerator);
        Assert.Equal(1, trial.Runs);
        Assert.Equal($"KVM (hardware virtualization): the CPU has vmx (Intel VT-x), {_root}/dev/kvm opens and QEMU ran a KVM guest", decision.Reason);
    }

    [Fact]
    public async Task Decide_SvmButKvmGuestFails_TcgWithQemusWords()
    {
        var trial = new FakeKvmTrial("QEMU did not start: error: failed to set MSR 0x10a to 0x69");

        var decision = await Host("fpu svm npt", devKvm: true, pvm: false, trial).DecideAsync();

        Assert.Equal(QemuAccelerator.Tcg, decision.Accelerator);
        Assert.True(decision.KvmTried);
        Assert.Equal(
            $"TCG (binary translation): the CPU has svm (AMD-V) and {_root}/dev/kvm opens, but QEMU could not run a KVM guest: QEMU did not start: error: failed to set MSR 0x10a to 0x69",
            decision.Reason);
    }

    [Fact]
    public async Task Decide_VmxWithoutDevKvm_TcgWithoutTrying()
    {
        var trial = new FakeKvmTrial(failure: null);

        var decision = await Host("fpu vmx", devKvm: false, pvm: false, trial).DecideAsync();

        Assert.Equal(QemuAccelerator.Tcg, decision.Accelerator);
        Assert.Equal(0, trial.Runs);
        Assert.Equal($"TCG (binary translation): the CPU has vmx (Intel VT-x), but {_root}/dev/kvm does not open (it does not exist)", decision.Reason);
    }

    [Fact]
    public async Task Decide_NoFlagsAndPvmKvm_TcgWithoutTrying()
    {
        var trial = new FakeKvmTrial(failure: null);

        var decision = await Host("fpu sse2 hypervisor", devKvm: true, pvm: true, trial).DecideAsync();

        Assert.Equal(QemuAccelerator.Tcg, decision.Accelerator);
        Assert.Equal(0, trial.Runs);
        Assert.True(decision.KvmIsPvm);
        Assert.Equal($"TCG (binary translation): this CPU has no vmx/svm; {_root}/dev/kvm is PVM (kvm_pvm), which runs only PVM-built guest kernels", decision.Reason);
    }

    [Fact]
    public async Task Decide_NoFlagsNoKvm_Tcg()
    {
        var decision = await Host("fpu sse2", devKvm: false, pvm: false, new FakeKvmTrial(null)).DecideAsync();

        Assert.Equal("TCG (binary translation): this CPU has no vmx/svm; there is no /dev/kvm", decision.Reason.Replace(_root + "/dev/kvm", "/dev/kvm", StringComparison.Ordinal));
    }

    /// <summary>
    /// This host as it is (real /proc, /sys and /dev/kvm, the real QEMU trial): where the CPU has no
    /// vmx/svm (as on the machines this project runs on), TCG is chosen without starting a KVM guest
    /// and the reason says so; where it has them, the decision rests on a real KVM guest.
    /// </summary>
    [Fact]
    public async Task Decide_ThisHost_TcgWithoutTryingKvmWhenTheCpuHasNoVmxSvm()
    {
        var cpuinfo = await File.ReadAllTextAsync("/proc/cpuinfo");
        var flags = cpuinfo.Split('\n').First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(' ');

        var decision = await new AcceleratorProbe().DecideAsync();

        if (flags.Contains("vmx") || flags.Contains("svm"))
        {
            Assert.True(decision.KvmTried || !decision.KvmOpens, decision.Reason);
            return;
        }

        Assert.Equal(QemuAccelerator.Tcg, decision.Accelerator);
        Assert.False(decision.KvmTried);
        // Said as this host is: without /dev/kvm (a machine whose PVM module is loaded may still have none), with PVM's, or with another.
        var expected = !File.Exists("/dev/kvm") ? "TCG (binary translation): this CPU has no vmx/svm; there is no /dev/kvm"
            : Directory.Exists("/sys/module/kvm_pvm") ? "TCG (binary translation): this CPU has no vmx/svm; /dev/kvm is PVM (kvm_pvm), which runs only PVM-built guest kernels"
            : "TCG (binary translation): this CPU has no vmx/svm";
        Assert.StartsWith(expected, decision.Reason);
    }

    /// <summary>A KVM trial that answers what it is told and counts its runs.</summary>
    private sealed class FakeKvmTrial(string? failure) : IKvmTrial
    {
        public int Runs { get; private set; }

        public Task<string?> TryAsync(CancellationToken cancellationToken)
        {
            Runs++;
            return Task.FromResult(failure);
        }
    }
}
