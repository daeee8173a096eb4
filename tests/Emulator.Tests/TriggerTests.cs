using Ringmaster.Emulator.Cpu;
using static Ringmaster.Emulator.Tests.TestProgram;

namespace Ringmaster.Emulator.Tests;

/// <summary>
/// The debug trigger CSRs on a hart without triggers (debug spec 1.0, Sdtrig): M mode reads
/// "no trigger" without trapping, S and U mode take an illegal-instruction trap.
/// </summary>
public class TriggerTests
{
    private const uint Tselect = 0x7A0, Tdata1 = 0x7A1, Tdata2 = 0x7A2, Tdata3 = 0x7A3, Tinfo = 0x7A4;
    private const int A6 = 16, A7 = 17;

    /// <summary>A trap handler at +0x200 that records mcause, mtval and mepc in S0, A6, A7 and ends the run.</summary>
    private static TestProgram WithTrapHandler(TestProgram p)
    {
        while (p.Position < 0x200) p.Emit(Rv.Nop);
        return p.Emit(Rv.Csrr(S0, 0x342), Rv.Csrr(A6, 0x343), Rv.Csrr(A7, 0x341)).Pass();
    }

    [Fact]
    public void Run_TriggerCsrsInMachineMode_ReadNoTriggerWithoutTrapping()
    {
        var p = new TestProgram()
            .Li(T0, Base + 0x200).Emit(Rv.Csrw(0x305, T0))                                     // mtvec
            .Emit(Rv.Addi(A0, 0, -1), Rv.Addi(A1, 0, -1), Rv.Addi(A2, 0, -1), Rv.Addi(A3, 0, -1), Rv.Addi(A4, 0, -1))
            .Emit(Rv.Csrr(A0, Tselect), Rv.Csrr(A1, Tdata1), Rv.Csrr(A2, Tdata2), Rv.Csrr(A3, Tdata3), Rv.Csrr(A4, Tinfo))
            .Emit(Rv.Addi(S1, 0, 1))
            .Pass();
        var m = WithTrapHandler(p).Run();

        Assert.Equal(0, m.ExitCode);
        Assert.Equal(0UL, m.X(S0));                 // no trap: mcause never read
        Assert.Equal(1UL, m.X(S1));                 // ran past the reads
        Assert.Equal(0UL, m.X(A0));                 // tselect: trigger 0
        Assert.Equal(0UL, m.X(A1) >> 60);           // tdata1.type = 0: no trigger at this tselect
        Assert.Equal(0UL, m.X(A1));                 // dmode and data hard-wired to 0 with type 0
        Assert.Equal(0UL, m.X(A2));                 // tdata2
        Assert.Equal(0UL, m.X(A3));                 // tdata3
        Assert.Equal(Hart.TinfoNoTrigger, m.X(A4)); // tinfo.info = 1: the selected trigger doesn't exist
        Assert.Equal(1UL, m.X(A4));
    }

    [Fact]
    public void Run_TselectWrites_ReadBackZero()
    {
        var p = new TestProgram()
            .Li(T0, Base + 0x200).Emit(Rv.Csrw(0x305, T0))
            .Emit(Rv.Csrw(Tselect, 0), Rv.Csrr(A0, Tselect))                                   // 0: the only index
            .Emit(Rv.Addi(T0, 0, 1), Rv.Csrrw(A1, Tselect, T0), Rv.Csrr(A1, Tselect))          // 1: WARL, reads 0
            .Emit(Rv.Addi(T0, 0, -1), Rv.Csrrs(0, Tselect, T0), Rv.Csrr(A2, Tselect))          // all ones: reads 0
            .Emit(Rv.Csrrwi(A3, Tselect, 5), Rv.Csrr(A3, Tselect))
            .Emit(Rv.Addi(S1, 0, 1))
            .Pass();
        var m = WithTrapHandler(p).Run();

        Assert.Equal(0UL, m.X(S0));
        Assert.Equal(1UL, m.X(S1));
        Assert.Equal(0UL, m.X(A0));
        Assert.Equal(0UL, m.X(A1));
        Assert.Equal(0UL, m.X(A2));
        Assert.Equal(0UL, m.X(A3));
    }

    /// <summary>Arming an mcontrol6 execute trigger on trigger 0 changes nothing: there is no trigger to hold it.</summary>
    [Fact]
    public void Run_TdataAndTinfoWrites_AreIgnored()
    {
        var p = new TestProgram()
            .Li(T0, Base + 0x200).Emit(Rv.Csrw(0x305, T0))
            .Li(T1, (6UL << 60) | (1UL << 6) | (1UL << 2)).Emit(Rv.Csrw(Tdata1, T1))  // type 6, m, execute
            .Li(T1, Base + 0x100).Emit(Rv.Csrw(Tdata2, T1), Rv.Csrw(Tdata3, T1))
            .Emit(Rv.Csrw(Tinfo, 0))
            .Emit(Rv.Csrr(A1, Tdata1), Rv.Csrr(A2, Tdata2), Rv.Csrr(A3, Tdata3), Rv.Csrr(A4, Tinfo))
            .Emit(Rv.Addi(S1, 0, 1))
            .Pass();
        var m = WithTrapHandler(p).Run();

        Assert.Equal(0UL, m.X(S0));
        Assert.Equal(1UL, m.X(S1));
        Assert.Equal(0UL, m.X(A1));     // still type 0
        Assert.Equal(0UL, m.X(A2));
        Assert.Equal(0UL, m.X(A3));
        Assert.Equal(1UL, m.X(A4));
    }

