namespace Ringmaster.Emulator.Cpu;

// binary64 arithmetic: exact integer computation (128-bit where needed), one rounding in RoundPackF64.
public static partial class SoftFloat
{
    internal static ulong AddF64Soft(ulong a, ulong b, int rm, ref uint flags) => AddSubF64(a, b, false, rm, ref flags);

    internal static ulong SubF64Soft(ulong a, ulong b, int rm, ref uint flags) => AddSubF64(a, b, true, rm, ref flags);

    private static ulong AddSubF64(ulong a, ulong b, bool negateB, int rm, ref uint flags)
    {
        if (IsNaN64(a) || IsNaN64(b))
        {
            if (IsSNaN64(a) || IsSNaN64(b))
            {
                flags |= FlagInvalid;
            }

            return CanonicalNaN64;
        }

        if (negateB)
        {
            b ^= SignBit64;
        }

        bool signA = (long)a < 0, signB = (long)b < 0;
        var magA = a & ~SignBit64;
        var magB = b & ~SignBit64;
        if (magA == Inf64)
        {
            if (magB == Inf64 && signA != signB)
            {
                flags |= FlagInvalid;
                return CanonicalNaN64;
            }

            return a;
        }

        if (magB == Inf64)
        {
            return b;
        }

        if (magA == 0)
        {
            return magB == 0 ? (signA == signB ? a : Zero64(rm == Rdn)) : b;
        }

        if (magB == 0)
        {
            return a;
        }

        if (magA < magB)
        {
            (a, b) = (b, a);
            (signA, signB) = (signB, signA);
        }

        var ma = Unpack64(a, out var qa);
        var mb = Unpack64(b, out var qb);
        var sigA = (UInt128)ma << 66;
        var sigB = ShiftRightJam128((UInt128)mb << 66, qa - qb);
        UInt128 sum;
        if (signA == signB)
        {
            sum = sigA + sigB;
        }
        else
        {
            sum = sigA - sigB;
            if (sum == UInt128.Zero)
            {
                return Zero64(rm == Rdn);
            }
        }

        return NormRoundPackF64(signA, qa - 66, sum, rm, ref flags);
    }

    internal static ulong MulF64Soft(ulong a, ulong b, int rm, ref uint flags)
    {
        if (IsNaN64(a) || IsNaN64(b))
        {
            if (IsSNaN64(a) || IsSNaN64(b))
            {
                flags |= FlagInvalid;
            }

            return CanonicalNaN64;
        }

        var sign = ((a ^ b) & SignBit64) != 0;
        var magA = a & ~SignBit64;
        var magB = b & ~SignBit64;
        if (magA == Inf64 || magB == Inf64)
        {
            if (magA == 0 || magB == 0)
            {
                flags |= FlagInvalid;
                return CanonicalNaN64;
            }

            return Zero64(sign) | Inf64;
        }

        if (magA == 0 || magB == 0)
        {
            return Zero64(sign);
        }

        var ma = Unpack64(a, out var qa);
        var mb = Unpack64(b, out var qb);
        var hi = Math.BigMul(ma, mb, out var lo);
        return NormRoundPackF64(sign, qa + qb, new UInt128(hi, lo), rm, ref flags);
    }

    internal static ulong DivF64Soft(ulong a, ulong b, int rm, ref uint flags)
    {
        if (IsNaN64(a) || IsNaN64(b))
        {
            if (IsSNaN64(a) || IsSNaN64(b))
            {
                flags |= FlagInvalid;
            }

            return CanonicalNaN64;
        }

        var sign = ((a ^ b) & SignBit64) != 0;
        var magA = a & ~SignBit64;
        var magB = b & ~SignBit64;
        if (magA == Inf64)
        {
            if (magB == Inf64)
            {
                flags |= FlagInvalid;
                return CanonicalNaN64;
            }

            return Zero64(sign) | Inf64;
        }

        if (magB == Inf64)
        {
            return Zero64(sign);
        }

        if (magB == 0)
        {
            if (magA == 0)
            {
                flags |= FlagInvalid;
                return CanonicalNaN64;
            }

            flags |= FlagDivideByZero;
            return Zero64(sign) | Inf64;
        }

        if (magA == 0)
        {
            return Zero64(sign);
        }

        var ma = Unpack64(a, out var qa);
        var mb = Unpack64(b, out var qb);
        ma = NormalizeTo(ma, 52, ref qa);
        mb = NormalizeTo(mb, 52, ref qb);
        var n = (UInt128)ma << 62;
        var quotient = (ulong)(n / mb);
        if ((UInt128)quotient * mb != n)
        {
            quotient |= 1;
        }

        return NormRoundPackF64(sign, qa - qb - 62, quotient, rm, ref flags);
    }

    internal static ulong SqrtF64Soft(ulong a, int rm, ref uint flags)
    {
        if (IsNaN64(a))
        {
            if (IsSNaN64(a))
            {
                flags |= FlagInvalid;
            }

            return CanonicalNaN64;
        }

        if ((a & ~SignBit64) == 0)
        {
            return a;
        }

        if ((long)a < 0)
        {
            flags |= FlagInvalid;
            return CanonicalNaN64;
        }

        if (a == Inf64)
        {
            return a;
        }

        var m = Unpack64(a, out var q);
        m = NormalizeTo(m, 52, ref q);
        if ((q & 1) != 0)
        {
            m <<= 1;
            q--;
        }

        var n = (UInt128)m << 58;
        var root = ISqrt128(n);
        if ((UInt128)root * root != n)
        {
            root |= 1;
        }

        return NormRoundPackF64(false, (q - 58) / 2, root, rm, ref flags);
    }

