namespace Ringmaster.Emulator.Cpu;

// binary32 arithmetic: exact integer computation, one rounding in RoundPackF32.
public static partial class SoftFloat
{
    internal static uint AddF32Soft(uint a, uint b, int rm, ref uint flags) => AddSubF32(a, b, false, rm, ref flags);

    internal static uint SubF32Soft(uint a, uint b, int rm, ref uint flags) => AddSubF32(a, b, true, rm, ref flags);

    private static uint AddSubF32(uint a, uint b, bool negateB, int rm, ref uint flags)
    {
        if (IsNaN32(a) || IsNaN32(b))
        {
            if (IsSNaN32(a) || IsSNaN32(b))
            {
                flags |= FlagInvalid;
            }

            return CanonicalNaN32;
        }

        if (negateB)
        {
            b ^= SignBit32;
        }

        bool signA = (int)a < 0, signB = (int)b < 0;
        var magA = a & ~SignBit32;
        var magB = b & ~SignBit32;
        if (magA == Inf32)
        {
            if (magB == Inf32 && signA != signB)
            {
                flags |= FlagInvalid;
                return CanonicalNaN32;
            }

            return a;
        }

        if (magB == Inf32)
        {
            return b;
        }

        if (magA == 0)
        {
            return magB == 0 ? (signA == signB ? a : Zero32(rm == Rdn)) : b;
        }

        if (magB == 0)
        {
            return a;
        }

        // Order by magnitude so that |a| >= |b| (the packed encoding orders magnitudes).
        if (magA < magB)
        {
            (a, b) = (b, a);
            (signA, signB) = (signB, signA);
        }

        ulong ma = Unpack32(a, out var qa);
        ulong mb = Unpack32(b, out var qb);
        var sigA = ma << 32;
        var sigB = ShiftRightJam64(mb << 32, qa - qb);
        ulong sum;
        if (signA == signB)
        {
            sum = sigA + sigB;
        }
        else
        {
            sum = sigA - sigB;
            if (sum == 0)
            {
                return Zero32(rm == Rdn);
            }
        }

        return NormRoundPackF32(signA, qa - 32, sum, rm, ref flags);
    }

    internal static uint MulF32Soft(uint a, uint b, int rm, ref uint flags)
    {
        if (IsNaN32(a) || IsNaN32(b))
        {
            if (IsSNaN32(a) || IsSNaN32(b))
            {
                flags |= FlagInvalid;
            }

            return CanonicalNaN32;
        }

        var sign = ((a ^ b) & SignBit32) != 0;
        var magA = a & ~SignBit32;
        var magB = b & ~SignBit32;
        if (magA == Inf32 || magB == Inf32)
        {
            if (magA == 0 || magB == 0)
            {
                flags |= FlagInvalid;
                return CanonicalNaN32;
            }

            return Zero32(sign) | Inf32;
        }

        if (magA == 0 || magB == 0)
        {
            return Zero32(sign);
        }

        ulong ma = Unpack32(a, out var qa);
        ulong mb = Unpack32(b, out var qb);
        return NormRoundPackF32(sign, qa + qb, ma * mb, rm, ref flags);
    }

    internal static uint DivF32Soft(uint a, uint b, int rm, ref uint flags)
    {
        if (IsNaN32(a) || IsNaN32(b))
        {
            if (IsSNaN32(a) || IsSNaN32(b))
            {
                flags |= FlagInvalid;
            }

            return CanonicalNaN32;
        }

        var sign = ((a ^ b) & SignBit32) != 0;
        var magA = a & ~SignBit32;
        var magB = b & ~SignBit32;
        if (magA == Inf32)
        {
            if (magB == Inf32)
            {
                flags |= FlagInvalid;
                return CanonicalNaN32;
            }

            return Zero32(sign) | Inf32;
        }

        if (magB == Inf32)
        {
            return Zero32(sign);
        }

        if (magB == 0)
        {
            if (magA == 0)
            {
                flags |= FlagInvalid;
                return CanonicalNaN32;
            }

            flags |= FlagDivideByZero;
            return Zero32(sign) | Inf32;
        }

        if (magA == 0)
        {
            return Zero32(sign);
        }

        ulong ma = Unpack32(a, out var qa);
        ulong mb = Unpack32(b, out var qb);
        ma = NormalizeTo(ma, 23, ref qa);
        mb = NormalizeTo(mb, 23, ref qb);
        var n = ma << 40;
        var quotient = n / mb;
        if (quotient * mb != n)
        {
            quotient |= 1;
        }

        return NormRoundPackF32(sign, qa - qb - 40, quotient, rm, ref flags);
    }

    internal static uint SqrtF32Soft(uint a, int rm, ref uint flags)
    {
        if (IsNaN32(a))
        {
            if (IsSNaN32(a))
            {
                flags |= FlagInvalid;
            }

            return CanonicalNaN32;
        }

        if ((a & ~SignBit32) == 0)
        {
            return a;
        }

        if ((int)a < 0)
        {
            flags |= FlagInvalid;
            return CanonicalNaN32;
        }

        if (a == Inf32)
        {
            return a;
        }

        ulong m = Unpack32(a, out var q);
        m = NormalizeTo(m, 23, ref q);
        if ((q & 1) != 0)
        {
            m <<= 1;
            q--;
        }

        var n = m << 38;
        var root = ISqrt64(n);
        if (root * root != n)
        {
            root |= 1;
        }

        return NormRoundPackF32(false, (q - 38) / 2, root, rm, ref flags);
    }

