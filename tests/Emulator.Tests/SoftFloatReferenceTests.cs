using System.Numerics;
using Ringmaster.Emulator.Cpu;

namespace Ringmaster.Emulator.Tests;

/// <summary>
/// An independent, deliberately naive model of IEEE 754 rounding built on <see cref="BigInteger"/>
/// (exact value → round with unbounded exponent for tininess, then with the real exponent range),
/// and randomized comparisons of <see cref="SoftFloat"/> against it in every rounding mode,
/// including the flags.
/// </summary>
internal static class RefFloat
{
    internal readonly record struct Format(int Precision, int EMin, int EMax, int ExpBits)
    {
        public int Bias => EMax;

        public int TotalBits => 1 + ExpBits + Precision - 1;
    }

    public static readonly Format F32 = new(24, -126, 127, 8);
    public static readonly Format F64 = new(53, -1022, 1023, 11);

    /// <summary>Decodes a finite value into sign, integer significand and exponent (value = m × 2^q).</summary>
    public static (bool Sign, BigInteger M, int Q) Decode(Format f, ulong bits)
    {
        var sign = (bits >> (f.TotalBits - 1) & 1) != 0;
        var exp = (int)(bits >> (f.Precision - 1)) & ((1 << f.ExpBits) - 1);
        var frac = bits & ((1UL << (f.Precision - 1)) - 1);
        if (exp == 0)
        {
            return (sign, frac, f.EMin - f.Precision + 1);
        }

        return (sign, frac | (1UL << (f.Precision - 1)), exp - f.Bias - f.Precision + 1);
    }

    public static bool IsSpecial(Format f, ulong bits) =>
        ((bits >> (f.Precision - 1)) & ((1UL << f.ExpBits) - 1)) == (1UL << f.ExpBits) - 1;

    private static int BitLength(BigInteger n) => (int)n.GetBitLength();

    /// <summary>
    /// Rounds n × 2^e (+ something tiny and positive when <paramref name="sticky"/>) to an integer
    /// multiple of 2^quantum. Returns the integer multiplier.
    /// </summary>
    private static BigInteger RoundAt(bool sign, BigInteger n, int e, bool sticky, int quantum, int rm, out bool inexact)
    {
        var shift = quantum - e;
        BigInteger integer;
        int cmpHalf; // -1 below half, 0 exactly half, +1 above half (of the discarded part)
        if (shift <= 0)
        {
            integer = n << -shift;
            inexact = sticky;
            cmpHalf = -1;
        }
        else
        {
            integer = n >> shift;
            var rem = n - (integer << shift);
            var half = BigInteger.One << (shift - 1);
            inexact = !rem.IsZero || sticky;
            cmpHalf = rem.CompareTo(half);
            if (cmpHalf == 0 && sticky)
            {
                cmpHalf = 1;
            }
        }

        if (inexact)
        {
            var up = rm switch
            {
                0 => cmpHalf > 0 || (cmpHalf == 0 && !integer.IsEven),
                4 => cmpHalf >= 0,
                2 => sign,
                3 => !sign,
                _ => false,
            };
            if (up)
            {
                integer += 1;
            }
        }

        return integer;
    }

    /// <summary>Rounds the exact non-zero value (−1)^sign × n × 2^e (+sticky) into format f.</summary>
    public static ulong Round(Format f, bool sign, BigInteger n, int e, bool sticky, int rm, ref uint flags)
    {
        var signBits = sign ? 1UL << (f.TotalBits - 1) : 0;
        var exponent = BitLength(n) - 1 + e;

        // Tininess after rounding: round to p bits with an unbounded exponent range.
        var unbounded = RoundAt(sign, n, e, sticky, exponent - f.Precision + 1, rm, out var inexact);
        var tiny = BitLength(unbounded) - 1 + exponent - f.Precision + 1 < f.EMin;

        var quantum = Math.Max(exponent, f.EMin) - f.Precision + 1;
        var integer = RoundAt(sign, n, e, sticky, quantum, rm, out inexact);
        if (BitLength(integer) > f.Precision)
        {
            integer >>= 1;
            quantum++;
        }

        if (!integer.IsZero && BitLength(integer) - 1 + quantum > f.EMax)
        {
            flags |= SoftFloat.FlagOverflow | SoftFloat.FlagInexact;
            var toInfinity = rm == 0 || rm == 4 || (rm == 2 && sign) || (rm == 3 && !sign);
            var infBits = ((1UL << f.ExpBits) - 1) << (f.Precision - 1);
            return signBits | (toInfinity ? infBits : infBits - 1);
        }

        if (inexact)
        {
            flags |= SoftFloat.FlagInexact;
            if (tiny)
            {
                flags |= SoftFloat.FlagUnderflow;
            }
        }

        var value = (ulong)integer;
        if (BitLength(integer) == f.Precision)
        {
            var biased = (ulong)(quantum + f.Precision - 1 + f.Bias);
            return signBits | (biased << (f.Precision - 1)) | (value & ((1UL << (f.Precision - 1)) - 1));
        }

        return signBits | value;
    }

