using Ringmaster.Emulator.Cpu;

namespace Ringmaster.Emulator.Tests;

/// <summary>
/// Randomized cross-check against the host's IEEE 754 hardware (round-to-nearest-even only):
/// results must match bit for bit, except that a NaN must come back as the canonical NaN.
/// </summary>
public class SoftFloatHardwareTests
{
    private const int Iterations = 100_000;
    private const int Rne = 0;

    private static uint Expect32(float f) => float.IsNaN(f) ? SoftFloat.CanonicalNaN32 : BitConverter.SingleToUInt32Bits(f);

    private static ulong Expect64(double d) => double.IsNaN(d) ? SoftFloat.CanonicalNaN64 : BitConverter.DoubleToUInt64Bits(d);

    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    private static double D(ulong bits) => BitConverter.UInt64BitsToDouble(bits);

    /// <summary>Random bit patterns, some with exponents pulled near another operand's (for cancellation).</summary>
    private static uint Random32(Random r, uint near)
    {
        var bits = (uint)r.NextInt64();
        switch (r.Next(8))
        {
            case 0:
                return bits & 0x807F_FFFF; // zero or subnormal
            case 1:
                return (bits & 0x807F_FFFF) | (near & 0x7F80_0000);
            case 2:
                return (bits & 0x80FF_FFFF) | ((near & 0x7F80_0000) + 0x0100_0000 * (uint)r.Next(-3, 4));
            case 3:
                return r.Next(3) == 0 ? (bits & 0x8000_0000) | 0x7F80_0000 : bits | 0x7F80_0000; // inf / NaN
            default:
                return bits;
        }
    }

    private static ulong Random64(Random r, ulong near)
    {
        var bits = (ulong)r.NextInt64() ^ ((ulong)r.Next(2) << 63);
        switch (r.Next(8))
        {
            case 0:
                return bits & 0x800F_FFFF_FFFF_FFFF;
            case 1:
                return (bits & 0x800F_FFFF_FFFF_FFFF) | (near & 0x7FF0_0000_0000_0000);
            case 2:
                return (bits & 0x801F_FFFF_FFFF_FFFF) | ((near & 0x7FF0_0000_0000_0000) + 0x0020_0000_0000_0000 * (ulong)r.Next(-3, 4));
            case 3:
                return r.Next(3) == 0 ? (bits & 0x8000_0000_0000_0000) | 0x7FF0_0000_0000_0000 : bits | 0x7FF0_0000_0000_0000;
            default:
                return bits;
        }
    }

    private static void Same(string op, ulong expected, ulong actual, params ulong[] inputs)
    {
        if (expected != actual)
        {
            Assert.Fail($"{op}({string.Join(", ", inputs.Select(i => $"0x{i:X}"))}): hardware 0x{expected:X}, soft 0x{actual:X}");
        }
    }

