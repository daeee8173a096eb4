using Ringmaster.Emulator.Cpu;
using static Ringmaster.Emulator.Tests.TestProgram;

namespace Ringmaster.Emulator.Tests;

public class FloatTests
{
    private static uint Fp(int rd, uint rm, int rs1, int rs2, uint f7) => Rv.R(0x53, rd, rm, rs1, rs2, f7);

    [Fact]
    public void Run_DoubleArithmetic_ConvertsAddsMultipliesAndMarksFsDirty()
    {
        var m = new TestProgram()
            .Emit(Rv.Lui(T0, 0x2000), Rv.Csrrs(0, 0x300, T0))          // mstatus.FS = Initial
            .Emit(Rv.Addi(A0, 0, 3), Rv.Addi(A1, 0, 4))
            .Emit(Fp(1, 0, A0, 2, 0x69), Fp(2, 0, A1, 2, 0x69))        // fcvt.d.l f1, a0 ; f2, a1
            .Emit(Fp(3, 0, 1, 2, 0x01), Fp(4, 0, 3, 2, 0x09))          // fadd.d f3 = 7 ; fmul.d f4 = 28
            .Emit(Fp(5, 1, 4, 4, 0x11))                                // fsgnjn.d f5 = -28
            .Emit(Fp(A2, 1, 4, 2, 0x61), Fp(A3, 1, 5, 2, 0x61))        // fcvt.l.d a2, a3 (rtz)
            .Emit(Rv.Csrr(A4, 0x300))
            .Pass().Run();
        Assert.Equal(0, m.ExitCode);
        Assert.Equal(28UL, m.X(A2));
        Assert.Equal(unchecked((ulong)-28L), m.X(A3));
        Assert.Equal(3UL << 13, m.X(A4) & (3UL << 13));                // FS = Dirty
        Assert.Equal(1UL << 63, m.X(A4) & (1UL << 63));                // SD
    }

    [Fact]
    public void Run_SingleMoves_AreNaNBoxed()
    {
        var m = new TestProgram()
            .Emit(Rv.Lui(T0, 0x2000), Rv.Csrrs(0, 0x300, T0))
            .Li(A0, 0x3F80_0000)                                       // 1.0f
            .Emit(Fp(1, 0, A0, 0, 0x78))                               // fmv.w.x f1, a0
            .Emit(Fp(A1, 0, 1, 0, 0x71))                               // fmv.x.d a1, f1 (raw 64 bits)
            .Emit(Fp(2, 0, A0, 0, 0x79))                               // fmv.d.x f2, a0 (not a boxed single)
            .Emit(Fp(3, 0, 2, 2, 0x00))                                // fadd.s f3, f2, f2 -> canonical NaN
            .Emit(Fp(A2, 0, 3, 0, 0x70))                               // fmv.x.w a2, f3
            .Emit(Fp(A3, 1, 1, 0, 0x70))                               // fclass.s a3, f1
            .Pass().Run();
        Assert.Equal(0xFFFF_FFFF_3F80_0000UL, m.X(A1));
        Assert.Equal(0x7FC0_0000UL, m.X(A2));
        Assert.Equal(1UL << 6, m.X(A3));                               // positive normal
    }

    [Fact]
    public void Run_FloatWithFsOff_RaisesIllegalInstruction()
    {
        var p = new TestProgram()
            .Li(T0, Base + 0x100).Emit(Rv.Csrw(0x305, T0))
            .Emit(Fp(1, 0, 0, 0, 0x78));
        while (p.Position < 0x100) p.Emit(Rv.Nop);
        var m = p.Emit(Rv.Csrr(A0, 0x342)).Pass().Run();
        Assert.Equal(2UL, m.X(A0));
    }
}
