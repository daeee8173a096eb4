using Ringmaster.Emulator.Cpu;

namespace Ringmaster.Emulator.Tests;

/// <summary>fmin/fmax, feq/flt/fle and fclass in both formats.</summary>
public class SoftFloatCompareTests
{
    private const uint NV = 16;

    private const uint PosZero32 = 0, NegZero32 = 0x8000_0000, One32 = 0x3F80_0000, Two32 = 0x4000_0000;
    private const uint MinusOne32 = 0xBF80_0000, MinusTwo32 = 0xC000_0000, QNaN32 = 0x7FC0_0000, SNaN32 = 0x7F80_0001;
    private const ulong PosZero64 = 0, NegZero64 = 0x8000_0000_0000_0000, One64 = 0x3FF0_0000_0000_0000;
    private const ulong Two64 = 0x4000_0000_0000_0000, MinusOne64 = 0xBFF0_0000_0000_0000, MinusTwo64 = 0xC000_0000_0000_0000;
    private const ulong QNaN64 = 0x7FF8_0000_0000_0000, SNaN64 = 0x7FF4_0000_0000_0000;

    [Theory]
    [InlineData(NegZero32, PosZero32, NegZero32, PosZero32, 0u)]
    [InlineData(PosZero32, NegZero32, NegZero32, PosZero32, 0u)]
    [InlineData(One32, Two32, One32, Two32, 0u)]
    [InlineData(MinusOne32, MinusTwo32, MinusTwo32, MinusOne32, 0u)]
    [InlineData(0xFF80_0000u, One32, 0xFF80_0000u, One32, 0u)]
    [InlineData(0xFFC1_2345u, One32, One32, One32, 0u)] // one quiet NaN → the other operand
    [InlineData(Two32, QNaN32, Two32, Two32, 0u)]
    [InlineData(SNaN32, One32, One32, One32, NV)] // signaling NaN → the other operand, NV
    [InlineData(QNaN32, 0xFFC0_0005u, QNaN32, QNaN32, 0u)] // both NaN → canonical
    [InlineData(SNaN32, 0xFF80_0002u, QNaN32, QNaN32, NV)]
    [InlineData(0x0000_0001u, 0x8000_0001u, 0x8000_0001u, 0x0000_0001u, 0u)]
    public void MinMaxF32_Cases_RiscVSemantics(uint a, uint b, uint min, uint max, uint expectedFlags)
    {
        uint minFlags = 0, maxFlags = 0;
        Assert.Equal(min, SoftFloat.MinF32(a, b, ref minFlags));
        Assert.Equal(max, SoftFloat.MaxF32(a, b, ref maxFlags));
        Assert.Equal(expectedFlags, minFlags);
        Assert.Equal(expectedFlags, maxFlags);
    }

    [Theory]
    [InlineData(NegZero64, PosZero64, NegZero64, PosZero64, 0u)]
    [InlineData(PosZero64, NegZero64, NegZero64, PosZero64, 0u)]
    [InlineData(One64, Two64, One64, Two64, 0u)]
    [InlineData(MinusOne64, MinusTwo64, MinusTwo64, MinusOne64, 0u)]
    [InlineData(0xFFF8_0000_0000_0001ul, MinusOne64, MinusOne64, MinusOne64, 0u)]
    [InlineData(One64, SNaN64, One64, One64, NV)]
    [InlineData(QNaN64, QNaN64, QNaN64, QNaN64, 0u)]
    [InlineData(SNaN64, QNaN64, QNaN64, QNaN64, NV)]
    [InlineData(0x7FF0_0000_0000_0000ul, 0x7FEF_FFFF_FFFF_FFFFul, 0x7FEF_FFFF_FFFF_FFFFul, 0x7FF0_0000_0000_0000ul, 0u)]
    public void MinMaxF64_Cases_RiscVSemantics(ulong a, ulong b, ulong min, ulong max, uint expectedFlags)
    {
        uint minFlags = 0, maxFlags = 0;
        Assert.Equal(min, SoftFloat.MinF64(a, b, ref minFlags));
        Assert.Equal(max, SoftFloat.MaxF64(a, b, ref maxFlags));
        Assert.Equal(expectedFlags, minFlags);
        Assert.Equal(expectedFlags, maxFlags);
    }

