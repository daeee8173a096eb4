using Ringmaster.Emulator.Cpu;

namespace Ringmaster.Emulator.Tests;

/// <summary>Directed binary64 cases. Flags: NX=1 UF=2 OF=4 DZ=8 NV=16. Modes: 0 RNE 1 RTZ 2 RDN 3 RUP 4 RMM.</summary>
public class SoftFloatF64Tests
{
    private const ulong One = 0x3FF0_0000_0000_0000, Two = 0x4000_0000_0000_0000, Half = 0x3FE0_0000_0000_0000;
    private const ulong MinusOne = 0xBFF0_0000_0000_0000, Three = 0x4008_0000_0000_0000;
    private const ulong Inf = 0x7FF0_0000_0000_0000, NegInf = 0xFFF0_0000_0000_0000;
    private const ulong QNaN = 0x7FF8_0000_0000_0000, SNaN = 0x7FF0_0000_0000_0001;
    private const ulong Max = 0x7FEF_FFFF_FFFF_FFFF, MinNormal = 0x0010_0000_0000_0000;
    private const ulong MaxSubnormal = 0x000F_FFFF_FFFF_FFFF, MinSubnormal = 1;
    private const ulong TwoToMinus53 = 0x3CA0_0000_0000_0000;

    [Theory]
    [InlineData(0, 0x3FF0_0000_0000_0000ul)]
    [InlineData(1, 0x3FF0_0000_0000_0000ul)]
    [InlineData(2, 0x3FF0_0000_0000_0000ul)]
    [InlineData(3, 0x3FF0_0000_0000_0001ul)]
    [InlineData(4, 0x3FF0_0000_0000_0001ul)]
    public void AddF64_HalfwayBelowEven_RoundsPerMode(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.AddF64(One, TwoToMinus53, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x3FF0_0000_0000_0002ul)]
    [InlineData(1, 0x3FF0_0000_0000_0001ul)]
    [InlineData(2, 0x3FF0_0000_0000_0001ul)]
    [InlineData(3, 0x3FF0_0000_0000_0002ul)]
    [InlineData(4, 0x3FF0_0000_0000_0002ul)]
    public void AddF64_HalfwayAboveOdd_RoundsPerMode(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.AddF64(0x3FF0_0000_0000_0001, TwoToMinus53, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0xBFF0_0000_0000_0000ul)]
    [InlineData(1, 0xBFF0_0000_0000_0000ul)]
    [InlineData(2, 0xBFF0_0000_0000_0001ul)]
    [InlineData(3, 0xBFF0_0000_0000_0000ul)]
    [InlineData(4, 0xBFF0_0000_0000_0001ul)]
    public void SubF64_NegativeHalfway_RoundsPerMode(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.SubF64(MinusOne, TwoToMinus53, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x7FF0_0000_0000_0000ul, 0xFFF0_0000_0000_0000ul)]
    [InlineData(1, 0x7FEF_FFFF_FFFF_FFFFul, 0xFFEF_FFFF_FFFF_FFFFul)]
    [InlineData(2, 0x7FEF_FFFF_FFFF_FFFFul, 0xFFF0_0000_0000_0000ul)]
    [InlineData(3, 0x7FF0_0000_0000_0000ul, 0xFFEF_FFFF_FFFF_FFFFul)]
    [InlineData(4, 0x7FF0_0000_0000_0000ul, 0xFFF0_0000_0000_0000ul)]
    public void AddF64_Overflow_InfinityOrMaxFinitePerMode(int rm, ulong positive, ulong negative)
    {
        uint flags = 0;
        Assert.Equal(positive, SoftFloat.AddF64(Max, Max, rm, ref flags));
        Assert.Equal(SoftFloat.FlagOverflow | SoftFloat.FlagInexact, flags);
        flags = 0;
        Assert.Equal(negative, SoftFloat.AddF64(Max | 0x8000_0000_0000_0000, Max | 0x8000_0000_0000_0000, rm, ref flags));
        Assert.Equal(SoftFloat.FlagOverflow | SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x7FF0_0000_0000_0000ul, 5u)] // max + half an ulp (2^970): tie, to the even 2^1024 → overflow
    [InlineData(1, 0x7FEF_FFFF_FFFF_FFFFul, 1u)]
    [InlineData(2, 0x7FEF_FFFF_FFFF_FFFFul, 1u)]
    [InlineData(3, 0x7FF0_0000_0000_0000ul, 5u)]
    [InlineData(4, 0x7FF0_0000_0000_0000ul, 5u)]
    public void AddF64_MaxPlusHalfUlp_OverflowOnlyWhenRoundingUp(int rm, ulong expected, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.AddF64(Max, 0x7C90_0000_0000_0000, rm, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Theory]
    [InlineData(0, 0x7FF0_0000_0000_0000ul)]
    [InlineData(1, 0x7FEF_FFFF_FFFF_FFFFul)]
    [InlineData(2, 0x7FEF_FFFF_FFFF_FFFFul)]
    [InlineData(3, 0x7FF0_0000_0000_0000ul)]
    [InlineData(4, 0x7FF0_0000_0000_0000ul)]
    public void MulF64_ExactProductAboveRange_OverflowsInEveryMode(int rm, ulong expected)
    {
        // max × (1 + 2^-52) ≥ 2^1024 before rounding, so even RTZ reports overflow.
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.MulF64(Max, 0x3FF0_0000_0000_0001, rm, ref flags));
        Assert.Equal(SoftFloat.FlagOverflow | SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0ul)]
    [InlineData(1, 0ul)]
    [InlineData(2, 0x8000_0000_0000_0000ul)]
    [InlineData(3, 0ul)]
    [InlineData(4, 0ul)]
    public void SubF64_XMinusX_NegativeZeroOnlyInRdn(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.SubF64(0x4009_21FB_5444_2D18, 0x4009_21FB_5444_2D18, rm, ref flags));
        Assert.Equal(expected, SoftFloat.SubF64(MaxSubnormal, MaxSubnormal, rm, ref flags));
        Assert.Equal(0u, flags);
    }

    [Fact]
    public void AddF64_SignedZerosAndSubnormals_ExactResults()
    {
        uint flags = 0;
        Assert.Equal(0x8000_0000_0000_0000ul, SoftFloat.AddF64(0x8000_0000_0000_0000, 0x8000_0000_0000_0000, 0, ref flags));
        Assert.Equal(0ul, SoftFloat.AddF64(0x8000_0000_0000_0000, 0, 0, ref flags));
        Assert.Equal(0x8000_0000_0000_0000ul, SoftFloat.AddF64(0x8000_0000_0000_0000, 0, 2, ref flags));
        Assert.Equal(MinNormal, SoftFloat.AddF64(MaxSubnormal, MinSubnormal, 0, ref flags));
        Assert.Equal(0x8000_0000_0000_0002ul, SoftFloat.SubF64(MaxSubnormal, 0x0010_0000_0000_0001, 0, ref flags));
        Assert.Equal(0u, flags);
    }

    [Fact]
    public void AddF64_NaNOperands_CanonicalNaNAndInvalidOnlyForSignaling()
    {
        uint flags = 0;
        Assert.Equal(QNaN, SoftFloat.AddF64(0xFFF8_1234_5678_9ABC, One, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(QNaN, SoftFloat.AddF64(SNaN, 0xFFF8_0000_0000_0000, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.AddF64(Inf, NegInf, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
    }

    [Theory]
    [InlineData(0, 0x0010_0000_0000_0000ul, 1u)] // (1+2^-52) × maxSubnormal = 2^-1022 − 2^-1126
    [InlineData(1, 0x000F_FFFF_FFFF_FFFFul, 3u)]
    [InlineData(2, 0x000F_FFFF_FFFF_FFFFul, 3u)]
    [InlineData(3, 0x0010_0000_0000_0000ul, 1u)]
    [InlineData(4, 0x0010_0000_0000_0000ul, 1u)]
    public void MulF64_JustBelowMinNormal_UnderflowDetectedAfterRounding(int rm, ulong expected, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.MulF64(0x3FF0_0000_0000_0001, MaxSubnormal, rm, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Theory]
    [InlineData(0, 0ul)]
    [InlineData(1, 0ul)]
    [InlineData(2, 0ul)]
    [InlineData(3, 1ul)]
    [InlineData(4, 1ul)]
    public void MulF64_HalfOfMinSubnormal_UnderflowPerMode(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.MulF64(MinSubnormal, Half, rm, ref flags));
        Assert.Equal(SoftFloat.FlagUnderflow | SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x8000_0000_0000_0000ul)]
    [InlineData(2, 0x8000_0000_0000_0001ul)]
    [InlineData(3, 0x8000_0000_0000_0000ul)]
    public void MulF64_NegativeTinyResult_RoundsTowardModeWithUnderflow(int rm, ulong expected)
    {
        // -2^-1074 × 2^-10 = -2^-1084
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.MulF64(0x8000_0000_0000_0001, 0x3F50_0000_0000_0000, rm, ref flags));
        Assert.Equal(SoftFloat.FlagUnderflow | SoftFloat.FlagInexact, flags);
    }

    [Fact]
    public void MulF64_ExactSubnormalResult_NoUnderflow()
    {
        uint flags = 0;
        Assert.Equal(0x0008_0000_0000_0000ul, SoftFloat.MulF64(MinNormal, Half, 0, ref flags));
        Assert.Equal(MinSubnormal, SoftFloat.MulF64(0x0000_0000_0000_0002, Half, 0, ref flags));
        Assert.Equal(0x8000_0000_0000_0000ul, SoftFloat.MulF64(0x8000_0000_0000_0000, Max, 0, ref flags));
        Assert.Equal(0u, flags);
    }

    [Theory]
    [InlineData(0, 0x3FD5_5555_5555_5555ul)]
    [InlineData(1, 0x3FD5_5555_5555_5555ul)]
    [InlineData(2, 0x3FD5_5555_5555_5555ul)]
    [InlineData(3, 0x3FD5_5555_5555_5556ul)]
    [InlineData(4, 0x3FD5_5555_5555_5555ul)]
    public void DivF64_OneThird_RoundsPerMode(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.DivF64(One, Three, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Fact]
    public void DivF64_SpecialOperands_IeeeResults()
    {
        uint flags = 0;
        Assert.Equal(NegInf, SoftFloat.DivF64(MinusOne, 0, 0, ref flags));
        Assert.Equal(SoftFloat.FlagDivideByZero, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.DivF64(0x8000_0000_0000_0000, 0, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.DivF64(Inf, Inf, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(0x8000_0000_0000_0000ul, SoftFloat.DivF64(One, NegInf, 0, ref flags));
        Assert.Equal(0x4330_0000_0000_0000ul, SoftFloat.DivF64(0x0010_0000_0000_0000, 0x0000_0000_0000_0001, 0, ref flags)); // 2^52
        Assert.Equal(0u, flags);
    }

    [Theory]
    [InlineData(0, 0x7FF0_0000_0000_0000ul)]
    [InlineData(1, 0x7FEF_FFFF_FFFF_FFFFul)]
    [InlineData(3, 0x7FF0_0000_0000_0000ul)]
    public void DivF64_BySubnormal_OverflowPerMode(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.DivF64(Max, MinSubnormal, rm, ref flags));
        Assert.Equal(SoftFloat.FlagOverflow | SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x3FF6_A09E_667F_3BCDul)]
    [InlineData(1, 0x3FF6_A09E_667F_3BCCul)]
    [InlineData(2, 0x3FF6_A09E_667F_3BCCul)]
    [InlineData(3, 0x3FF6_A09E_667F_3BCDul)]
    [InlineData(4, 0x3FF6_A09E_667F_3BCDul)]
    public void SqrtF64_Two_RoundsPerMode(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.SqrtF64(Two, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Fact]
    public void SqrtF64_SpecialOperands_IeeeResults()
    {
        uint flags = 0;
        Assert.Equal(0x8000_0000_0000_0000ul, SoftFloat.SqrtF64(0x8000_0000_0000_0000, 0, ref flags));
        Assert.Equal(Inf, SoftFloat.SqrtF64(Inf, 0, ref flags));
        Assert.Equal(0x1E60_0000_0000_0000ul, SoftFloat.SqrtF64(MinSubnormal, 0, ref flags)); // 2^-537
        Assert.Equal(Three, SoftFloat.SqrtF64(0x4022_0000_0000_0000, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(QNaN, SoftFloat.SqrtF64(MinusOne, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.SqrtF64(NegInf, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.SqrtF64(0xFFF8_0000_0000_0000, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(QNaN, SoftFloat.SqrtF64(SNaN, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
    }

    [Fact]
    public void FmaF64_ProductBelowHalfUlp_SingleRoundingKeepsIt()
    {
        // (1 + 2^-27)^2 - 1 = 2^-26 + 2^-54 exactly; rounding the product first loses 2^-54.
        uint flags = 0;
        Assert.Equal(0x3E50_0000_0100_0000ul, SoftFloat.FmaF64(0x3FF0_0000_0200_0000, 0x3FF0_0000_0200_0000, MinusOne, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(0x3E50_0000_0000_0000ul, SoftFloat.SubF64(SoftFloat.MulF64(0x3FF0_0000_0200_0000, 0x3FF0_0000_0200_0000, 0, ref flags), One, 0, ref flags));
    }

    [Theory]
    [InlineData(0, 0x3FF0_0000_0000_0001ul)]
    [InlineData(1, 0x3FF0_0000_0000_0000ul)]
    [InlineData(2, 0x3FF0_0000_0000_0000ul)]
    [InlineData(3, 0x3FF0_0000_0000_0001ul)]
    [InlineData(4, 0x3FF0_0000_0000_0001ul)]
    public void FmaF64_StickyBitsBelowProduct_RoundsPerMode(int rm, ulong expected)
    {
        // (1 + 2^-52)(1 - 2^-53) + 2^-53 = 1 + 2^-52 - 2^-105: double rounding would give 1.0 in RNE.
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.FmaF64(0x3FF0_0000_0000_0001, 0x3FEF_FFFF_FFFF_FFFF, TwoToMinus53, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Fact]
    public void FmaF64_InvalidCases_RaiseNv()
    {
        uint flags = 0;
        Assert.Equal(QNaN, SoftFloat.FmaF64(0, NegInf, QNaN, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.FmaF64(NegInf, NegInf, NegInf, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.FmaF64(SNaN, One, One, 0, ref flags));
        Assert.Equal(SoftFloat.FlagInvalid, flags);
        flags = 0;
        Assert.Equal(QNaN, SoftFloat.FmaF64(One, QNaN, One, 0, ref flags));
        Assert.Equal(Inf, SoftFloat.FmaF64(NegInf, NegInf, Inf, 0, ref flags));
        Assert.Equal(0u, flags);
    }

    [Theory]
    [InlineData(0, 0ul)]
    [InlineData(1, 0ul)]
    [InlineData(2, 0x8000_0000_0000_0000ul)]
    public void FmaF64_ExactCancellation_ZeroSignPerMode(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.FmaF64(Three, Three, 0xC022_0000_0000_0000, rm, ref flags));
        Assert.Equal(0u, flags);
    }

    [Fact]
    public void FmaF64_OverflowingProductCancelledByAddend_ExactFiniteResult()
    {
        // max × 2 − max = max exactly: the product alone would overflow.
        uint flags = 0;
        Assert.Equal(Max, SoftFloat.FmaF64(Max, Two, Max | 0x8000_0000_0000_0000, 0, ref flags));
        Assert.Equal(0u, flags);
    }

    [Fact]
    public void FmaF64_SubnormalProductWithAddend_UnderflowAfterRounding()
    {
        // 2^-1074 × 0.5 + 0 → tie to 0 with UF|NX; + 2^-1074 → 1.5 × 2^-1074 → ties to 2 × 2^-1074.
        uint flags = 0;
        Assert.Equal(0ul, SoftFloat.FmaF64(MinSubnormal, Half, 0, 0, ref flags));
        Assert.Equal(SoftFloat.FlagUnderflow | SoftFloat.FlagInexact, flags);
        flags = 0;
        Assert.Equal(2ul, SoftFloat.FmaF64(MinSubnormal, Half, MinSubnormal, 0, ref flags));
        Assert.Equal(SoftFloat.FlagUnderflow | SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x3FF0_0000_0000_0000ul)] // 1 × 1 + 2^-53: exact tie inside the fused operation
    [InlineData(1, 0x3FF0_0000_0000_0000ul)]
    [InlineData(2, 0x3FF0_0000_0000_0000ul)]
    [InlineData(3, 0x3FF0_0000_0000_0001ul)]
    [InlineData(4, 0x3FF0_0000_0000_0001ul)]
    public void FmaF64_ExactTie_RoundsPerMode(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.FmaF64(One, One, TwoToMinus53, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x3FF8_0000_0000_0002ul)] // (1 + 2^-52) × 1.5: tie between ...01 (odd) and ...02 (even)
    [InlineData(1, 0x3FF8_0000_0000_0001ul)]
    [InlineData(2, 0x3FF8_0000_0000_0001ul)]
    [InlineData(3, 0x3FF8_0000_0000_0002ul)]
    [InlineData(4, 0x3FF8_0000_0000_0002ul)]
    public void MulF64_NormalRangeTie_RoundsPerMode(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.MulF64(0x3FF0_0000_0000_0001, 0x3FF8_0000_0000_0000, rm, ref flags));
        Assert.Equal(SoftFloat.FlagInexact, flags);
    }

    [Theory]
    [InlineData(0, 0x0000_0000_0000_0002ul)] // 3 × 2^-1074 × 0.5: tie in the subnormal range → even
    [InlineData(1, 0x0000_0000_0000_0001ul)]
    [InlineData(2, 0x0000_0000_0000_0001ul)]
    [InlineData(3, 0x0000_0000_0000_0002ul)]
    [InlineData(4, 0x0000_0000_0000_0002ul)]
    public void MulF64_SubnormalTie_RoundsPerModeWithUnderflow(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.MulF64(3, Half, rm, ref flags));
        Assert.Equal(SoftFloat.FlagUnderflow | SoftFloat.FlagInexact, flags);
    }
}
