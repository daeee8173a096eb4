using Ringmaster.Emulator.Cpu;
using static Ringmaster.Emulator.Tests.TestProgram;

namespace Ringmaster.Emulator.Tests;

public class BaseIntegerTests
{
    [Fact]
    public void Run_ArithmeticAndShifts_ProduceRv64Results()
    {
        var m = new TestProgram()
            .Emit(Rv.Addi(A0, 0, -5), Rv.Addi(A1, 0, 7), Rv.Add(A2, A0, A1), Rv.Sub(A3, A0, A1))
            .Emit(Rv.Slli(A4, A1, 60), Rv.I(0x13, A5, 5, A0, 0x400 | 1)) // srai a5, a0, 1
            .Emit(Rv.Lui(S0, 0x8000_0000), Rv.Addiw(S1, A1, -8))
            .Pass().Run();
        Assert.Equal(0, m.ExitCode);
        Assert.Equal(2UL, m.X(A2));
        Assert.Equal(unchecked((ulong)-12L), m.X(A3));
        Assert.Equal(0x7000_0000_0000_0000UL, m.X(A4));
        Assert.Equal(unchecked((ulong)-3L), m.X(A5));
        Assert.Equal(0xFFFF_FFFF_8000_0000UL, m.X(S0));
        Assert.Equal(ulong.MaxValue, m.X(S1));
    }

    [Fact]
    public void Run_LoopWithBranches_SumsOneToTen()
    {
        var m = new TestProgram()
            .Emit(Rv.Addi(A0, 0, 0), Rv.Addi(A1, 0, 10))
            .Label("loop")
            .Emit(Rv.Add(A0, A0, A1), Rv.Addi(A1, A1, -1))
            .To("loop", o => Rv.Bne(A1, 0, o))
            .Pass().Run();
        Assert.Equal(0, m.ExitCode);
        Assert.Equal(55UL, m.X(A0));
    }

    [Fact]
    public void Run_LoadsAndStores_SignAndZeroExtend()
    {
        var m = new TestProgram()
            .Li(S0, 0x8000_8000)
            .Li(A0, 0x1122_3344_8899_AAFF)
            .Emit(Rv.Sd(A0, S0, 0), Rv.Lw(A1, S0, 0), Rv.I(0x03, A2, 6, S0, 0), Rv.I(0x03, A3, 0, S0, 0), Rv.Lbu(A4, S0, 0))
            .Emit(Rv.Ld(A5, S0, 1)) // misaligned load is handled
            .Pass().Run();
        Assert.Equal(0, m.ExitCode);
        Assert.Equal(0xFFFF_FFFF_8899_AAFFUL, m.X(A1));
        Assert.Equal(0x8899_AAFFUL, m.X(A2));
        Assert.Equal(ulong.MaxValue, m.X(A3));
        Assert.Equal(0xFFUL, m.X(A4));
        Assert.Equal(0x0011_2233_4488_99AAUL, m.X(A5));
    }

    [Fact]
    public void Run_JalAndJalr_LinkAndReturn()
    {
        var m = new TestProgram()
            .To("func", o => Rv.Jal(Ra, o))
            .Emit(Rv.Addi(A1, 0, 2))
            .To("end", o => Rv.Jal(0, o))
            .Label("func")
            .Emit(Rv.Addi(A0, 0, 1), Rv.Jalr(0, Ra, 0))
            .Label("end")
            .Pass().Run();
        Assert.Equal(1UL, m.X(A0));
        Assert.Equal(2UL, m.X(A1));
        Assert.Equal(Base + 4, m.X(Ra));
    }
}