    public static BigInteger ISqrt(BigInteger n)
    {
        if (n.IsZero)
        {
            return 0;
        }

        var x = BigInteger.One << (BitLength(n) / 2 + 1);
        while (true)
        {
            var y = (x + n / x) >> 1;
            if (y >= x)
            {
                return x;
            }

            x = y;
        }
    }

    private static BigInteger Signed(bool sign, BigInteger m) => sign ? -m : m;

    /// <summary>Reference a + b (finite inputs).</summary>
    public static ulong Add(Format f, ulong a, ulong b, int rm, ref uint flags)
    {
        var (sa, ma, qa) = Decode(f, a);
        var (sb, mb, qb) = Decode(f, b);
        var q = Math.Min(qa, qb);
        var sum = Signed(sa, ma << (qa - q)) + Signed(sb, mb << (qb - q));
        if (sum.IsZero)
        {
            var zeroSign = ma.IsZero && mb.IsZero && sa == sb ? sa : rm == 2;
            return zeroSign ? 1UL << (f.TotalBits - 1) : 0;
        }

        return Round(f, sum.Sign < 0, BigInteger.Abs(sum), q, false, rm, ref flags);
    }

    public static ulong Mul(Format f, ulong a, ulong b, int rm, ref uint flags)
    {
        var (sa, ma, qa) = Decode(f, a);
        var (sb, mb, qb) = Decode(f, b);
        var product = ma * mb;
        if (product.IsZero)
        {
            return sa != sb ? 1UL << (f.TotalBits - 1) : 0;
        }

        return Round(f, sa != sb, product, qa + qb, false, rm, ref flags);
    }

    public static ulong Fma(Format f, ulong a, ulong b, ulong c, int rm, ref uint flags)
    {
        var (sa, ma, qa) = Decode(f, a);
        var (sb, mb, qb) = Decode(f, b);
        var (sc, mc, qc) = Decode(f, c);
        var qp = qa + qb;
        var q = Math.Min(qp, qc);
        var sp = sa != sb;
        var sum = Signed(sp, (ma * mb) << (qp - q)) + Signed(sc, mc << (qc - q));
        if (sum.IsZero)
        {
            var zeroSign = (ma.IsZero || mb.IsZero) && mc.IsZero && sp == sc ? sp : rm == 2;
            return zeroSign ? 1UL << (f.TotalBits - 1) : 0;
        }

        return Round(f, sum.Sign < 0, BigInteger.Abs(sum), q, false, rm, ref flags);
    }

    /// <summary>Reference a / b for finite a and finite non-zero b.</summary>
    public static ulong Div(Format f, ulong a, ulong b, int rm, ref uint flags)
    {
        var (sa, ma, qa) = Decode(f, a);
        var (sb, mb, qb) = Decode(f, b);
        if (ma.IsZero)
        {
            return sa != sb ? 1UL << (f.TotalBits - 1) : 0;
        }

        const int extra = 160;
        var quotient = BigInteger.DivRem(ma << extra, mb, out var rem);
        return Round(f, sa != sb, quotient, qa - qb - extra, !rem.IsZero, rm, ref flags);
    }

    /// <summary>Reference sqrt(a) for finite positive a.</summary>
    public static ulong Sqrt(Format f, ulong a, int rm, ref uint flags)
    {
        var (_, m, q) = Decode(f, a);
        if ((q & 1) != 0)
        {
            m <<= 1;
            q--;
        }

        const int extra = 160;
        var n = m << (2 * extra);
        var root = ISqrt(n);
        return Round(f, false, root, q / 2 - extra, root * root != n, rm, ref flags);
    }

