using Ringmaster.Emulator.Cpu;

namespace Ringmaster.Emulator.Tests;

/// <summary>Directed conversion cases. Flags: NX=1 UF=2 OF=4 DZ=8 NV=16. Modes: 0 RNE 1 RTZ 2 RDN 3 RUP 4 RMM.</summary>
public class SoftFloatConvertTests
{
    private const uint F32NaN = 0x7FC0_0000, F32SNaN = 0x7F80_0001, F32Inf = 0x7F80_0000, F32NegInf = 0xFF80_0000;
    private const ulong F64NaN = 0x7FF8_0000_0000_0000, F64SNaN = 0x7FF0_0000_0000_0001, F64Inf = 0x7FF0_0000_0000_0000;
    private const ulong F64NegInf = 0xFFF0_0000_0000_0000;
    private const uint NX = 1, NV = 16;

    // ---- float -> integer ----

    [Theory]
    [InlineData(0x4F00_0000u, int.MaxValue, NV)] // 2^31
    [InlineData(0xCF00_0000u, int.MinValue, 0u)] // -2^31 exactly
    [InlineData(0x4EFF_FFFFu, 2147483520, 0u)] // largest float below 2^31
    [InlineData(0x7FC0_0000u, int.MaxValue, NV)]
    [InlineData(0xFFC0_0000u, int.MaxValue, NV)] // negative NaN still gives the max
    [InlineData(0x7F80_0001u, int.MaxValue, NV)]
    [InlineData(0x7F80_0000u, int.MaxValue, NV)]
    [InlineData(0xFF80_0000u, int.MinValue, NV)]
    [InlineData(0x8000_0000u, 0, 0u)]
    [InlineData(0x0000_0001u, 0, NX)]
    public void F32ToI32_Boundaries_SaturateWithInvalidOnly(uint a, int expected, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.F32ToI32(a, 0, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Theory]
    [InlineData(0, 2, -2, NX)] // ±2.5
    [InlineData(1, 2, -2, NX)]
    [InlineData(2, 2, -3, NX)]
    [InlineData(3, 3, -2, NX)]
    [InlineData(4, 3, -3, NX)]
    public void F32ToI32_HalfwayTwoAndAHalf_RoundsPerMode(int rm, int positive, int negative, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(positive, SoftFloat.F32ToI32(0x4020_0000, rm, ref flags));
        Assert.Equal(negative, SoftFloat.F32ToI32(0xC020_0000, rm, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Theory]
    [InlineData(0, int.MinValue, NX)] // -2^31 - 0.5: ties to even -2^31
    [InlineData(1, int.MinValue, NX)]
    [InlineData(2, int.MinValue, NV)] // rounds to -2^31 - 1: out of range
    [InlineData(3, int.MinValue, NX)]
    [InlineData(4, int.MinValue, NV)]
    public void F64ToI32_MinusTwoToThe31MinusHalf_SaturatesOnlyWhenRoundingAway(int rm, int expected, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.F64ToI32(0xC1E0_0000_0010_0000, rm, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Theory]
    [InlineData(0, int.MaxValue, NV)] // 2^31 - 0.5: ties to even 2^31, out of range
    [InlineData(1, int.MaxValue, NX)]
    [InlineData(2, int.MaxValue, NX)]
    [InlineData(3, int.MaxValue, NV)]
    [InlineData(4, int.MaxValue, NV)]
    public void F64ToI32_TwoToThe31MinusHalf_PerMode(int rm, int expected, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.F64ToI32(0x41DF_FFFF_FFE0_0000, rm, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Fact]
    public void F64ToI32_MinusTwoToThe31MinusOne_SaturatesToMin()
    {
        uint flags = 0;
        Assert.Equal(int.MinValue, SoftFloat.F64ToI32(0xC1E0_0000_0020_0000, 1, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(int.MinValue, SoftFloat.F64ToI32(0xC1E0_0000_0000_0000, 1, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(int.MaxValue, SoftFloat.F64ToI32(F64NaN, 1, ref flags));
        Assert.Equal(NV, flags);
    }

    [Theory]
    [InlineData(1, 0u, NX)] // -0.6 truncates to 0: inexact, not invalid
    [InlineData(0, 0u, NV)] // rounds to -1: invalid
    [InlineData(2, 0u, NV)]
    [InlineData(3, 0u, NX)]
    [InlineData(4, 0u, NV)]
    public void F32ToU32_MinusPointSix_PerMode(int rm, uint expected, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.F32ToU32(0xBF19_999A, rm, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Theory]
    [InlineData(1, NX)]
    [InlineData(0, NV)]
    [InlineData(2, NV)]
    public void F64ToU64_MinusPointSix_PerMode(int rm, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(0ul, SoftFloat.F64ToU64(0xBFE3_3333_3333_3333, rm, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Fact]
    public void F32ToU32_Boundaries_SaturateWithInvalidOnly()
    {
        uint flags = 0;
        Assert.Equal(4294967040u, SoftFloat.F32ToU32(0x4F7F_FFFF, 0, ref flags));
        Assert.Equal(0u, SoftFloat.F32ToU32(0x8000_0000, 0, ref flags));
        Assert.Equal(0u, SoftFloat.F32ToU32(0xBE80_0000, 1, ref flags)); // -0.25 → 0, inexact
        Assert.Equal(NX, flags);
        flags = 0;
        Assert.Equal(uint.MaxValue, SoftFloat.F32ToU32(0x4F80_0000, 0, ref flags)); // 2^32
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(uint.MaxValue, SoftFloat.F32ToU32(F32NaN, 0, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(uint.MaxValue, SoftFloat.F32ToU32(F32Inf, 0, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(0u, SoftFloat.F32ToU32(F32NegInf, 0, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(0u, SoftFloat.F32ToU32(0xBF80_0000, 0, ref flags)); // -1
        Assert.Equal(NV, flags);
    }

    [Fact]
    public void F64ToU32_Boundaries_SaturateWithInvalidOnly()
    {
        uint flags = 0;
        Assert.Equal(uint.MaxValue, SoftFloat.F64ToU32(0x41EF_FFFF_FFE0_0000, 0, ref flags)); // 2^32 - 1
        Assert.Equal(0u, flags);
        Assert.Equal(uint.MaxValue, SoftFloat.F64ToU32(0x41EF_FFFF_FFF0_0000, 1, ref flags)); // 2^32 - 0.5, RTZ
        Assert.Equal(NX, flags);
        flags = 0;
        Assert.Equal(uint.MaxValue, SoftFloat.F64ToU32(0x41EF_FFFF_FFF0_0000, 0, ref flags)); // ties to 2^32
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(0u, SoftFloat.F64ToU32(0x8000_0000_0000_0000, 0, ref flags));
        Assert.Equal(0u, flags);
    }

    [Fact]
    public void F64ToI64_Boundaries_SaturateWithInvalidOnly()
    {
        uint flags = 0;
        Assert.Equal(long.MinValue, SoftFloat.F64ToI64(0xC3E0_0000_0000_0000, 0, ref flags)); // -2^63
        Assert.Equal(0x7FFF_FFFF_FFFF_FC00L, SoftFloat.F64ToI64(0x43DF_FFFF_FFFF_FFFF, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(long.MaxValue, SoftFloat.F64ToI64(0x43E0_0000_0000_0000, 0, ref flags)); // 2^63
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(long.MinValue, SoftFloat.F64ToI64(0xC3E0_0000_0000_0001, 0, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(long.MaxValue, SoftFloat.F64ToI64(F64SNaN, 0, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(long.MinValue, SoftFloat.F64ToI64(F64NegInf, 0, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(-1L, SoftFloat.F64ToI64(0xBFE0_0000_0000_0001, 4, ref flags)); // just past -0.5, RMM
        Assert.Equal(NX, flags);
    }

    [Fact]
    public void F64ToU64_Boundaries_SaturateWithInvalidOnly()
    {
        uint flags = 0;
        Assert.Equal(0x8000_0000_0000_0000ul, SoftFloat.F64ToU64(0x43E0_0000_0000_0000, 0, ref flags)); // 2^63
        Assert.Equal(0xFFFF_FFFF_FFFF_F800ul, SoftFloat.F64ToU64(0x43EF_FFFF_FFFF_FFFF, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(ulong.MaxValue, SoftFloat.F64ToU64(0x43F0_0000_0000_0000, 0, ref flags)); // 2^64
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(ulong.MaxValue, SoftFloat.F64ToU64(F64Inf, 0, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(ulong.MaxValue, SoftFloat.F64ToU64(0xFFF8_0000_0000_0000, 0, ref flags));
        Assert.Equal(NV, flags);
    }

    [Fact]
    public void F32ToI64AndU64_Boundaries_SaturateWithInvalidOnly()
    {
        uint flags = 0;
        Assert.Equal(long.MinValue, SoftFloat.F32ToI64(0xDF00_0000, 0, ref flags)); // -2^63
        Assert.Equal(0xFFFF_FF00_0000_0000ul, SoftFloat.F32ToU64(0x5F7F_FFFF, 0, ref flags));
        Assert.Equal(1L, SoftFloat.F32ToI64(0x3F80_0000, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(long.MaxValue, SoftFloat.F32ToI64(0x5F00_0000, 0, ref flags)); // 2^63
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(ulong.MaxValue, SoftFloat.F32ToU64(0x5F80_0000, 0, ref flags)); // 2^64
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(long.MaxValue, SoftFloat.F32ToI64(F32NaN, 0, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(0ul, SoftFloat.F32ToU64(0xBF19_999A, 1, ref flags)); // -0.6 RTZ
        Assert.Equal(NX, flags);
        flags = 0;
        Assert.Equal(0ul, SoftFloat.F32ToU64(0xBF19_999A, 0, ref flags)); // -0.6 RNE → -1
        Assert.Equal(NV, flags);
    }

    // ---- integer -> float ----

    [Theory]
    [InlineData(0, 0x4B80_0000u)] // 2^24 + 1: tie
    [InlineData(1, 0x4B80_0000u)]
    [InlineData(2, 0x4B80_0000u)]
    [InlineData(3, 0x4B80_0001u)]
    [InlineData(4, 0x4B80_0001u)]
    public void I32ToF32_TwoToThe24PlusOne_RoundsPerMode(int rm, uint expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.I32ToF32(16_777_217, rm, ref flags));
        Assert.Equal(NX, flags);
        flags = 0;
        Assert.Equal(expected ^ 0x8000_0000 ^ (rm is 2 or 3 ? 1u : 0), SoftFloat.I32ToF32(-16_777_217, rm, ref flags));
        Assert.Equal(NX, flags);
    }

    [Fact]
    public void IntToF32_ExtremeValues_ExpectedBits()
    {
        uint flags = 0;
        Assert.Equal(0xCF00_0000u, SoftFloat.I32ToF32(int.MinValue, 0, ref flags));
        Assert.Equal(0u, SoftFloat.I32ToF32(0, 2, ref flags)); // +0 even in RDN
        Assert.Equal(0xDF00_0000u, SoftFloat.I64ToF32(long.MinValue, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(0x4F80_0000u, SoftFloat.U32ToF32(uint.MaxValue, 0, ref flags));
        Assert.Equal(NX, flags);
        flags = 0;
        Assert.Equal(0x4F7F_FFFFu, SoftFloat.U32ToF32(uint.MaxValue, 1, ref flags));
        Assert.Equal(NX, flags);
        flags = 0;
        Assert.Equal(0x5F80_0000u, SoftFloat.U64ToF32(ulong.MaxValue, 0, ref flags));
        Assert.Equal(NX, flags);
        flags = 0;
        Assert.Equal(0x5F7F_FFFFu, SoftFloat.U64ToF32(ulong.MaxValue, 2, ref flags));
        Assert.Equal(NX, flags);
        flags = 0;
        Assert.Equal(0x5F00_0000u, SoftFloat.I64ToF32(long.MaxValue, 0, ref flags));
        Assert.Equal(NX, flags);
    }

    [Fact]
    public void IntToF64_ExtremeValues_ExpectedBits()
    {
        uint flags = 0;
        Assert.Equal(0xC1E0_0000_0000_0000ul, SoftFloat.I32ToF64(int.MinValue, 0, ref flags));
        Assert.Equal(0x41EF_FFFF_FFE0_0000ul, SoftFloat.U32ToF64(uint.MaxValue, 0, ref flags));
        Assert.Equal(0xBFF0_0000_0000_0000ul, SoftFloat.I32ToF64(-1, 0, ref flags));
        Assert.Equal(0xC3E0_0000_0000_0000ul, SoftFloat.I64ToF64(long.MinValue, 0, ref flags));
        Assert.Equal(0ul, SoftFloat.U64ToF64(0, 2, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(0x43E0_0000_0000_0000ul, SoftFloat.I64ToF64(long.MaxValue, 0, ref flags));
        Assert.Equal(NX, flags);
        flags = 0;
        Assert.Equal(0x43DF_FFFF_FFFF_FFFFul, SoftFloat.I64ToF64(long.MaxValue, 1, ref flags));
        Assert.Equal(NX, flags);
        flags = 0;
        Assert.Equal(0x43F0_0000_0000_0000ul, SoftFloat.U64ToF64(ulong.MaxValue, 4, ref flags));
        Assert.Equal(NX, flags);
        flags = 0;
        Assert.Equal(0x43EF_FFFF_FFFF_FFFFul, SoftFloat.U64ToF64(ulong.MaxValue, 2, ref flags));
        Assert.Equal(NX, flags);
    }

    [Theory]
    [InlineData(0, 0x4340_0000_0000_0000ul)] // 2^53 + 1: tie
    [InlineData(1, 0x4340_0000_0000_0000ul)]
    [InlineData(3, 0x4340_0000_0000_0001ul)]
    [InlineData(4, 0x4340_0000_0000_0001ul)]
    public void I64ToF64_TwoToThe53PlusOne_RoundsPerMode(int rm, ulong expected)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.I64ToF64((1L << 53) + 1, rm, ref flags));
        Assert.Equal(NX, flags);
    }

    // ---- float <-> float ----

    [Fact]
    public void F32ToF64_AllClasses_ExactAndCanonicalNaN()
    {
        uint flags = 0;
        Assert.Equal(0x3FF0_0000_0000_0000ul, SoftFloat.F32ToF64(0x3F80_0000, ref flags));
        Assert.Equal(0x36A0_0000_0000_0000ul, SoftFloat.F32ToF64(0x0000_0001, ref flags)); // 2^-149
        Assert.Equal(0xB810_0000_0000_0000ul, SoftFloat.F32ToF64(0x8080_0000, ref flags)); // -2^-126
        Assert.Equal(0x47EF_FFFF_E000_0000ul, SoftFloat.F32ToF64(0x7F7F_FFFF, ref flags));
        Assert.Equal(0x8000_0000_0000_0000ul, SoftFloat.F32ToF64(0x8000_0000, ref flags));
        Assert.Equal(F64NegInf, SoftFloat.F32ToF64(F32NegInf, ref flags));
        Assert.Equal(F64NaN, SoftFloat.F32ToF64(0xFFC1_2345, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(F64NaN, SoftFloat.F32ToF64(F32SNaN, ref flags));
        Assert.Equal(NV, flags);
    }

    [Theory]
    [InlineData(0, 0x7F80_0000u, 5u)] // F32 max + half an ulp: tie to even → overflow
    [InlineData(1, 0x7F7F_FFFFu, 1u)]
    [InlineData(2, 0x7F7F_FFFFu, 1u)]
    [InlineData(3, 0x7F80_0000u, 5u)]
    [InlineData(4, 0x7F80_0000u, 5u)]
    public void F64ToF32_MaxPlusHalfUlp_OverflowPerMode(int rm, uint expected, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.F64ToF32(0x47EF_FFFF_F000_0000, rm, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Theory]
    [InlineData(0, 0x0000_0000u, 0x8000_0000u)] // ±2^-150: half the smallest subnormal
    [InlineData(1, 0x0000_0000u, 0x8000_0000u)]
    [InlineData(2, 0x0000_0000u, 0x8000_0001u)]
    [InlineData(3, 0x0000_0001u, 0x8000_0000u)]
    [InlineData(4, 0x0000_0001u, 0x8000_0001u)]
    public void F64ToF32_HalfOfMinSubnormal_UnderflowPerMode(int rm, uint positive, uint negative)
    {
        uint flags = 0;
        Assert.Equal(positive, SoftFloat.F64ToF32(0x3690_0000_0000_0000, rm, ref flags));
        Assert.Equal(3u, flags);
        flags = 0;
        Assert.Equal(negative, SoftFloat.F64ToF32(0xB690_0000_0000_0000, rm, ref flags));
        Assert.Equal(3u, flags);
    }

    [Fact]
    public void F64ToF32_SpecialAndExactValues_ExpectedBits()
    {
        uint flags = 0;
        Assert.Equal(0x3F80_0000u, SoftFloat.F64ToF32(0x3FF0_0000_0000_0000, 0, ref flags));
        Assert.Equal(0x0000_0001u, SoftFloat.F64ToF32(0x36A0_0000_0000_0000, 0, ref flags));
        Assert.Equal(0xFF80_0000u, SoftFloat.F64ToF32(F64NegInf, 0, ref flags));
        Assert.Equal(0x8000_0000u, SoftFloat.F64ToF32(0x8000_0000_0000_0000, 0, ref flags));
        Assert.Equal(F32NaN, SoftFloat.F64ToF32(0x7FF8_0000_0000_0001, 0, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(F32NaN, SoftFloat.F64ToF32(F64SNaN, 0, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(0u, SoftFloat.F64ToF32(0x0000_0000_0000_0001, 0, ref flags)); // F64 subnormal → 0
        Assert.Equal(3u, flags);
        flags = 0;
        Assert.Equal(0x0080_0000u, SoftFloat.F64ToF32(0x380F_FFFF_F000_0000, 0, ref flags)); // 2^-126(1 - 2^-25): rounds to min normal, not tiny
        Assert.Equal(NX, flags);
    }
}
