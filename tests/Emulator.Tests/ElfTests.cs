using System.Diagnostics;

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
    public void BareMetal_TightLoop_RunsAtLeast50Mips()
    {
        var sw = Stopwatch.StartNew();
        var m = RunElf("loop.elf", 400_000_000);
        sw.Stop();
        Assert.Equal(0, m.ExitCode);
        var mips = m.InstructionCount / sw.Elapsed.TotalSeconds / 1e6;
        // The target on an idle 2-core host is 150+; the bound here leaves room for a busy CI machine.
        Assert.True(mips > 50, $"{mips:F0} MIPS");
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
