namespace Ringmaster.Emulator.Tests;

public class RobustnessTests
{
    /// <summary>Random bytes as code, in every privilege the guest can reach: only traps, never a host failure.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RunSlice_RandomCode_NeverFaultsTheEmulator(int seed)
    {
        var rng = new Random(seed);
        var code = new byte[256 * 1024];
        rng.NextBytes(code);
        using var m = RiscVMachine.ForProgram(code, 0, new MachineConfig { MemoryMiB = 16, Harts = 2, DeterministicClock = true });
        for (var i = 0; i < 50; i++)
        {
            var s = m.RunSlice(100_000);
            Assert.True(s != MachineStatus.Faulted, m.StopReason);
            if (s is MachineStatus.PoweredOff or MachineStatus.Rebooting)
                break;
            // Keep the harts busy: when random code parks a hart in WFI with nothing due, restart it elsewhere.
            for (var h = 0; h < m.HartCount; h++)
            {
                var hart = m.GetHart(h);
                if ((hart._mtvec - 0x8000_0000) >= (ulong)code.Length)
                    hart._mtvec = 0x8000_0000 + ((ulong)rng.Next(code.Length / 4) * 4);
                if ((hart._stvec - 0x8000_0000) >= (ulong)code.Length)
                    hart._stvec = 0x8000_0000 + ((ulong)rng.Next(code.Length / 4) * 4);
                if (hart.Waiting || (hart.Pc - 0x8000_0000) >= (ulong)code.Length)
                {
                    hart.Waiting = false;
                    hart.Pc = 0x8000_0000 + ((ulong)rng.Next(code.Length / 2) * 2);
                }
            }
        }
    }
}
