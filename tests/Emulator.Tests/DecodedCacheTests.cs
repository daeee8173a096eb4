using Ringmaster.Emulator.Cpu;
using static Ringmaster.Emulator.Tests.TestProgram;

namespace Ringmaster.Emulator.Tests;

/// <summary>The decoded-instruction cache never runs stale code.</summary>
public class DecodedCacheTests
{
    /// <summary>A routine runs (and is decoded), the program rewrites one of its instructions, fence.i, runs it again.</summary>
    [Fact]
    public void Run_CodeRewrittenAfterItRan_RunsTheNewInstruction()
    {
        var p = new TestProgram()
            .To("start", o => Rv.Jal(0, o))
            .Label("routine").Emit(Rv.Addi(A0, A0, 1), Rv.Jalr(0, Ra, 0))
            .Label("start");
        p.Li(S0, p.Address("routine"))
            .Li(T1, Rv.Addi(A0, A0, 100))
            .To("routine", o => Rv.Jal(Ra, o))          // a0 = 1
            .Emit(Rv.Sw(T1, S0, 0), Rv.FenceI)
            .To("routine", o => Rv.Jal(Ra, o))          // a0 = 101 with the new instruction
            .Emit(Rv.Addi(A1, A0, 0))
            .Pass();

        var m = p.Run();

        Assert.Equal(0, m.ExitCode);
        Assert.Equal(101UL, m.X(A1));
    }

    /// <summary>A loop body is decoded once; rewriting a compressed instruction in it into an illegal one traps with its bits.</summary>
    [Fact]
    public void Run_CompressedInstructionReplacedByIllegal_TrapsWithTheNewBits()
    {
        var p = new TestProgram()
            .Li(T0, Base + 0x200).Emit(Rv.Csrw(0x305, T0))
            .To("start", o => Rv.Jal(0, o))
            .Label("routine").Half(0x0505, 0x8082)      // c.addi a0, 1; c.jr ra
            .Label("start");
        p.Li(S0, p.Address("routine"))
            .To("routine", o => Rv.Jal(Ra, o))          // a0 = 1
            .Emit(Rv.Sh(0, S0, 0), Rv.FenceI)           // 0x0000: the illegal all-zero compressed instruction
            .To("routine", o => Rv.Jal(Ra, o));
        while (p.Position < 0x200) p.Emit(Rv.Nop);
        p.Emit(Rv.Csrr(A2, 0x342), Rv.Csrr(A3, 0x343), Rv.Csrr(A4, 0x341)).Pass();

        var m = p.Run();

        Assert.Equal(0, m.ExitCode);
        Assert.Equal(1UL, m.X(A0));
        Assert.Equal(2UL, m.X(A2));                     // illegal instruction
        Assert.Equal(0UL, m.X(A3));                     // mtval: its bits
        Assert.Equal(p.Address("routine"), m.X(A4));
    }
}
