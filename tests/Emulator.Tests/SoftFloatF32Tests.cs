using Ringmaster.Emulator.Cpu;

namespace Ringmaster.Emulator.Tests;

/// <summary>Directed binary32 cases. Flags: NX=1 UF=2 OF=4 DZ=8 NV=16. Modes: 0 RNE 1 RTZ 2 RDN 3 RUP 4 RMM.</summary>
public class SoftFloatF32Tests
{
    private const uint One = 0x3F80_0000, Two = 0x4000_0000, Half = 0x3F00_0000, MinusOne = 0xBF80_0000;
    private const uint Inf = 0x7F80_0000, NegInf = 0xFF80_0000, QNaN = 0x7FC0_0000, SNaN = 0x7F80_0001;
    private const uint Max = 0x7F7F_FFFF, MinNormal = 0x0080_0000, MaxSubnormal = 0x007F_FFFF, MinSubnormal = 0x0000_0001;

    [Theory]
    [InlineData(0, 0x3F80_0000u, 1u)] // 1 + 2^-24: tie, to even (down)
    [InlineData(1, 0x3F80_0000u, 1u)]
    [InlineData(2, 0x3F80_0000u, 1u)]
    [InlineData(3, 0x3F80_0001u, 1u)]
    [InlineData(4, 0x3F80_0001u, 1u)]
    public void AddF32_HalfwayBelowEven_RoundsPerMode(int rm, uint expected, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.AddF32(One, 0x3380_0000, rm, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Theory]
    [InlineData(0, 0x3F80_0002u)] // (1 + 2^-23) + 2^-24: tie, to even (up)
    [InlineData(1, 0x3F80_0001u)]
    [InlineData(2, 0x3F80_0001u)]
    [InlineData(3, 0x3F80_0002u)]
    [InlineData(4, 0x3F80_0002u)]
    public void AddF32_HalfwayAboveOdd_RoundsPerMode(int rm, uint expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.AddF32(0x3F80_0001, 0x3380_0000, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0xBF80_0000u)] // -(1 + 2^-24)
    [InlineData(1, 0xBF80_0000u)]
    [InlineData(2, 0xBF80_0001u)]
    [InlineData(3, 0xBF80_0000u)]
    [InlineData(4, 0xBF80_0001u)]
    public void AddF32_NegativeHalfway_RoundsPerMode(int rm, uint expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.AddF32(MinusOne, 0xB380_0000, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x7F80_0000u, 0xFF80_0000u)]
    [InlineData(1, 0x7F7F_FFFFu, 0xFF7F_FFFFu)]
    [InlineData(2, 0x7F7F_FFFFu, 0xFF80_0000u)]
    [InlineData(3, 0x7F80_0000u, 0xFF7F_FFFFu)]
    [InlineData(4, 0x7F80_0000u, 0xFF80_0000u)]
    public void AddF32_Overflow_InfinityOrMaxFinitePerMode(int rm, uint positive, uint negative)
    {
        uint flags = 0;
        Assert.Equal(positive, SoftFloat.AddF32(Max, Max, rm, ref flags));
        Assert.Equal(SoftFloat.FlagOverflow | SoftFloat.FlagInexact, flags);
        flags = 0;
        Assert.Equal(negative, SoftFloat.AddF32(Max | 0x8000_0000, Max | 0x8000_0000, rm, ref flags));
        Assert.Equal(SoftFloat.FlagOverflow | SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x7F80_0000u, 5u)] // max + half an ulp: tie, rounds to the even 2^128 → overflow
    [InlineData(1, 0x7F7F_FFFFu, 1u)] // rounds down to max without overflowing
    [InlineData(2, 0x7F7F_FFFFu, 1u)]
    [InlineData(3, 0x7F80_0000u, 5u)]
    [InlineData(4, 0x7F80_0000u, 5u)]
    public void AddF32_MaxPlusHalfUlp_OverflowOnlyWhenRoundingUp(int rm, uint expected, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.AddF32(Max, 0x7300_0000, rm, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Theory]
    [InlineData(0, 0u)]
    [InlineData(1, 0u)]
    [InlineData(2, 0x8000_0000u)]
    [InlineData(3, 0u)]
    [InlineData(4, 0u)]
    public void SubF32_XMinusX_NegativeZeroOnlyInRdn(int rm, uint expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.SubF32(0x4049_0FDB, 0x4049_0FDB, rm, ref flags));
        Assert.Equal(expected, SoftFloat.AddF32(MinusOne, One, rm, ref flags));
        Assert.Equal(0u, flags);
    }

    [Theory]
    [InlineData(0x8000_0000u, 0x8000_0000u, 0, 0x8000_0000u)]
    [InlineData(0x0000_0000u, 0x8000_0000u, 0, 0x0000_0000u)]
    [InlineData(0x0000_0000u, 0x8000_0000u, 2, 0x8000_0000u)]
    [InlineData(0x8000_0000u, 0x0000_0000u, 3, 0x0000_0000u)]
    [InlineData(0x0000_0000u, 0x0000_0000u, 2, 0x0000_0000u)]
    public void AddF32_SignedZeros_IeeeSignRules(uint a, uint b, int rm, uint expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.AddF32(a, b, rm, ref flags));
        Assert.Equal(0u, flags);
    }