    /// <summary>The enumeration loop of the spec (and of OpenSBI's trigger probe) counts zero triggers.</summary>
    [Fact]
    public void Run_SpecEnumeration_FindsNoTriggers()
    {
        var p = new TestProgram()
            .Li(T0, Base + 0x200).Emit(Rv.Csrw(0x305, T0))
            .Emit(Rv.Addi(S1, 0, 0), Rv.Addi(T2, 0, 1))
            .Label("next").Emit(Rv.Csrw(Tselect, S1), Rv.Csrr(T0, Tselect))                  // select S1 and read it back
            .To("done", o => Rv.Bne(T0, S1, o))                                               // not held: no more triggers
            .Emit(Rv.Csrr(T1, Tinfo))
            .To("done", o => Rv.Beq(T1, T2, o))                                               // info = 1: trigger doesn't exist
            .Emit(Rv.Addi(S1, S1, 1))
            .To("next", o => Rv.Jal(0, o))
            .Label("done").Emit(Rv.Addi(A0, 0, 1))
            .Pass();
        var m = WithTrapHandler(p).Run();

        Assert.Equal(0UL, m.X(S0));     // no trap
        Assert.Equal(1UL, m.X(A0));     // the loop ended
        Assert.Equal(0UL, m.X(S1));     // zero triggers
    }

    /// <summary>mret into S (mpp 1) or U (mpp 0) mode at "access", which reads or writes a trigger CSR.</summary>
    [Theory]
    [InlineData(Tselect, 1, false)]
    [InlineData(Tdata1, 1, false)]
    [InlineData(Tdata2, 1, false)]
    [InlineData(Tdata3, 1, false)]
    [InlineData(Tinfo, 1, false)]
    [InlineData(Tselect, 1, true)]
    [InlineData(Tdata1, 1, true)]
    [InlineData(Tselect, 0, false)]
    [InlineData(Tdata1, 0, false)]
    [InlineData(Tdata2, 0, false)]
    [InlineData(Tdata3, 0, false)]
    [InlineData(Tinfo, 0, false)]
    [InlineData(Tselect, 0, true)]
    [InlineData(Tdata1, 0, true)]
    public void Run_TriggerCsrBelowMachineMode_RaisesIllegalInstruction(uint csr, int mpp, bool write)
    {
        var insn = write ? Rv.Csrrw(A0, csr, T1) : Rv.Csrr(A0, csr);
        var p = new TestProgram().AllowAllMemory()
            .Li(T0, Base + 0x200).Emit(Rv.Csrw(0x305, T0))
            .Emit(Rv.Lui(T2, 0x2000), Rv.Addi(T2, T2, -0x800), Rv.Csrrc(0, 0x300, T2))       // MPP = U
            .Emit(Rv.Addi(T2, 0, mpp), Rv.Slli(T2, T2, 11), Rv.Csrrs(0, 0x300, T2))           // MPP = mpp
            .Emit(Rv.Addi(A0, 0, 77))
            .Emit(Rv.Auipc(T1, 0), Rv.Addi(T1, T1, 16), Rv.Csrw(0x341, T1), Rv.Mret)
            .Label("access").Emit(insn, Rv.Addi(S1, 0, 1));
        var access = p.Address("access");
        var m = WithTrapHandler(p).Run();

        Assert.Equal(0, m.ExitCode);
        Assert.Equal(2UL, m.X(S0));             // mcause: illegal instruction
        Assert.Equal(insn, (uint)m.X(A6));      // mtval: the instruction bits
        Assert.Equal(access, m.X(A7));          // mepc: the access
        Assert.Equal(77UL, m.X(A0));            // rd untouched
        Assert.Equal(0UL, m.X(S1));             // nothing after it ran
        Assert.Equal((ulong)mpp, (m.GetHart(0)._mstatus >> 11) & 3); // mstatus.MPP: the mode it trapped from
    }

    /// <summary>tcontrol, mcontext and scontext only matter with triggers; they stay unimplemented, even in M mode.</summary>
    [Theory]
    [InlineData(0x7A5u)]
    [InlineData(0x7A8u)]
    [InlineData(0x5A8u)]
    public void Run_TriggerContextCsrs_RaiseIllegalInstruction(uint csr)
    {
        var p = new TestProgram()
            .Li(T0, Base + 0x200).Emit(Rv.Csrw(0x305, T0))
            .Emit(Rv.Csrr(A0, csr), Rv.Addi(S1, 0, 1));
        var m = WithTrapHandler(p).Run();

        Assert.Equal(2UL, m.X(S0));
        Assert.Equal(0UL, m.X(S1));
    }
}
