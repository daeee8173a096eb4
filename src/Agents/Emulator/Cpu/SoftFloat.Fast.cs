using System.Runtime.CompilerServices;

namespace Ringmaster.Emulator.Cpu;

// Public arithmetic entry points with a host-FPU fast path that is exact by construction.
//
// binary64: the host computes the round-to-nearest-even result s (IEEE 754 arithmetic, no
// flush-to-zero). When s lies well inside the normal range, the exact error of the operation is
// obtained with an error-free transformation (Fast2Sum for add, an FMA for the product error and
// the division/square-root remainders, ErrFma for fused multiply-add). The error's sign gives the
// directed-rounding results by stepping s one ulp, its value detects the RMM tie, and error != 0
// is exactly the inexact flag; overflow and underflow cannot occur inside the window.
// binary32: see the section below (binary64 intermediate + exact error sign + integer rounding).
// Everything else (NaN, infinities, zeros, results near the range limits) goes to the exact
// integer implementation (the *Soft methods), which is the specification the fast paths are
// tested against.
public static partial class SoftFloat
{
    // Exponent-field windows for the result of the fast path. The lower bounds keep every error
    // term representable (no underflow in the error-free transformations); the upper bounds keep
    // a one-ulp step from reaching infinity and rule out overflow in every rounding mode.
    private const int FastMinExp64 = 0x040, FastMaxExp64 = 0x7FD;
    private const int FastFmaMinExp64 = 0x100, FastFmaMaxExp64 = 0x7E0;

    // Not readonly, so the probe's operands are never compile-time constants. Declared before
    // s_hostFpuExact: static fields initialize in textual order.
    private static ulong[] s_probeOperands =
    [
        0x0000_0000_0000_0001, // 2^-1074
        0x3FF0_0000_0000_0000, // 1
        0x0010_0000_0000_0000, // 2^-1022
        0x3FE0_0000_0000_0000, // 0.5
        0x3FF0_0000_0200_0000, // 1 + 2^-27
        0x3CA0_0000_0000_0000, // 2^-53
        0x3FF0_0000_0000_0001, // 1 + 2^-52
    ];