    /// <summary>Reference conversion of a finite value between formats.</summary>
    public static ulong Convert(Format from, Format to, ulong a, int rm, ref uint flags)
    {
        var (s, m, q) = Decode(from, a);
        if (m.IsZero)
        {
            return s ? 1UL << (to.TotalBits - 1) : 0;
        }

        return Round(to, s, m, q, false, rm, ref flags);
    }

    public static ulong FromInteger(Format f, BigInteger v, int rm, ref uint flags) =>
        v.IsZero ? 0 : Round(f, v.Sign < 0, BigInteger.Abs(v), 0, false, rm, ref flags);

    /// <summary>Reference float → integer with RISC-V saturation, for finite inputs.</summary>
    public static BigInteger ToInteger(Format f, ulong a, BigInteger min, BigInteger max, int rm, ref uint flags)
    {
        var (s, m, q) = Decode(f, a);
        var magnitude = RoundAt(s, m, q, false, 0, rm, out var inexact);
        var value = s ? -magnitude : magnitude;
        if (value < min || value > max)
        {
            flags |= SoftFloat.FlagInvalid;
            return s ? min : max;
        }

        if (inexact)
        {
            flags |= SoftFloat.FlagInexact;
        }

        return value;
    }
}

public class SoftFloatReferenceTests
{
    // SOFTFLOAT_FUZZ_SCALE multiplies the iteration counts for long local runs.
    private static readonly int Iterations = 3000 * Math.Max(1, int.TryParse(Environment.GetEnvironmentVariable("SOFTFLOAT_FUZZ_SCALE"), out var scale) ? scale : 1);

    private static readonly RefFloat.Format F32 = RefFloat.F32;
    private static readonly RefFloat.Format F64 = RefFloat.F64;

    /// <summary>Random finite operands biased toward the interesting corners.</summary>
    internal sealed class Gen(int seed)
    {
        private readonly Random _random = new(seed);

        public int Next(int max) => _random.Next(max);

        private ulong Bits64() => (ulong)_random.NextInt64() ^ ((ulong)_random.Next(4) << 62);

        private ulong Fraction(int bits)
        {
            var mask = (1UL << bits) - 1;
            return _random.Next(6) switch
            {
                0 => 0,
                1 => mask,
                2 => 1UL << _random.Next(bits),
                3 => mask ^ (1UL << _random.Next(bits)),
                4 => (Bits64() & mask) & ~((1UL << _random.Next(bits)) - 1),
                _ => Bits64() & mask,
            };
        }

        private int Exponent(int expBits, int near)
        {
            var max = (1 << expBits) - 2;
            var e = _random.Next(8) switch
            {
                0 => _random.Next(max + 1),
                1 => _random.Next(4),
                2 => max - _random.Next(4),
                3 => (max / 2) + _random.Next(-40, 40),
                4 => near + _random.Next(-30, 31),
                _ => near + _random.Next(-3, 4),
            };
            return Math.Clamp(e, 0, max);
        }

        /// <summary>A biased exponent for the second operand of a product/quotient so the result lands near <paramref name="target"/>.</summary>
        public int Target(RefFloat.Format f, int aExp, bool quotient)
        {
            var bias = (1 << (f.ExpBits - 1)) - 1;
            var target = _random.Next(4) switch
            {
                0 => 0,
                1 => (2 * bias) - 1,
                2 => -f.Precision / 2,
                _ => bias,
            };
            return Math.Clamp(quotient ? aExp - target + bias : target + bias - aExp, 0, 2 * bias);
        }

        public ulong Finite(RefFloat.Format f, int near = -1)
        {
            if (near < 0)
            {
                near = (1 << (f.ExpBits - 1)) - 1;
            }

            var sign = (ulong)_random.Next(2) << (f.TotalBits - 1);
            var e = (ulong)Exponent(f.ExpBits, near);
            return sign | (e << (f.Precision - 1)) | Fraction(f.Precision - 1);
        }

        public static int ExponentOf(RefFloat.Format f, ulong bits) =>
            (int)(bits >> (f.Precision - 1)) & ((1 << f.ExpBits) - 1);
    }

    private static void Check(string what, ulong a, ulong b, ulong c, int rm, ulong expected, uint expectedFlags, ulong actual, uint actualFlags)
    {
        if (expected != actual || expectedFlags != actualFlags)
        {
            Assert.Fail($"{what} rm={rm} a=0x{a:X} b=0x{b:X} c=0x{c:X}: expected 0x{expected:X} flags {expectedFlags}, got 0x{actual:X} flags {actualFlags}");
        }
    }