    [Theory]
    // a, b, eq, lt, le, eq flags, lt/le flags
    [InlineData(One32, One32, true, false, true, 0u, 0u)]
    [InlineData(NegZero32, PosZero32, true, false, true, 0u, 0u)]
    [InlineData(PosZero32, NegZero32, true, false, true, 0u, 0u)]
    [InlineData(MinusOne32, One32, false, true, true, 0u, 0u)]
    [InlineData(One32, MinusOne32, false, false, false, 0u, 0u)]
    [InlineData(MinusTwo32, MinusOne32, false, true, true, 0u, 0u)]
    [InlineData(MinusOne32, MinusTwo32, false, false, false, 0u, 0u)]
    [InlineData(0x8000_0001u, PosZero32, false, true, true, 0u, 0u)]
    [InlineData(0xFF80_0000u, 0x7F80_0000u, false, true, true, 0u, 0u)]
    [InlineData(QNaN32, One32, false, false, false, 0u, NV)]
    [InlineData(One32, QNaN32, false, false, false, 0u, NV)]
    [InlineData(QNaN32, QNaN32, false, false, false, 0u, NV)]
    [InlineData(SNaN32, One32, false, false, false, NV, NV)]
    [InlineData(One32, 0xFFBF_FFFFu, false, false, false, NV, NV)]
    public void CompareF32_Cases_FlagRulesPerPredicate(uint a, uint b, bool eq, bool lt, bool le, uint eqFlags, uint orderFlags)
    {
        uint flags = 0;
        Assert.Equal(eq, SoftFloat.EqF32(a, b, ref flags));
        Assert.Equal(eqFlags, flags);
        flags = 0;
        Assert.Equal(lt, SoftFloat.LtF32(a, b, ref flags));
        Assert.Equal(orderFlags, flags);
        flags = 0;
        Assert.Equal(le, SoftFloat.LeF32(a, b, ref flags));
        Assert.Equal(orderFlags, flags);
    }

    [Theory]
    [InlineData(One64, One64, true, false, true, 0u, 0u)]
    [InlineData(NegZero64, PosZero64, true, false, true, 0u, 0u)]
    [InlineData(MinusOne64, NegZero64, false, true, true, 0u, 0u)]
    [InlineData(MinusTwo64, MinusOne64, false, true, true, 0u, 0u)]
    [InlineData(Two64, One64, false, false, false, 0u, 0u)]
    [InlineData(0x0000_0000_0000_0001ul, 0x0000_0000_0000_0002ul, false, true, true, 0u, 0u)]
    [InlineData(QNaN64, One64, false, false, false, 0u, NV)]
    [InlineData(One64, SNaN64, false, false, false, NV, NV)]
    public void CompareF64_Cases_FlagRulesPerPredicate(ulong a, ulong b, bool eq, bool lt, bool le, uint eqFlags, uint orderFlags)
    {
        uint flags = 0;
        Assert.Equal(eq, SoftFloat.EqF64(a, b, ref flags));
        Assert.Equal(eqFlags, flags);
        flags = 0;
        Assert.Equal(lt, SoftFloat.LtF64(a, b, ref flags));
        Assert.Equal(orderFlags, flags);
        flags = 0;
        Assert.Equal(le, SoftFloat.LeF64(a, b, ref flags));
        Assert.Equal(orderFlags, flags);
    }

    [Theory]
    [InlineData(0xFF80_0000u, 1u << 0)]
    [InlineData(0xBF80_0000u, 1u << 1)]
    [InlineData(0x807F_FFFFu, 1u << 2)]
    [InlineData(0x8000_0000u, 1u << 3)]
    [InlineData(0x0000_0000u, 1u << 4)]
    [InlineData(0x0000_0001u, 1u << 5)]
    [InlineData(0x7F7F_FFFFu, 1u << 6)]
    [InlineData(0x7F80_0000u, 1u << 7)]
    [InlineData(0x7F80_0001u, 1u << 8)]
    [InlineData(0xFFBF_FFFFu, 1u << 8)]
    [InlineData(0x7FC0_0000u, 1u << 9)]
    [InlineData(0xFFC0_0001u, 1u << 9)]
    public void ClassF32_EachClass_SingleBit(uint a, uint expected) => Assert.Equal(expected, SoftFloat.ClassF32(a));

    [Theory]
    [InlineData(0xFFF0_0000_0000_0000ul, 1u << 0)]
    [InlineData(0x8010_0000_0000_0000ul, 1u << 1)]
    [InlineData(0x8000_0000_0000_0001ul, 1u << 2)]
    [InlineData(0x8000_0000_0000_0000ul, 1u << 3)]
    [InlineData(0x0000_0000_0000_0000ul, 1u << 4)]
    [InlineData(0x000F_FFFF_FFFF_FFFFul, 1u << 5)]
    [InlineData(0x3FF0_0000_0000_0000ul, 1u << 6)]
    [InlineData(0x7FF0_0000_0000_0000ul, 1u << 7)]
    [InlineData(0x7FF0_0000_0000_0001ul, 1u << 8)]
    [InlineData(0x7FF7_FFFF_FFFF_FFFFul, 1u << 8)]
    [InlineData(0x7FF8_0000_0000_0000ul, 1u << 9)]
    [InlineData(0xFFFF_FFFF_FFFF_FFFFul, 1u << 9)]
    public void ClassF64_EachClass_SingleBit(ulong a, uint expected) => Assert.Equal(expected, SoftFloat.ClassF64(a));
}