    /// <summary>
    /// The fast paths assume the host FPU rounds to nearest-even, keeps subnormal inputs and
    /// outputs (no DAZ/FTZ) and has an exactly rounded FMA; this probes all three once (on
    /// non-constant operands, so nothing is folded at compile time) and otherwise routes every
    /// operation to the integer implementation.
    /// </summary>
    private static readonly bool s_hostFpuExact = ProbeHostFpu();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ProbeHostFpu()
    {
        var v = s_probeOperands;
        double tiny = D(v[0]), one = D(v[1]), minNormal = D(v[2]), half = D(v[3]), x = D(v[4]), halfUlp = D(v[5]), onePlus = D(v[6]);
        var ok = Bits(tiny * one) == 1 // subnormal input kept (no DAZ)
            && Bits(minNormal * half) == 0x0008_0000_0000_0000 // subnormal output kept (no FTZ)
            && Bits(Math.FusedMultiplyAdd(x, x, -one)) == 0x3E50_0000_0100_0000 // fused: 2^-26 + 2^-54
            && Bits(one + halfUlp) == v[1] // tie to even (down)
            && Bits(onePlus + halfUlp) == 0x3FF0_0000_0000_0002 // tie to even (up)
            && Bits(-one - halfUlp) == (v[1] | SignBit64)
            && BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle((uint)v[0]) * (float)one) == 1; // binary32 subnormals
        s_probeOperands = [];
        return ok;
    }

    /// <summary>Whether the host-FPU fast paths are in use (see <see cref="s_hostFpuExact"/>).</summary>
    internal static bool HostFastPathsEnabled => s_hostFpuExact;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double D(ulong bits) => BitConverter.UInt64BitsToDouble(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bits(double d) => BitConverter.DoubleToUInt64Bits(d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InWindow64(ulong bits, int min, int max) => (uint)((int)(bits >> 52 & 0x7FF) - min) <= (uint)(max - min);

    /// <summary>
    /// Turns the RNE result <paramref name="s"/> (finite, inside the fast window) into the result
    /// for <paramref name="rm"/>. <paramref name="errorPositive"/>: the exact value is above s;
    /// <paramref name="tie"/>: the exact value is the midpoint between s and its neighbour away
    /// from zero (the only tie where RMM differs from RNE).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Directed64(ulong s, bool errorPositive, bool tie, int rm)
    {
        var away = errorPositive != ((long)s < 0); // the exact value is farther from zero than s
        var step = rm switch
        {
            Rtz => !away,
            Rdn => !errorPositive,
            Rup => errorPositive,
            Rmm => tie && away,
            _ => false,
        };
        return step ? (away ? s + 1 : s - 1) : s;
    }

    /// <summary>
    /// Bits of half an ulp of s (s normal, well above the subnormals): the distance from s to the
    /// midpoint on its far-from-zero side, the only side where an RMM tie changes the RNE result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong HalfUlp64(ulong s) => ((s >> 52 & 0x7FF) - 53) << 52;

    // ---------------- binary64 ----------------

    public static ulong AddF64(ulong a, ulong b, int rm, ref uint flags) => (s_hostFpuExact ? AddFast64(a, b, rm, ref flags) : null) ?? AddF64Soft(a, b, rm, ref flags);

    public static ulong SubF64(ulong a, ulong b, int rm, ref uint flags) =>
        (s_hostFpuExact ? AddFast64(a, b ^ SignBit64, rm, ref flags) : null) ?? SubF64Soft(a, b, rm, ref flags);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong? AddFast64(ulong a, ulong b, int rm, ref uint flags)
    {
        double x = D(a), y = D(b);
        var s = x + y;
        var sBits = Bits(s);
        if (!InWindow64(sBits, FastMinExp64, FastMaxExp64))
        {
            return null;
        }

        // Fast2Sum: exact error when |big| >= |small|.
        double big = x, small = y;
        if (Math.Abs(x) < Math.Abs(y))
        {
            (big, small) = (y, x);
        }

        var err = small - (s - big);
        if (err == 0)
        {
            return sBits;
        }

        flags |= FlagInexact;
        if (rm == Rne)
        {
            return sBits;
        }

        var positive = err > 0;
        return Directed64(sBits, positive, (Bits(err) & ~SignBit64) == HalfUlp64(sBits), rm);
    }

    public static ulong MulF64(ulong a, ulong b, int rm, ref uint flags)
    {
        double x = D(a), y = D(b);
        var p = x * y;
        var pBits = Bits(p);
        if (!s_hostFpuExact || !InWindow64(pBits, FastMinExp64, FastMaxExp64))
        {
            return MulF64Soft(a, b, rm, ref flags);
        }

        var err = Math.FusedMultiplyAdd(x, y, -p);
        if (err == 0)
        {
            return pBits;
        }

        flags |= FlagInexact;
        if (rm == Rne)
        {
            return pBits;
        }

        var positive = err > 0;
        return Directed64(pBits, positive, (Bits(err) & ~SignBit64) == HalfUlp64(pBits), rm);
    }

    public static ulong DivF64(ulong a, ulong b, int rm, ref uint flags)
    {
        double x = D(a), y = D(b);
        var q = x / y;
        var qBits = Bits(q);
        if (!s_hostFpuExact || !InWindow64(qBits, FastMinExp64, FastMaxExp64) || !InWindow64(a, FastMinExp64, 0x7FE))
        {
            return DivF64Soft(a, b, rm, ref flags);
        }

        // x - q*y is exact; the quotient of two floats is never a midpoint, so no RMM tie.
        var rem = Math.FusedMultiplyAdd(-q, y, x);
        if (rem == 0)
        {
            return qBits;
        }

        flags |= FlagInexact;
        return rm == Rne ? qBits : Directed64(qBits, (rem > 0) == (y > 0), false, rm);
    }

    public static ulong SqrtF64(ulong a, int rm, ref uint flags)
    {
        if (!s_hostFpuExact || !InWindow64(a, FastMinExp64, 0x7FE) || (long)a < 0)
        {
            return SqrtF64Soft(a, rm, ref flags);
        }

        var x = D(a);
        var s = Math.Sqrt(x);
        var rem = Math.FusedMultiplyAdd(-s, s, x);
        if (rem == 0)
        {
            return Bits(s);
        }

        flags |= FlagInexact;
        return rm == Rne ? Bits(s) : Directed64(Bits(s), rem > 0, false, rm);
    }

    public static ulong FmaF64(ulong a, ulong b, ulong c, int rm, ref uint flags)
    {
        double x = D(a), y = D(b), z = D(c);
        var r1 = Math.FusedMultiplyAdd(x, y, z);
        var u1 = x * y;
        var r1Bits = Bits(r1);
        if (!s_hostFpuExact
            || !InWindow64(r1Bits, FastFmaMinExp64, FastFmaMaxExp64)
            || !InWindow64(Bits(u1), FastFmaMinExp64, FastFmaMaxExp64)
            || (c << 1 != 0 && !InWindow64(c, 1, FastFmaMaxExp64)))
        {
            return FmaF64Soft(a, b, c, rm, ref flags);
        }

        // ErrFma (Boldo & Muller): x*y + z = r1 + r2 + r3 exactly, |r2 + r3| <= ulp(r1)/2,
        // |r3| <= ulp(r2)/2, barring underflow and overflow (excluded by the windows above).
        var u2 = Math.FusedMultiplyAdd(x, y, -u1);
        var alpha1 = z + u2;
        var t = alpha1 - z;
        var alpha2 = (z - (alpha1 - t)) + (u2 - t);
        var beta1 = u1 + alpha1;
        t = beta1 - u1;
        var beta2 = (u1 - (beta1 - t)) + (alpha1 - t);
        var gamma = ((beta1 - r1) + beta2);
        var r2 = gamma + alpha2;
        var r3 = alpha2 - (r2 - gamma);
        if (r2 == 0)
        {
            return r1Bits;
        }

        flags |= FlagInexact;
        if (rm == Rne)
        {
            return r1Bits;
        }

        var positive = r2 > 0;
        var tie = r3 == 0 && (Bits(r2) & ~SignBit64) == HalfUlp64(r1Bits);
        return Directed64(r1Bits, positive, tie, rm);
    }

    // ---------------- binary32 ----------------
    //
    // binary32 operands are exact in binary64. The host computes the binary64 result r together
    // with the exact sign of (exact − r) (TwoSum for add/fma, FMA remainders for div/sqrt; products
    // are exact). r is always a normal binary64 here and the binary32 rounding position lies 29 bits
    // above r's last bit, so r with a sticky bit on the correct side rounds exactly like the exact
    // value; the integer RoundPackF32 then does the single rounding in any mode, flags included.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsFiniteNonZero32(uint a) => (a & Inf32) != Inf32 && (a << 1) != 0;

    /// <summary>
    /// Rounds r + e to binary32: r is a finite, non-zero, normal double; e is zero or an error of
    /// magnitude at most half an ulp of r (only its sign is used).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint RoundDoubleToF32(double r, double e, int rm, ref uint flags)
    {
        var bits = Bits(r);
        var sign = (long)bits < 0;
        var m = (bits & FracMask64) | Hidden64;
        var q = (int)(bits >> 52 & 0x7FF) - 1075;
        if (e != 0)
        {
            m = (e > 0) != sign ? (m << 1) + 1 : (m << 1) - 1;
            q--;
        }

        return NormRoundPackF32(sign, q, m, rm, ref flags);
    }

    public static uint AddF32(uint a, uint b, int rm, ref uint flags)
    {
        if (s_hostFpuExact && IsFiniteNonZero32(a) && IsFiniteNonZero32(b))
        {
            double x = F(a), y = F(b);
            var r = x + y;
            if (r != 0)
            {
                var t = r - x;
                return RoundDoubleToF32(r, (x - (r - t)) + (y - t), rm, ref flags);
            }
        }

        return AddF32Soft(a, b, rm, ref flags);
    }

    public static uint SubF32(uint a, uint b, int rm, ref uint flags) => AddF32(a, b ^ SignBit32, rm, ref flags);

    public static uint MulF32(uint a, uint b, int rm, ref uint flags)
    {
        if (s_hostFpuExact && IsFiniteNonZero32(a) && IsFiniteNonZero32(b))
        {
            return RoundDoubleToF32((double)F(a) * F(b), 0, rm, ref flags);
        }

        return MulF32Soft(a, b, rm, ref flags);
    }

    public static uint DivF32(uint a, uint b, int rm, ref uint flags)
    {
        if (s_hostFpuExact && IsFiniteNonZero32(a) && IsFiniteNonZero32(b))
        {
            double x = F(a), y = F(b);
            var q = x / y;
            var rem = Math.FusedMultiplyAdd(-q, y, x);
            return RoundDoubleToF32(q, y > 0 ? rem : -rem, rm, ref flags);
        }

        return DivF32Soft(a, b, rm, ref flags);
    }

    public static uint SqrtF32(uint a, int rm, ref uint flags)
    {
        if (s_hostFpuExact && IsFiniteNonZero32(a) && (int)a > 0)
        {
            double x = F(a);
            var s = Math.Sqrt(x);
            return RoundDoubleToF32(s, Math.FusedMultiplyAdd(-s, s, x), rm, ref flags);
        }

        return SqrtF32Soft(a, rm, ref flags);
    }

    public static uint FmaF32(uint a, uint b, uint c, int rm, ref uint flags)
    {
        if (s_hostFpuExact && IsFiniteNonZero32(a) && IsFiniteNonZero32(b) && (c & Inf32) != Inf32)
        {
            var p = (double)F(a) * F(b);
            double z = F(c);
            var r = p + z;
            if (r != 0)
            {
                var t = r - p;
                return RoundDoubleToF32(r, (p - (r - t)) + (z - t), rm, ref flags);
            }
        }

        return FmaF32Soft(a, b, c, rm, ref flags);
    }
}