    [Fact]
    public void AddSubF32_RandomAllModes_MatchesReference()
    {
        var g = new Gen(1);
        for (var i = 0; i < Iterations; i++)
        {
            var a = (uint)g.Finite(F32);
            var b = (uint)g.Finite(F32, Gen.ExponentOf(F32, a));
            for (var rm = 0; rm < 5; rm++)
            {
                uint ef = 0, af = 0;
                var expected = RefFloat.Add(F32, a, b, rm, ref ef);
                var actual = SoftFloat.AddF32(a, b, rm, ref af);
                Check("AddF32", a, b, 0, rm, expected, ef, actual, af);
                ef = 0;
                af = 0;
                expected = RefFloat.Add(F32, a, b ^ 0x8000_0000, rm, ref ef);
                actual = SoftFloat.SubF32(a, b, rm, ref af);
                Check("SubF32", a, b, 0, rm, expected, ef, actual, af);
            }
        }
    }

    [Fact]
    public void AddSubF64_RandomAllModes_MatchesReference()
    {
        var g = new Gen(2);
        for (var i = 0; i < Iterations; i++)
        {
            var a = g.Finite(F64);
            var b = g.Finite(F64, Gen.ExponentOf(F64, a));
            for (var rm = 0; rm < 5; rm++)
            {
                uint ef = 0, af = 0;
                var expected = RefFloat.Add(F64, a, b, rm, ref ef);
                var actual = SoftFloat.AddF64(a, b, rm, ref af);
                Check("AddF64", a, b, 0, rm, expected, ef, actual, af);
                ef = 0;
                af = 0;
                expected = RefFloat.Add(F64, a, b ^ 0x8000_0000_0000_0000, rm, ref ef);
                actual = SoftFloat.SubF64(a, b, rm, ref af);
                Check("SubF64", a, b, 0, rm, expected, ef, actual, af);
            }
        }
    }

    [Fact]
    public void MulF32_RandomAllModes_MatchesReference()
    {
        var g = new Gen(3);
        for (var i = 0; i < Iterations; i++)
        {
            var a = (uint)g.Finite(F32);
            var b = (uint)g.Finite(F32, g.Target(F32, Gen.ExponentOf(F32, a), false));
            for (var rm = 0; rm < 5; rm++)
            {
                uint ef = 0, af = 0;
                var expected = RefFloat.Mul(F32, a, b, rm, ref ef);
                var actual = SoftFloat.MulF32(a, b, rm, ref af);
                Check("MulF32", a, b, 0, rm, expected, ef, actual, af);
            }
        }
    }

    [Fact]
    public void MulF64_RandomAllModes_MatchesReference()
    {
        var g = new Gen(4);
        for (var i = 0; i < Iterations; i++)
        {
            var a = g.Finite(F64);
            var b = g.Finite(F64, g.Target(F64, Gen.ExponentOf(F64, a), false));
            for (var rm = 0; rm < 5; rm++)
            {
                uint ef = 0, af = 0;
                var expected = RefFloat.Mul(F64, a, b, rm, ref ef);
                var actual = SoftFloat.MulF64(a, b, rm, ref af);
                Check("MulF64", a, b, 0, rm, expected, ef, actual, af);
            }
        }
    }

    [Fact]
    public void DivF32_RandomAllModes_MatchesReference()
    {
        var g = new Gen(5);
        for (var i = 0; i < Iterations; i++)
        {
            var a = (uint)g.Finite(F32);
            var b = (uint)g.Finite(F32, g.Target(F32, Gen.ExponentOf(F32, a), true));
            if ((b & 0x7FFF_FFFF) == 0)
            {
                continue;
            }

            for (var rm = 0; rm < 5; rm++)
            {
                uint ef = 0, af = 0;
                var expected = RefFloat.Div(F32, a, b, rm, ref ef);
                var actual = SoftFloat.DivF32(a, b, rm, ref af);
                Check("DivF32", a, b, 0, rm, expected, ef, actual, af);
            }
        }
    }