    [Fact]
    public void AddF32_SubnormalOperands_ExactWithoutFlags()
    {
        uint flags = 0;
        Assert.Equal(0x0000_0002u, SoftFloat.AddF32(MinSubnormal, MinSubnormal, 0, ref flags));
        Assert.Equal(MinNormal, SoftFloat.AddF32(MaxSubnormal, MinSubnormal, 0, ref flags));
        Assert.Equal(0x8000_0002u, SoftFloat.SubF32(MaxSubnormal, 0x0080_0001, 0, ref flags));
        Assert.Equal(0u, flags);
    }

    [Fact]
    public void AddF32_NaNOperands_CanonicalNaNAndInvalidOnlyForSignaling()
    {
        uint flags = 0;
        Assert.Equal(QNaN, SoftFloat.AddF32(0xFFC1_2345, One, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(QNaN, SoftFloat.AddF32(One, SNaN, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.SubF32(Inf, Inf, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(Inf, SoftFloat.AddF32(Inf, Inf, 0, ref flags));
        Assert.Equal(NegInf, SoftFloat.AddF32(Max, NegInf, 0, ref flags));
        Assert.Equal(0u, flags);
    }

    [Theory]
    [InlineData(0, 0x0080_0000u, 1u)] // (1+2^-23) × maxSubnormal = 2^-126 − 2^-172: not tiny after rounding
    [InlineData(1, 0x007F_FFFFu, 3u)]
    [InlineData(2, 0x007F_FFFFu, 3u)]
    [InlineData(3, 0x0080_0000u, 1u)]
    [InlineData(4, 0x0080_0000u, 1u)]
    public void MulF32_JustBelowMinNormal_UnderflowDetectedAfterRounding(int rm, uint expected, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.MulF32(0x3F80_0001, MaxSubnormal, rm, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Theory]
    [InlineData(0, 0x0000_0000u)] // 2^-150: tie between 0 and the smallest subnormal
    [InlineData(1, 0x0000_0000u)]
    [InlineData(2, 0x0000_0000u)]
    [InlineData(3, 0x0000_0001u)]
    [InlineData(4, 0x0000_0001u)]
    public void MulF32_HalfOfMinSubnormal_UnderflowPerMode(int rm, uint expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.MulF32(MinSubnormal, Half, rm, ref flags));
        Assert.Equal(SoftFloat.FlagUnderflow | SoftFloat.FlagInexact, flags);
    }

    [Fact]
    public void MulF32_ExactSubnormalResult_NoUnderflow()
    {
        uint flags = 0;
        Assert.Equal(0x0040_0000u, SoftFloat.MulF32(MinNormal, Half, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(0x0000_0002u, SoftFloat.MulF32(0x0000_0003, Half, 0, ref flags));
        Assert.Equal(SoftFloat.FlagUnderflow | SoftFloat.FlagInexact, flags);
    }

    [Fact]
    public void MulF32_SpecialOperands_IeeeResults()
    {
        uint flags = 0;
        Assert.Equal(0x8000_0000u, SoftFloat.MulF32(0x8000_0000, One, 0, ref flags));
        Assert.Equal(NegInf, SoftFloat.MulF32(Inf, MinusOne, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(QNaN, SoftFloat.MulF32(Inf, 0x8000_0000, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(Inf, SoftFloat.MulF32(0x5F80_0000, 0x5F80_0000, 0, ref flags));
        Assert.Equal(SoftFloat.FlagOverflow | SoftFloat.FlagInexact, flags);
        flags = 0;
        Assert.Equal(Max, SoftFloat.MulF32(0x5F80_0000, 0x5F80_0000, 1, ref flags));
        Assert.Equal(SoftFloat.FlagOverflow | SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x3EAA_AAABu)]
    [InlineData(1, 0x3EAA_AAAAu)]
    [InlineData(2, 0x3EAA_AAAAu)]
    [InlineData(3, 0x3EAA_AAABu)]
    [InlineData(4, 0x3EAA_AAABu)]
    public void DivF32_OneThird_RoundsPerMode(int rm, uint expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.DivF32(One, 0x4040_0000, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Fact]
    public void DivF32_ByZeroAndInvalid_FlagsAndSpecialResults()
    {
        uint flags = 0;
        Assert.Equal(Inf, SoftFloat.DivF32(One, 0, 0, ref flags));
        Assert.Equal(SoftFloat.FlagDivideByZero, flags);
        flags = 0;
        Assert.Equal(NegInf, SoftFloat.DivF32(One, 0x8000_0000, 0, ref flags));
        Assert.Equal(SoftFloat.FlagDivideByZero, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.DivF32(0, 0x8000_0000, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.DivF32(Inf, NegInf, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(0x8000_0000u, SoftFloat.DivF32(MinusOne, Inf, 0, ref flags));
        Assert.Equal(Inf, SoftFloat.DivF32(Inf, 0, 0, ref flags));
        Assert.Equal(0u, SoftFloat.DivF32(0, MinSubnormal, 0, ref flags));
        Assert.Equal(0u, flags);
    }

    [Fact]
    public void DivF32_SubnormalOperands_Exact()
    {
        uint flags = 0;
        Assert.Equal(0x4A80_0000u, SoftFloat.DivF32(0x0040_0000, MinSubnormal, 0, ref flags)); // 2^-127 / 2^-149 = 2^22
        Assert.Equal(0x4AFF_FFFEu, SoftFloat.DivF32(MaxSubnormal, MinSubnormal, 0, ref flags)); // 2^23 - 1
        Assert.Equal(0x3400_0000u, SoftFloat.DivF32(MinSubnormal, MinNormal, 0, ref flags)); // 2^-23
        Assert.Equal(0u, flags);
    }

    [Theory]
    [InlineData(0, 0x3FB5_04F3u)]
    [InlineData(1, 0x3FB5_04F3u)]
    [InlineData(2, 0x3FB5_04F3u)]
    [InlineData(3, 0x3FB5_04F4u)]
    [InlineData(4, 0x3FB5_04F3u)]
    public void SqrtF32_Two_RoundsPerMode(int rm, uint expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.SqrtF32(Two, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Fact]
    public void SqrtF32_SpecialOperands_IeeeResults()
    {
        uint flags = 0;
        Assert.Equal(0x8000_0000u, SoftFloat.SqrtF32(0x8000_0000, 0, ref flags));
        Assert.Equal(0u, SoftFloat.SqrtF32(0, 0, ref flags));
        Assert.Equal(Inf, SoftFloat.SqrtF32(Inf, 0, ref flags));
        Assert.Equal(0x1A80_0000u, SoftFloat.SqrtF32(0x0000_0002, 0, ref flags)); // sqrt(2^-148) = 2^-74
        Assert.Equal(0x4040_0000u, SoftFloat.SqrtF32(0x4110_0000, 0, ref flags)); // sqrt(9) = 3
        Assert.Equal(0u, flags);
        Assert.Equal(QNaN, SoftFloat.SqrtF32(MinusOne, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.SqrtF32(NegInf, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.SqrtF32(0x8000_0001, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.SqrtF32(0xFFC0_0001, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(QNaN, SoftFloat.SqrtF32(SNaN, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
    }

    [Fact]
    public void FmaF32_ProductTieThatDoubleRoundingWouldLose_SingleRounding()
    {
        // (1 + 2^-12)^2 - 1 = 2^-11 + 2^-24 exactly; rounding the product first would give 2^-11.
        uint flags = 0;
        Assert.Equal(0x3A00_0400u, SoftFloat.FmaF32(0x3F80_0800, 0x3F80_0800, MinusOne, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(0x3A00_0000u, SoftFloat.AddF32(SoftFloat.MulF32(0x3F80_0800, 0x3F80_0800, 0, ref flags), MinusOne, 0, ref flags));
    }

    [Theory]
    [InlineData(0, 0x3F80_0001u)]
    [InlineData(1, 0x3F80_0000u)]
    [InlineData(2, 0x3F80_0000u)]
    [InlineData(3, 0x3F80_0001u)]
    [InlineData(4, 0x3F80_0001u)]
    public void FmaF32_StickyBitsBelowProduct_RoundsPerMode(int rm, uint expected)
    {
        // (1 + 2^-23)(1 - 2^-24) + 2^-24 = 1 + 2^-23 - 2^-47 exactly. Rounding the product first
        // (to 1, it is just below a tie) and then adding 2^-24 would tie-to-even back to 1 in RNE.
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.FmaF32(0x3F80_0001, 0x3F7F_FFFF, 0x3380_0000, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Fact]
    public void FmaF32_InfTimesZeroPlusQNaN_Invalid()
    {
        uint flags = 0;
        Assert.Equal(QNaN, SoftFloat.FmaF32(Inf, 0, QNaN, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.FmaF32(QNaN, 0, One, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(QNaN, SoftFloat.FmaF32(One, One, SNaN, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.FmaF32(Inf, One, NegInf, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(NegInf, SoftFloat.FmaF32(One, One, NegInf, 0, ref flags));
        Assert.Equal(Inf, SoftFloat.FmaF32(Inf, Two, Max, 0, ref flags));
        Assert.Equal(0u, flags);
    }

    [Theory]
    [InlineData(0, 0x0000_0000u)]
    [InlineData(2, 0x8000_0000u)]
    public void FmaF32_ExactCancellation_ZeroSignPerMode(int rm, uint expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.FmaF32(Two, Half, MinusOne, rm, ref flags));
        Assert.Equal(0u, flags);
    }

    [Fact]
    public void FmaF32_ZeroProductSigns_IeeeSignRules()
    {
        uint flags = 0;
        Assert.Equal(0x8000_0000u, SoftFloat.FmaF32(0x8000_0000, One, 0x8000_0000, 0, ref flags));
        Assert.Equal(0x0000_0000u, SoftFloat.FmaF32(0x8000_0000, One, 0, 0, ref flags));
        Assert.Equal(0x8000_0000u, SoftFloat.FmaF32(0x8000_0000, One, 0, 2, ref flags));
        Assert.Equal(MinSubnormal, SoftFloat.FmaF32(0, Max, MinSubnormal, 0, ref flags));
        Assert.Equal(0u, flags);
    }

    [Fact]
    public void FmaF32_TinyProductAndSubnormalAddend_Underflow()
    {
        // 2^-100 × 2^-60 + 2^-149 = 2^-149 + 2^-160: inexact and tiny.
        uint flags = 0;
        Assert.Equal(MinSubnormal, SoftFloat.FmaF32(0x0D80_0000, 0x2180_0000, MinSubnormal, 0, ref flags));
        Assert.Equal(SoftFloat.FlagUnderflow | SoftFloat.FlagInexact, flags);
        flags = 0;
        Assert.Equal(0x0000_0002u, SoftFloat.FmaF32(0x0D80_0000, 0x2180_0000, MinSubnormal, 3, ref flags));
        Assert.Equal(SoftFloat.FlagUnderflow | SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x3FC0_0002u)] // (1 + 2^-23) × 1.5 = 1.5 + 1.5 ulp: tie between ...01 (odd) and ...02 (even)
    [InlineData(1, 0x3FC0_0001u)]
    [InlineData(2, 0x3FC0_0001u)]
    [InlineData(3, 0x3FC0_0002u)]
    [InlineData(4, 0x3FC0_0002u)]
    public void MulF32_NormalRangeTie_RoundsPerMode(int rm, uint expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.MulF32(0x3F80_0001, 0x3FC0_0000, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
        flags = 0;
        var negativeExpected = rm switch { 2 => 0xBFC0_0002u, 3 => 0xBFC0_0001u, _ => expected | 0x8000_0000 };
        Assert.Equal(negativeExpected, SoftFloat.MulF32(0xBF80_0001, 0x3FC0_0000, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x3F80_0000u)] // 1 × 1 + 2^-24: exact tie inside the fused operation
    [InlineData(1, 0x3F80_0000u)]
    [InlineData(2, 0x3F80_0000u)]
    [InlineData(3, 0x3F80_0001u)]
    [InlineData(4, 0x3F80_0001u)]
    public void FmaF32_ExactTie_RoundsPerMode(int rm, uint expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.FmaF32(One, One, 0x3380_0000, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x1A35_04F3u)]
    [InlineData(1, 0x1A35_04F3u)]
    [InlineData(2, 0x1A35_04F3u)]
    [InlineData(3, 0x1A35_04F4u)]
    [InlineData(4, 0x1A35_04F3u)]
    public void SqrtF32_SmallestSubnormal_RoundsPerMode(int rm, uint expected)
    {
        // sqrt(2^-149) = 2^-75 × sqrt(2)
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.SqrtF32(MinSubnormal, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }
}
