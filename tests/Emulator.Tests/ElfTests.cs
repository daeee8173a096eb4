
namespace Ringmaster.Emulator.Tests;

/// <summary>Bare-metal ELFs (built from elf/*.S by elf/build.sh) run as the runner's --elf does.</summary>
public class ElfTests
{
    private static RiscVMachine RunElf(string name, long budget = 50_000_000)
    {
        var m = new RiscVMachine(new MachineConfig { MemoryMiB = 16, BareMetalElfPath = Path.Combine(AppContext.BaseDirectory, "elf", name) });
        while (m.InstructionCount < budget && m.RunSlice(10_000_000) is MachineStatus.Running or MachineStatus.Idle)
        {
        }

        return m;
    }

    [Fact]
    public void BareMetal_PassingProgram_ExitsWithCodeZero()
    {
        var m = RunElf("pass.elf");
        Assert.Equal(MachineStatus.PoweredOff, m.Status);
        Assert.Equal(0, m.ExitCode);
    }

    [Fact]
    public void BareMetal_FailingProgram_ReportsItsFailureCode()
    {
        var m = RunElf("fail.elf");
        Assert.Equal(3, m.ExitCode);
        Assert.Contains("code 3", m.StopReason);
    }

    [Fact]
    public void BareMetal_PmpProgram_PassesEveryCheck()
    {
        // elf/pmp.S: TOR/NA4/NAPOT, R/W/X for U mode, no-match rules for U and M, WARL R=0 W=1,
        // the L bit on M mode, locked entries ignoring writes, and PMP on S-mode page-table walks.
        var m = RunElf("pmp.elf");

        Assert.Equal(MachineStatus.PoweredOff, m.Status);
        Assert.True(m.ExitCode == 0, $"pmp.elf failed check {m.ExitCode}: {m.StopReason} (last mcause {m.X(18):x}, mtval {m.X(19):x})");
    }

    [Fact]
    public void BareMetal_TightLoop_CompletesAndReportsSuccess()
    {
        // Its speed is measured by tests/Benchmarks/bench-emulator.sh, beside QEMU; here only that it runs right.
        var m = RunElf("loop.elf", 400_000_000);

        Assert.Equal(0, m.ExitCode);
        Assert.True(m.InstructionCount > 1_000_000, $"the loop ran only {m.InstructionCount} instructions");
    }

    [Fact]
    public void Constructor_NotAnElf_ThrowsConfigurationError()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "hello");
            var ex = Assert.Throws<MachineConfigurationException>(() => new RiscVMachine(new MachineConfig { BareMetalElfPath = path }));
            Assert.Contains("Not an ELF", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