    internal static ulong FmaF64Soft(ulong a, ulong b, ulong c, int rm, ref uint flags)
    {
        if (IsNaN64(a) || IsNaN64(b) || IsNaN64(c))
        {
            if (IsSNaN64(a) || IsSNaN64(b) || IsSNaN64(c) || IsInfTimesZero64(a, b))
            {
                flags |= FlagInvalid;
            }

            return CanonicalNaN64;
        }

        var signP = ((a ^ b) & SignBit64) != 0;
        var signC = (long)c < 0;
        var magA = a & ~SignBit64;
        var magB = b & ~SignBit64;
        var magC = c & ~SignBit64;
        if (magA == Inf64 || magB == Inf64)
        {
            if (magA == 0 || magB == 0 || (magC == Inf64 && signC != signP))
            {
                flags |= FlagInvalid;
                return CanonicalNaN64;
            }

            return Zero64(signP) | Inf64;
        }

        if (magC == Inf64)
        {
            return c;
        }

        if (magA == 0 || magB == 0)
        {
            if (magC == 0)
            {
                return signP == signC ? c : Zero64(rm == Rdn);
            }

            return c;
        }

        var ma = Unpack64(a, out var qa);
        var mb = Unpack64(b, out var qb);
        var hi = Math.BigMul(ma, mb, out var lo);
        var product = new UInt128(hi, lo);
        var qp = qa + qb;
        if (magC == 0)
        {
            return NormRoundPackF64(signP, qp, product, rm, ref flags);
        }

        var mc = Unpack64(c, out var qc);

        // Both terms get their leading bit at bit 125; the smaller one is aligned with a sticky bit.
        var shiftP = 125 - (127 - (int)UInt128.LeadingZeroCount(product));
        product <<= shiftP;
        qp -= shiftP;
        var shiftC = 125 - (127 - (int)UInt128.LeadingZeroCount((UInt128)mc));
        var wideC = (UInt128)mc << shiftC;
        qc -= shiftC;
        bool signZ;
        int qz;
        UInt128 big, small;
        if (qp > qc || (qp == qc && product >= wideC))
        {
            (big, small, signZ, qz) = (product, ShiftRightJam128(wideC, qp - qc), signP, qp);
        }
        else
        {
            (big, small, signZ, qz) = (wideC, ShiftRightJam128(product, qc - qp), signC, qc);
        }

        UInt128 sum;
        if (signP == signC)
        {
            sum = big + small;
        }
        else
        {
            sum = big - small;
            if (sum == UInt128.Zero)
            {
                return Zero64(rm == Rdn);
            }
        }

        return NormRoundPackF64(signZ, qz, sum, rm, ref flags);
    }

    private static bool IsInfTimesZero64(ulong a, ulong b)
    {
        var magA = a & ~SignBit64;
        var magB = b & ~SignBit64;
        return (magA == Inf64 && magB == 0) || (magB == Inf64 && magA == 0);
    }

    public static ulong MinF64(ulong a, ulong b, ref uint flags) => MinMaxF64(a, b, false, ref flags);

    public static ulong MaxF64(ulong a, ulong b, ref uint flags) => MinMaxF64(a, b, true, ref flags);

    private static ulong MinMaxF64(ulong a, ulong b, bool max, ref uint flags)
    {
        var nanA = IsNaN64(a);
        var nanB = IsNaN64(b);
        if (nanA || nanB)
        {
            if (IsSNaN64(a) || IsSNaN64(b))
            {
                flags |= FlagInvalid;
            }

            return nanA ? (nanB ? CanonicalNaN64 : b) : a;
        }

        bool signA = (long)a < 0, signB = (long)b < 0;
        var aLess = signA != signB ? signA : (a != b && (signA ^ (a < b)));
        return aLess ^ max ? a : b;
    }

    public static bool EqF64(ulong a, ulong b, ref uint flags)
    {
        if (IsNaN64(a) || IsNaN64(b))
        {
            if (IsSNaN64(a) || IsSNaN64(b))
            {
                flags |= FlagInvalid;
            }

            return false;
        }

        return a == b || ((a | b) << 1) == 0;
    }

    public static bool LtF64(ulong a, ulong b, ref uint flags)
    {
        if (IsNaN64(a) || IsNaN64(b))
        {
            flags |= FlagInvalid;
            return false;
        }

        bool signA = (long)a < 0, signB = (long)b < 0;
        return signA != signB
            ? signA && ((a | b) << 1) != 0
            : a != b && (signA ^ (a < b));
    }

    public static bool LeF64(ulong a, ulong b, ref uint flags)
    {
        if (IsNaN64(a) || IsNaN64(b))
        {
            flags |= FlagInvalid;
            return false;
        }

        bool signA = (long)a < 0, signB = (long)b < 0;
        return signA != signB
            ? signA || ((a | b) << 1) == 0
            : a == b || (signA ^ (a < b));
    }

    public static uint ClassF64(ulong a)
    {
        var sign = (long)a < 0;
        var exp = (a >> 52) & 0x7FF;
        var frac = a & FracMask64;
        int bit;
        if (exp == 0x7FF)
        {
            bit = frac == 0 ? (sign ? 0 : 7) : ((frac & 0x0008_0000_0000_0000) != 0 ? 9 : 8);
        }
        else if (exp == 0)
        {
            bit = frac == 0 ? (sign ? 3 : 4) : (sign ? 2 : 5);
        }
        else
        {
            bit = sign ? 1 : 6;
        }

        return 1u << bit;
    }
}