    [Fact]
    public void DivF64_RandomAllModes_MatchesReference()
    {
        var g = new Gen(6);
        for (var i = 0; i < Iterations; i++)
        {
            var a = g.Finite(F64);
            var b = g.Finite(F64, g.Target(F64, Gen.ExponentOf(F64, a), true));
            if ((b & 0x7FFF_FFFF_FFFF_FFFF) == 0)
            {
                continue;
            }

            for (var rm = 0; rm < 5; rm++)
            {
                uint ef = 0, af = 0;
                var expected = RefFloat.Div(F64, a, b, rm, ref ef);
                var actual = SoftFloat.DivF64(a, b, rm, ref af);
                Check("DivF64", a, b, 0, rm, expected, ef, actual, af);
            }
        }
    }

    [Fact]
    public void SqrtF32AndF64_RandomAllModes_MatchesReference()
    {
        var g = new Gen(7);
        for (var i = 0; i < Iterations; i++)
        {
            var a = (uint)g.Finite(F32) & 0x7FFF_FFFF;
            var d = g.Finite(F64) & 0x7FFF_FFFF_FFFF_FFFF;
            for (var rm = 0; rm < 5; rm++)
            {
                uint ef = 0, af = 0;
                var expected = a == 0 ? 0 : RefFloat.Sqrt(F32, a, rm, ref ef);
                var actual = SoftFloat.SqrtF32(a, rm, ref af);
                Check("SqrtF32", a, 0, 0, rm, expected, ef, actual, af);
                ef = 0;
                af = 0;
                expected = d == 0 ? 0 : RefFloat.Sqrt(F64, d, rm, ref ef);
                var actual64 = SoftFloat.SqrtF64(d, rm, ref af);
                Check("SqrtF64", d, 0, 0, rm, expected, ef, actual64, af);
            }
        }
    }

    [Fact]
    public void FmaF32_RandomAllModes_MatchesReference()
    {
        var g = new Gen(8);
        for (var i = 0; i < Iterations * 2; i++)
        {
            var a = (uint)g.Finite(F32);
            var b = (uint)g.Finite(F32, g.Target(F32, Gen.ExponentOf(F32, a), false));
            var productExp = Gen.ExponentOf(F32, a) + Gen.ExponentOf(F32, b) - 127;
            var c = (uint)g.Finite(F32, Math.Clamp(productExp, 0, 254));
            for (var rm = 0; rm < 5; rm++)
            {
                uint ef = 0, af = 0;
                var expected = RefFloat.Fma(F32, a, b, c, rm, ref ef);
                var actual = SoftFloat.FmaF32(a, b, c, rm, ref af);
                Check("FmaF32", a, b, c, rm, expected, ef, actual, af);
            }
        }
    }

    [Fact]
    public void FmaF64_RandomAllModes_MatchesReference()
    {
        var g = new Gen(9);
        for (var i = 0; i < Iterations * 2; i++)
        {
            var a = g.Finite(F64);
            var b = g.Finite(F64, g.Target(F64, Gen.ExponentOf(F64, a), false));
            var productExp = Gen.ExponentOf(F64, a) + Gen.ExponentOf(F64, b) - 1023;
            var c = g.Finite(F64, Math.Clamp(productExp, 0, 2046));
            for (var rm = 0; rm < 5; rm++)
            {
                uint ef = 0, af = 0;
                var expected = RefFloat.Fma(F64, a, b, c, rm, ref ef);
                var actual = SoftFloat.FmaF64(a, b, c, rm, ref af);
                Check("FmaF64", a, b, c, rm, expected, ef, actual, af);
            }
        }
    }

    [Fact]
    public void FloatToFloat_RandomAllModes_MatchesReference()
    {
        var g = new Gen(10);
        for (var i = 0; i < Iterations; i++)
        {
            var d = g.Finite(F64, 1023 - 127 + g.Next(300));
            var s = (uint)g.Finite(F32);
            for (var rm = 0; rm < 5; rm++)
            {
                uint ef = 0, af = 0;
                var expected = RefFloat.Convert(F64, F32, d, rm, ref ef);
                var actual = SoftFloat.F64ToF32(d, rm, ref af);
                Check("F64ToF32", d, 0, 0, rm, expected, ef, actual, af);
            }

            uint ef2 = 0, af2 = 0;
            var widened = RefFloat.Convert(F32, F64, s, 0, ref ef2);
            Check("F32ToF64", s, 0, 0, 0, widened, ef2, SoftFloat.F32ToF64(s, ref af2), af2);
        }
    }