    [Fact]
    public void ArithmeticF32_RandomRne_MatchesHardware()
    {
        var r = new Random(32);
        uint flags = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var a = Random32(r, 0x3F80_0000);
            var b = Random32(r, a);
            var c = Random32(r, r.Next(2) == 0 ? a : SoftFloat.MulF32(a, b, Rne, ref flags));
            Same("AddF32", Expect32(F(a) + F(b)), SoftFloat.AddF32(a, b, Rne, ref flags), a, b);
            Same("SubF32", Expect32(F(a) - F(b)), SoftFloat.SubF32(a, b, Rne, ref flags), a, b);
            Same("MulF32", Expect32(F(a) * F(b)), SoftFloat.MulF32(a, b, Rne, ref flags), a, b);
            Same("DivF32", Expect32(F(a) / F(b)), SoftFloat.DivF32(a, b, Rne, ref flags), a, b);
            Same("SqrtF32", Expect32(MathF.Sqrt(F(a))), SoftFloat.SqrtF32(a, Rne, ref flags), a);
            Same("FmaF32", Expect32(MathF.FusedMultiplyAdd(F(a), F(b), F(c))), SoftFloat.FmaF32(a, b, c, Rne, ref flags), a, b, c);
            Same("F32ToF64", Expect64(F(a)), SoftFloat.F32ToF64(a, ref flags), a);
        }
    }

    [Fact]
    public void ArithmeticF64_RandomRne_MatchesHardware()
    {
        var r = new Random(64);
        uint flags = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var a = Random64(r, 0x3FF0_0000_0000_0000);
            var b = Random64(r, a);
            var c = Random64(r, r.Next(2) == 0 ? a : SoftFloat.MulF64(a, b, Rne, ref flags));
            Same("AddF64", Expect64(D(a) + D(b)), SoftFloat.AddF64(a, b, Rne, ref flags), a, b);
            Same("SubF64", Expect64(D(a) - D(b)), SoftFloat.SubF64(a, b, Rne, ref flags), a, b);
            Same("MulF64", Expect64(D(a) * D(b)), SoftFloat.MulF64(a, b, Rne, ref flags), a, b);
            Same("DivF64", Expect64(D(a) / D(b)), SoftFloat.DivF64(a, b, Rne, ref flags), a, b);
            Same("SqrtF64", Expect64(Math.Sqrt(D(a))), SoftFloat.SqrtF64(a, Rne, ref flags), a);
            Same("FmaF64", Expect64(Math.FusedMultiplyAdd(D(a), D(b), D(c))), SoftFloat.FmaF64(a, b, c, Rne, ref flags), a, b, c);
            Same("F64ToF32", Expect32((float)D(a)), SoftFloat.F64ToF32(a, Rne, ref flags), a);
        }
    }

    [Fact]
    public void IntegerToFloat_RandomRne_MatchesHardware()
    {
        var r = new Random(7);
        uint flags = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var v = r.NextInt64() >> r.Next(64);
            if (r.Next(2) == 0)
            {
                v = -v;
            }

            var u = (((ulong)r.NextInt64() << 1) | (uint)r.Next(2)) >> r.Next(64);
            Same("I64ToF64", Expect64(v), SoftFloat.I64ToF64(v, Rne, ref flags), (ulong)v);
            Same("U64ToF64", Expect64(u), SoftFloat.U64ToF64(u, Rne, ref flags), u);
            Same("I64ToF32", Expect32(v), SoftFloat.I64ToF32(v, Rne, ref flags), (ulong)v);
            Same("U64ToF32", Expect32(u), SoftFloat.U64ToF32(u, Rne, ref flags), u);
            Same("I32ToF32", Expect32((int)v), SoftFloat.I32ToF32((int)v, Rne, ref flags), (ulong)v);
            Same("U32ToF32", Expect32((uint)u), SoftFloat.U32ToF32((uint)u, Rne, ref flags), u);
            Same("I32ToF64", Expect64((int)v), SoftFloat.I32ToF64((int)v, Rne, ref flags), (ulong)v);
            Same("U32ToF64", Expect64((uint)u), SoftFloat.U32ToF64((uint)u, Rne, ref flags), u);
        }
    }

    [Fact]
    public void FloatToInteger_RandomRtzInRange_MatchesHardwareTruncation()
    {
        // .NET's saturating casts truncate; compare only where the value is in range (RTZ).
        var r = new Random(8);
        uint flags = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var d = D(((ulong)r.Next(2) << 63) | ((ulong)(1023 - 2 + r.Next(70)) << 52) | ((ulong)r.NextInt64() & 0x000F_FFFF_FFFF_FFFF));
            if (Math.Abs(d) < 2147483647.0)
            {
                Assert.Equal((int)d, SoftFloat.F64ToI32(BitConverter.DoubleToUInt64Bits(d), 1, ref flags));
            }

            if (Math.Abs(d) < 9.2e18)
            {
                Assert.Equal((long)d, SoftFloat.F64ToI64(BitConverter.DoubleToUInt64Bits(d), 1, ref flags));
            }

            if (d >= 0 && d < 1.8e19)
            {
                Assert.Equal((ulong)d, SoftFloat.F64ToU64(BitConverter.DoubleToUInt64Bits(d), 1, ref flags));
            }

            var f = (float)d;
            if (Math.Abs(f) < 2.1e9f)
            {
                Assert.Equal((int)f, SoftFloat.F32ToI32(BitConverter.SingleToUInt32Bits(f), 1, ref flags));
            }
        }
    }

    [Fact]
    public void MinMaxCompare_RandomNonNaN_MatchHostOrdering()
    {
        // For non-NaN operands fmin/fmax equal IEEE 754-2019 minimum/maximum (-0 < +0), which is
        // what Math.Min/Math.Max implement; the predicates equal the host comparison operators.
        var r = new Random(9);
        for (var i = 0; i < Iterations; i++)
        {
            var a = Random64(r, 0);
            var b = r.Next(8) == 0 ? a ^ 0x8000_0000_0000_0000 : Random64(r, a);
            var fa = Random32(r, 0);
            var fb = r.Next(8) == 0 ? fa ^ 0x8000_0000 : Random32(r, fa);
            uint flags = 0;
            if (!double.IsNaN(D(a)) && !double.IsNaN(D(b)))
            {
                Same("MinF64", Expect64(Math.Min(D(a), D(b))), SoftFloat.MinF64(a, b, ref flags), a, b);
                Same("MaxF64", Expect64(Math.Max(D(a), D(b))), SoftFloat.MaxF64(a, b, ref flags), a, b);
                Assert.Equal(D(a) == D(b), SoftFloat.EqF64(a, b, ref flags));
                Assert.Equal(D(a) < D(b), SoftFloat.LtF64(a, b, ref flags));
                Assert.Equal(D(a) <= D(b), SoftFloat.LeF64(a, b, ref flags));
            }

            if (!float.IsNaN(F(fa)) && !float.IsNaN(F(fb)))
            {
                Same("MinF32", Expect32(MathF.Min(F(fa), F(fb))), SoftFloat.MinF32(fa, fb, ref flags), fa, fb);
                Same("MaxF32", Expect32(MathF.Max(F(fa), F(fb))), SoftFloat.MaxF32(fa, fb, ref flags), fa, fb);
                Assert.Equal(F(fa) == F(fb), SoftFloat.EqF32(fa, fb, ref flags));
                Assert.Equal(F(fa) < F(fb), SoftFloat.LtF32(fa, fb, ref flags));
                Assert.Equal(F(fa) <= F(fb), SoftFloat.LeF32(fa, fb, ref flags));
            }

            Assert.Equal(0u, flags);
        }
    }
}