    internal static uint FmaF32Soft(uint a, uint b, uint c, int rm, ref uint flags)
    {
        if (IsNaN32(a) || IsNaN32(b) || IsNaN32(c))
        {
            if (IsSNaN32(a) || IsSNaN32(b) || IsSNaN32(c) || IsInfTimesZero32(a, b))
            {
                flags |= FlagInvalid;
            }

            return CanonicalNaN32;
        }

        var signP = ((a ^ b) & SignBit32) != 0;
        var signC = (int)c < 0;
        var magA = a & ~SignBit32;
        var magB = b & ~SignBit32;
        var magC = c & ~SignBit32;
        if (magA == Inf32 || magB == Inf32)
        {
            if (magA == 0 || magB == 0 || (magC == Inf32 && signC != signP))
            {
                flags |= FlagInvalid;
                return CanonicalNaN32;
            }

            return Zero32(signP) | Inf32;
        }

        if (magC == Inf32)
        {
            return c;
        }

        if (magA == 0 || magB == 0)
        {
            if (magC == 0)
            {
                return signP == signC ? c : Zero32(rm == Rdn);
            }

            return c;
        }

        ulong ma = Unpack32(a, out var qa);
        ulong mb = Unpack32(b, out var qb);
        var product = ma * mb;
        var qp = qa + qb;
        if (magC == 0)
        {
            return NormRoundPackF32(signP, qp, product, rm, ref flags);
        }

        ulong mc = Unpack32(c, out var qc);

        // Both terms get their leading bit at bit 61; the smaller one is aligned with a sticky bit.
        product = NormalizeTo(product, 61, ref qp);
        mc = NormalizeTo(mc, 61, ref qc);
        bool signZ;
        int qz;
        ulong big, small;
        if (qp > qc || (qp == qc && product >= mc))
        {
            (big, small, signZ, qz) = (product, ShiftRightJam64(mc, qp - qc), signP, qp);
        }
        else
        {
            (big, small, signZ, qz) = (mc, ShiftRightJam64(product, qc - qp), signC, qc);
        }

        ulong sum;
        if (signP == signC)
        {
            sum = big + small;
        }
        else
        {
            sum = big - small;
            if (sum == 0)
            {
                return Zero32(rm == Rdn);
            }
        }

        return NormRoundPackF32(signZ, qz, sum, rm, ref flags);
    }

    private static bool IsInfTimesZero32(uint a, uint b)
    {
        var magA = a & ~SignBit32;
        var magB = b & ~SignBit32;
        return (magA == Inf32 && magB == 0) || (magB == Inf32 && magA == 0);
    }

    public static uint MinF32(uint a, uint b, ref uint flags) => MinMaxF32(a, b, false, ref flags);

    public static uint MaxF32(uint a, uint b, ref uint flags) => MinMaxF32(a, b, true, ref flags);

    private static uint MinMaxF32(uint a, uint b, bool max, ref uint flags)
    {
        var nanA = IsNaN32(a);
        var nanB = IsNaN32(b);
        if (nanA || nanB)
        {
            if (IsSNaN32(a) || IsSNaN32(b))
            {
                flags |= FlagInvalid;
            }

            return nanA ? (nanB ? CanonicalNaN32 : b) : a;
        }

        // Ordered with -0 < +0.
        bool signA = (int)a < 0, signB = (int)b < 0;
        var aLess = signA != signB ? signA : (a != b && (signA ^ (a < b)));
        return aLess ^ max ? a : b;
    }

    public static bool EqF32(uint a, uint b, ref uint flags)
    {
        if (IsNaN32(a) || IsNaN32(b))
        {
            if (IsSNaN32(a) || IsSNaN32(b))
            {
                flags |= FlagInvalid;
            }

            return false;
        }

        return a == b || ((a | b) << 1) == 0;
    }

    public static bool LtF32(uint a, uint b, ref uint flags)
    {
        if (IsNaN32(a) || IsNaN32(b))
        {
            flags |= FlagInvalid;
            return false;
        }

        bool signA = (int)a < 0, signB = (int)b < 0;
        return signA != signB
            ? signA && ((a | b) << 1) != 0
            : a != b && (signA ^ (a < b));
    }

    public static bool LeF32(uint a, uint b, ref uint flags)
    {
        if (IsNaN32(a) || IsNaN32(b))
        {
            flags |= FlagInvalid;
            return false;
        }

        bool signA = (int)a < 0, signB = (int)b < 0;
        return signA != signB
            ? signA || ((a | b) << 1) == 0
            : a == b || (signA ^ (a < b));
    }

    public static uint ClassF32(uint a)
    {
        var sign = (int)a < 0;
        var exp = (a >> 23) & 0xFF;
        var frac = a & FracMask32;
        int bit;
        if (exp == 0xFF)
        {
            bit = frac == 0 ? (sign ? 0 : 7) : ((frac & 0x0040_0000) != 0 ? 9 : 8);
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
