using System.Numerics;
using System.Runtime.CompilerServices;

namespace Ringmaster.Emulator.Cpu;

// Shared rounding/packing machinery, in the style of Berkeley SoftFloat 3:
// a finite result is carried as sign, exponent and an integer significand whose lowest bit may be
// a "sticky" (jammed) bit standing for any non-zero bits shifted out below it. The pack routines
// round once, with tininess detected after rounding (the RISC-V choice).
public static partial class SoftFloat
{
    private const int Rne = 0, Rtz = 1, Rdn = 2, Rup = 3, Rmm = 4;

    private const uint SignBit32 = 0x8000_0000, FracMask32 = 0x007F_FFFF, Hidden32 = 0x0080_0000, Inf32 = 0x7F80_0000;
    private const ulong SignBit64 = 0x8000_0000_0000_0000, FracMask64 = 0x000F_FFFF_FFFF_FFFF;
    private const ulong Hidden64 = 0x0010_0000_0000_0000, Inf64 = 0x7FF0_0000_0000_0000;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsNaN32(uint a) => (a & 0x7FFF_FFFF) > Inf32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsSNaN32(uint a) => (a & 0x7FC0_0000) == 0x7F80_0000 && (a & 0x003F_FFFF) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsNaN64(ulong a) => (a & ~SignBit64) > Inf64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsSNaN64(ulong a) =>
        (a & 0x7FF8_0000_0000_0000) == Inf64 && (a & 0x0007_FFFF_FFFF_FFFF) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Zero32(bool sign) => sign ? SignBit32 : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Zero64(bool sign) => sign ? SignBit64 : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ShiftRightJam64(ulong a, int dist)
    {
        if (dist == 0)
        {
            return a;
        }

        if (dist >= 64)
        {
            return a != 0 ? 1UL : 0;
        }

        return (a >> dist) | ((a << (64 - dist)) != 0 ? 1UL : 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static UInt128 ShiftRightJam128(UInt128 a, int dist)
    {
        if (dist == 0)
        {
            return a;
        }

        if (dist >= 128)
        {
            return a != UInt128.Zero ? UInt128.One : UInt128.Zero;
        }

        var r = a >> dist;
        if ((a << (128 - dist)) != UInt128.Zero)
        {
            r |= UInt128.One;
        }

        return r;
    }

    /// <summary>
    /// Berkeley-style roundPackToF32: <paramref name="sig"/> has its leading bit at bit 30 (or less
    /// for subnormal-range values) and 7 rounding bits; the value is sig × 2^(exp − 156), i.e. the
    /// packed exponent field is exp + 1 when bit 30 is set.
    /// </summary>
    private static uint RoundPackF32(bool sign, int exp, uint sig, int rm, ref uint flags)
    {
        uint roundIncrement = 0x40;
        if (rm != Rne && rm != Rmm)
        {
            roundIncrement = rm == (sign ? Rdn : Rup) ? 0x7Fu : 0;
        }

        var roundBits = sig & 0x7F;
        if ((uint)exp >= 0xFD)
        {
            if (exp < 0)
            {
                var isTiny = exp < -1 || sig + roundIncrement < 0x8000_0000;
                sig = (uint)ShiftRightJam64(sig, -exp);
                exp = 0;
                roundBits = sig & 0x7F;
                if (isTiny && roundBits != 0)
                {
                    flags |= FlagUnderflow;
                }
            }
            else if (exp > 0xFD || sig + roundIncrement >= 0x8000_0000)
            {
                flags |= FlagOverflow | FlagInexact;
                return Zero32(sign) + Inf32 - (roundIncrement == 0 ? 1u : 0);
            }
        }

        sig = (sig + roundIncrement) >> 7;
        if (roundBits != 0)
        {
            flags |= FlagInexact;
        }

        if (roundBits == 0x40 && rm == Rne)
        {
            sig &= ~1u;
        }

        if (sig == 0)
        {
            exp = 0;
        }

        return Zero32(sign) + ((uint)exp << 23) + sig;
    }

    /// <summary>
    /// Berkeley-style roundPackToF64: leading bit at bit 62, 10 rounding bits; value is
    /// sig × 2^(exp − 1084).
    /// </summary>
    private static ulong RoundPackF64(bool sign, int exp, ulong sig, int rm, ref uint flags)
    {
        ulong roundIncrement = 0x200;
        if (rm != Rne && rm != Rmm)
        {
            roundIncrement = rm == (sign ? Rdn : Rup) ? 0x3FFUL : 0;
        }

        var roundBits = sig & 0x3FF;
        if ((uint)exp >= 0x7FD)
        {
            if (exp < 0)
            {
                var isTiny = exp < -1 || sig + roundIncrement < 0x8000_0000_0000_0000;
                sig = ShiftRightJam64(sig, -exp);
                exp = 0;
                roundBits = sig & 0x3FF;
                if (isTiny && roundBits != 0)
                {
                    flags |= FlagUnderflow;
                }
            }
            else if (exp > 0x7FD || sig + roundIncrement >= 0x8000_0000_0000_0000)
            {
                flags |= FlagOverflow | FlagInexact;
                return Zero64(sign) + Inf64 - (roundIncrement == 0 ? 1UL : 0);
            }
        }

        sig = (sig + roundIncrement) >> 10;
        if (roundBits != 0)
        {
            flags |= FlagInexact;
        }

        if (roundBits == 0x200 && rm == Rne)
        {
            sig &= ~1UL;
        }

        if (sig == 0)
        {
            exp = 0;
        }

        return Zero64(sign) + ((ulong)exp << 52) + sig;
    }

    /// <summary>
    /// Rounds the non-zero value m × 2^q to binary32. Bit 0 of m may be a sticky bit provided m
    /// carries at least 27 significant bits above it (or is exact).
    /// </summary>
    private static uint NormRoundPackF32(bool sign, int q, ulong m, int rm, ref uint flags)
    {
        var shift = 63 - BitOperations.LeadingZeroCount(m) - 30;
        var sig = shift > 0 ? (uint)ShiftRightJam64(m, shift) : (uint)(m << -shift);
        return RoundPackF32(sign, q + shift + 156, sig, rm, ref flags);
    }

    /// <summary>Rounds the non-zero value m × 2^q to binary64 (see <see cref="NormRoundPackF32"/>).</summary>
    private static ulong NormRoundPackF64(bool sign, int q, ulong m, int rm, ref uint flags)
    {
        var shift = 63 - BitOperations.LeadingZeroCount(m) - 62;
        var sig = shift > 0 ? ShiftRightJam64(m, shift) : m << -shift;
        return RoundPackF64(sign, q + shift + 1084, sig, rm, ref flags);
    }

    /// <summary>Rounds the non-zero value m × 2^q to binary64 from a 128-bit significand.</summary>
    private static ulong NormRoundPackF64(bool sign, int q, UInt128 m, int rm, ref uint flags)
    {
        var shift = 127 - (int)UInt128.LeadingZeroCount(m) - 62;
        var sig = shift > 0 ? (ulong)ShiftRightJam128(m, shift) : (ulong)m << -shift;
        return RoundPackF64(sign, q + shift + 1084, sig, rm, ref flags);
    }

    /// <summary>Unpacks a finite binary32 into m × 2^q (m = 0 for zeros).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Unpack32(uint a, out int q)
    {
        var e = (int)(a >> 23) & 0xFF;
        var f = a & FracMask32;
        if (e == 0)
        {
            q = -149;
            return f;
        }

        q = e - 150;
        return f | Hidden32;
    }

    /// <summary>Unpacks a finite binary64 into m × 2^q (m = 0 for zeros).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Unpack64(ulong a, out int q)
    {
        var e = (int)(a >> 52) & 0x7FF;
        var f = a & FracMask64;
        if (e == 0)
        {
            q = -1074;
            return f;
        }

        q = e - 1075;
        return f | Hidden64;
    }

    /// <summary>Shifts a non-zero significand so its leading bit sits at <paramref name="bit"/>, adjusting q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NormalizeTo(ulong m, int bit, ref int q)
    {
        var shift = bit - (63 - BitOperations.LeadingZeroCount(m));
        q -= shift;
        return m << shift;
    }

    private static ulong ISqrt64(ulong m)
    {
        var r = (ulong)Math.Sqrt(m);
        while (r * r > m)
        {
            r--;
        }

        while ((r + 1) * (r + 1) <= m)
        {
            r++;
        }

        return r;
    }

    private static ulong ISqrt128(UInt128 m)
    {
        var r = (ulong)Math.Sqrt((double)m);
        while ((UInt128)r * r > m)
        {
            r--;
        }

        while ((UInt128)(r + 1) * (r + 1) <= m)
        {
            r++;
        }

        return r;
    }
}