    [Fact]
    public void IntToFloat_RandomAllModes_MatchesReference()
    {
        var random = new Random(11);
        for (var i = 0; i < Iterations; i++)
        {
            var v = random.NextInt64() >> random.Next(64);
            if (random.Next(2) == 0)
            {
                v = -v;
            }

            var u = (ulong)random.NextInt64() << random.Next(2) >> random.Next(64);
            for (var rm = 0; rm < 5; rm++)
            {
                uint ef = 0, af = 0;
                Check("I64ToF32", (ulong)v, 0, 0, rm, RefFloat.FromInteger(F32, v, rm, ref ef), ef, SoftFloat.I64ToF32(v, rm, ref af), af);
                ef = af = 0;
                Check("I64ToF64", (ulong)v, 0, 0, rm, RefFloat.FromInteger(F64, v, rm, ref ef), ef, SoftFloat.I64ToF64(v, rm, ref af), af);
                ef = af = 0;
                Check("U64ToF32", u, 0, 0, rm, RefFloat.FromInteger(F32, u, rm, ref ef), ef, SoftFloat.U64ToF32(u, rm, ref af), af);
                ef = af = 0;
                Check("U64ToF64", u, 0, 0, rm, RefFloat.FromInteger(F64, u, rm, ref ef), ef, SoftFloat.U64ToF64(u, rm, ref af), af);
                ef = af = 0;
                Check("I32ToF32", (ulong)(int)v, 0, 0, rm, RefFloat.FromInteger(F32, (int)v, rm, ref ef), ef, SoftFloat.I32ToF32((int)v, rm, ref af), af);
                ef = af = 0;
                Check("U32ToF32", (uint)u, 0, 0, rm, RefFloat.FromInteger(F32, (uint)u, rm, ref ef), ef, SoftFloat.U32ToF32((uint)u, rm, ref af), af);
                ef = af = 0;
                Check("I32ToF64", (ulong)(int)v, 0, 0, rm, RefFloat.FromInteger(F64, (int)v, rm, ref ef), ef, SoftFloat.I32ToF64((int)v, rm, ref af), af);
                ef = af = 0;
                Check("U32ToF64", (uint)u, 0, 0, rm, RefFloat.FromInteger(F64, (uint)u, rm, ref ef), ef, SoftFloat.U32ToF64((uint)u, rm, ref af), af);
            }
        }
    }

    [Fact]
    public void FloatToInt_RandomAllModes_MatchesReference()
    {
        var g = new Gen(12);
        for (var i = 0; i < Iterations; i++)
        {
            var s = (uint)g.Finite(F32, 127 + g.Next(70) - 4);
            var d = g.Finite(F64, 1023 + g.Next(70) - 4);
            for (var rm = 0; rm < 5; rm++)
            {
                CheckToInt(F32, s, rm);
                CheckToInt(F64, d, rm);
            }
        }
    }

    private static void CheckToInt(RefFloat.Format f, ulong a, int rm)
    {
        uint ef = 0, af = 0;
        var e = RefFloat.ToInteger(f, a, int.MinValue, int.MaxValue, rm, ref ef);
        var actual = f == F32 ? SoftFloat.F32ToI32((uint)a, rm, ref af) : SoftFloat.F64ToI32(a, rm, ref af);
        Check("ToI32", a, 0, 0, rm, (ulong)(long)e, ef, (ulong)(long)actual, af);

        ef = af = 0;
        e = RefFloat.ToInteger(f, a, 0, uint.MaxValue, rm, ref ef);
        var actualU = f == F32 ? SoftFloat.F32ToU32((uint)a, rm, ref af) : SoftFloat.F64ToU32(a, rm, ref af);
        Check("ToU32", a, 0, 0, rm, (ulong)e, ef, actualU, af);

        ef = af = 0;
        e = RefFloat.ToInteger(f, a, long.MinValue, long.MaxValue, rm, ref ef);
        var actualL = f == F32 ? SoftFloat.F32ToI64((uint)a, rm, ref af) : SoftFloat.F64ToI64(a, rm, ref af);
        Check("ToI64", a, 0, 0, rm, (ulong)(long)e, ef, (ulong)actualL, af);

        ef = af = 0;
        e = RefFloat.ToInteger(f, a, 0, ulong.MaxValue, rm, ref ef);
        var actualUL = f == F32 ? SoftFloat.F32ToU64((uint)a, rm, ref af) : SoftFloat.F64ToU64(a, rm, ref af);
        Check("ToU64", a, 0, 0, rm, (ulong)e, ef, actualUL, af);
    }
}