public class MultiplyDivideTests
{
    [Fact]
    public void Run_MulDivRem_FollowRiscVEdgeCases()
    {
        var m = new TestProgram()
            .Li(A0, 0x8000_0000_0000_0000).Emit(Rv.Addi(A1, 0, -1), Rv.Addi(T0, 0, 7), Rv.Addi(T1, 0, 0))
            .Emit(Rv.Div(A2, A0, A1), Rv.Rem(A3, A0, A1), Rv.Div(A4, T0, T1), Rv.Rem(A5, T0, T1))
            .Emit(Rv.Mulhu(S0, A1, A1), Rv.Mulh(S1, A1, A1), Rv.Mul(T2, T0, A1))
            .Pass().Run();
        Assert.Equal(0x8000_0000_0000_0000UL, m.X(A2));
        Assert.Equal(0UL, m.X(A3));
        Assert.Equal(ulong.MaxValue, m.X(A4));
        Assert.Equal(7UL, m.X(A5));
        Assert.Equal(0xFFFF_FFFF_FFFF_FFFEUL, m.X(S0));
        Assert.Equal(0UL, m.X(S1));
        Assert.Equal(unchecked((ulong)-7L), m.X(T2));
    }
}

public class AtomicTests
{
    [Fact]
    public void Run_LrScAndAmoadd_UpdateMemoryAtomically()
    {
        var m = new TestProgram()
            .Li(S0, 0x8000_8000).Emit(Rv.Addi(T0, 0, 40), Rv.Sd(T0, S0, 0), Rv.Addi(T1, 0, 2))
            .Emit(Rv.LrD(A0, S0), Rv.ScD(A1, S0, T1))       // succeeds: a1 = 0
            .Emit(Rv.ScD(A2, S0, T0))                       // no reservation: a2 = 1
            .Emit(Rv.AmoaddD(A3, S0, T0), Rv.Ld(A4, S0, 0)) // a3 = 2, memory = 42
            .Pass().Run();
        Assert.Equal(40UL, m.X(A0));
        Assert.Equal(0UL, m.X(A1));
        Assert.Equal(1UL, m.X(A2));
        Assert.Equal(2UL, m.X(A3));
        Assert.Equal(42UL, m.X(A4));
    }
}

public class CompressedTests
{
    [Theory]
    [InlineData(0x4505, 0x00100513u)] // c.li a0, 1      -> addi a0, x0, 1
    [InlineData(0x0505, 0x00150513u)] // c.addi a0, 1    -> addi a0, a0, 1
    [InlineData(0x852e, 0x00b00533u)] // c.mv a0, a1     -> add a0, x0, a1
    [InlineData(0x8082, 0x00008067u)] // c.jr ra (ret)   -> jalr x0, 0(ra)
    [InlineData(0x6108, 0x00053503u)] // c.ld a0, 0(a0) -> ld a0, 0(a0)
    [InlineData(0x1141, 0xff010113u)] // c.addi sp, -16 -> addi sp, sp, -16
    [InlineData(0xe406, 0x00113423u)] // c.sdsp ra, 8(sp) -> sd ra, 8(sp)
    [InlineData(0x60a2, 0x00813083u)] // c.ldsp ra, 8(sp) -> ld ra, 8(sp)
    public void Expand_KnownEncodings_MatchTheirBaseInstructions(int compressed, uint expected)
    {
        Assert.Equal(expected, Rvc.Expand((uint)compressed));
    }

    [Fact]
    public void Expand_ZeroWord_IsIllegal()
    {
        Assert.Equal(0u, Rvc.Expand(0));
    }

    [Fact]
    public void Run_MixedCompressedCode_ExecutesWithTwoByteSteps()
    {
        var m = new TestProgram()
            .Half(0x4505, 0x0505) // c.li a0,1 ; c.addi a0,1
            .Half(0x852e, 0x0001) // c.mv a0,a1 (a1 = 0) ; c.nop
            .Half(0x4589, 0x0001) // c.li a1, 2 ; c.nop
            .Pass().Run();
        Assert.Equal(0, m.ExitCode);
        Assert.Equal(0UL, m.X(A0));
        Assert.Equal(2UL, m.X(A1));
    }
}
