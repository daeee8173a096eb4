using System.Runtime.CompilerServices;

namespace Ringmaster.Emulator.Cpu;

// Public arithmetic entry points with a hardware fast path.
//
// The host computes the round-to-nearest-even result s (IEEE 754 binary32/binary64 arithmetic,
// no flush-to-zero). When s is comfortably inside the normal range, the exact error of the
// operation is obtained with an error-free transformation (Fast2Sum for add, an FMA for the
// product error and the division/square-root remainders, ErrFma for fused multiply-add). The
// error's sign gives the directed-rounding results by stepping s one ulp, its value detects the
// RMM tie, and error != 0 is exactly the inexact flag. Overflow and underflow cannot occur inside
// the guarded range. Everything else (NaN, infinities, zeros, results near the range limits) goes
// to the exact integer implementation (the *Soft methods).
public static partial class SoftFloat
{
    // Exponent-field windows for the result of the fast path. The lower bounds keep every error
    // term representable (no underflow in the error-free transformations); the upper bounds keep
    // a one-ulp step from reaching infinity and rule out overflow in every rounding mode.
    private const int FastMinExp64 = 0x040, FastMaxExp64 = 0x7FD;
    private const int FastFmaMinExp64 = 0x100, FastFmaMaxExp64 = 0x7E0;
    private const int FastMinExp32 = 0x30, FastMaxExp32 = 0xFD;
    private const int FastFmaMinExp32 = 0x40, FastFmaMaxExp32 = 0xF0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double D(ulong bits) => BitConverter.UInt64BitsToDouble(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bits(double d) => BitConverter.DoubleToUInt64Bits(d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Bits(float f) => BitConverter.SingleToUInt32Bits(f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InWindow64(ulong bits, int min, int max) => (uint)((int)(bits >> 52 & 0x7FF) - min) <= (uint)(max - min);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InWindow32(uint bits, int min, int max) => (uint)((int)(bits >> 23 & 0xFF) - min) <= (uint)(max - min);

    /// <summary>
    /// Turns the RNE result <paramref name="s"/> (finite, inside the fast window) into the result
    /// for <paramref name="rm"/>. <paramref name="errorPositive"/>: the exact value is above s;
    /// <paramref name="tie"/>: the exact value is the midpoint between s and its neighbour.
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Directed32(uint s, bool errorPositive, bool tie, int rm)
    {
        var away = errorPositive != ((int)s < 0);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint HalfUlp32(uint s) => ((s >> 23 & 0xFF) - 24) << 23;

    // ---------------- binary64 ----------------

    public static ulong AddF64(ulong a, ulong b, int rm, ref uint flags) => AddFast64(a, b, rm, ref flags) ?? AddF64Soft(a, b, rm, ref flags);

    public static ulong SubF64(ulong a, ulong b, int rm, ref uint flags) =>
        AddFast64(a, b ^ SignBit64, rm, ref flags) ?? SubF64Soft(a, b, rm, ref flags);

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
        if (!InWindow64(pBits, FastMinExp64, FastMaxExp64))
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
        if (!InWindow64(qBits, FastMinExp64, FastMaxExp64) || !InWindow64(a, FastMinExp64, 0x7FE))
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
        if (!InWindow64(a, FastMinExp64, 0x7FE) || (long)a < 0)
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
        if (!InWindow64(r1Bits, FastFmaMinExp64, FastFmaMaxExp64)
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

    public static uint AddF32(uint a, uint b, int rm, ref uint flags) => AddFast32(a, b, rm, ref flags) ?? AddF32Soft(a, b, rm, ref flags);

    public static uint SubF32(uint a, uint b, int rm, ref uint flags) =>
        AddFast32(a, b ^ SignBit32, rm, ref flags) ?? SubF32Soft(a, b, rm, ref flags);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint? AddFast32(uint a, uint b, int rm, ref uint flags)
    {
        float x = F(a), y = F(b);
        var s = x + y;
        var sBits = Bits(s);
        if (!InWindow32(sBits, FastMinExp32, FastMaxExp32))
        {
            return null;
        }

        float big = x, small = y;
        if (MathF.Abs(x) < MathF.Abs(y))
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
        return Directed32(sBits, positive, (Bits(err) & ~SignBit32) == HalfUlp32(sBits), rm);
    }

    public static uint MulF32(uint a, uint b, int rm, ref uint flags)
    {
        float x = F(a), y = F(b);
        var p = x * y;
        var pBits = Bits(p);
        if (!InWindow32(pBits, FastMinExp32, FastMaxExp32))
        {
            return MulF32Soft(a, b, rm, ref flags);
        }

        var err = MathF.FusedMultiplyAdd(x, y, -p);
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
        return Directed32(pBits, positive, (Bits(err) & ~SignBit32) == HalfUlp32(pBits), rm);
    }

    public static uint DivF32(uint a, uint b, int rm, ref uint flags)
    {
        float x = F(a), y = F(b);
        var q = x / y;
        var qBits = Bits(q);
        if (!InWindow32(qBits, FastMinExp32, FastMaxExp32) || !InWindow32(a, FastMinExp32, 0xFE))
        {
            return DivF32Soft(a, b, rm, ref flags);
        }

        var rem = MathF.FusedMultiplyAdd(-q, y, x);
        if (rem == 0)
        {
            return qBits;
        }

        flags |= FlagInexact;
        return rm == Rne ? qBits : Directed32(qBits, (rem > 0) == (y > 0), false, rm);
    }

    public static uint SqrtF32(uint a, int rm, ref uint flags)
    {
        if (!InWindow32(a, FastMinExp32, 0xFE) || (int)a < 0)
        {
            return SqrtF32Soft(a, rm, ref flags);
        }

        var x = F(a);
        var s = MathF.Sqrt(x);
        var rem = MathF.FusedMultiplyAdd(-s, s, x);
        if (rem == 0)
        {
            return Bits(s);
        }

        flags |= FlagInexact;
        return rm == Rne ? Bits(s) : Directed32(Bits(s), rem > 0, false, rm);
    }

    public static uint FmaF32(uint a, uint b, uint c, int rm, ref uint flags)
    {
        // The product of two binary32 values is exact in binary64, and so is its sum with c
        // whenever the exponents are close; otherwise fall back to the integer path.
        return FmaF32Soft(a, b, c, rm, ref flags);
    }
}
