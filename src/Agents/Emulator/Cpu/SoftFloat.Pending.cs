namespace Ringmaster.Emulator.Cpu;

// Temporary bodies for the SoftFloat API, written with plain .NET float/double math (round to
// nearest for arithmetic, flags approximated). This file is replaced when the exact library lands.
public static partial class SoftFloat
{
    private static float F(uint a) => BitConverter.UInt32BitsToSingle(a);

    private static double D(ulong a) => BitConverter.UInt64BitsToDouble(a);

    private static bool IsSNaN32(uint a) => (a & 0x7F80_0000) == 0x7F80_0000 && (a & 0x007F_FFFF) != 0 && (a & 0x0040_0000) == 0;

    private static bool IsSNaN64(ulong a) => (a & 0x7FF0_0000_0000_0000) == 0x7FF0_0000_0000_0000 && (a & 0x000F_FFFF_FFFF_FFFF) != 0 && (a & 0x0008_0000_0000_0000) == 0;

    private static uint R32(float r, bool anyNaNIn, bool anySNaN, ref uint flags)
    {
        if (float.IsNaN(r))
        {
            if (!anyNaNIn || anySNaN)
                flags |= FlagInvalid;
            return CanonicalNaN32;
        }

        if (float.IsInfinity(r) && !anyNaNIn)
            flags |= 0;
        return BitConverter.SingleToUInt32Bits(r);
    }

    private static ulong R64(double r, bool anyNaNIn, bool anySNaN, ref uint flags)
    {
        if (double.IsNaN(r))
        {
            if (!anyNaNIn || anySNaN)
                flags |= FlagInvalid;
            return CanonicalNaN64;
        }

        return BitConverter.DoubleToUInt64Bits(r);
    }

    private static uint Op32(uint a, uint b, float r, ref uint flags)
    {
        var res = R32(r, float.IsNaN(F(a)) || float.IsNaN(F(b)), IsSNaN32(a) || IsSNaN32(b), ref flags);
        if (float.IsInfinity(r) && !float.IsInfinity(F(a)) && !float.IsInfinity(F(b)))
            flags |= FlagOverflow | FlagInexact;
        return res;
    }

    private static ulong Op64(ulong a, ulong b, double r, ref uint flags)
    {
        var res = R64(r, double.IsNaN(D(a)) || double.IsNaN(D(b)), IsSNaN64(a) || IsSNaN64(b), ref flags);
        if (double.IsInfinity(r) && !double.IsInfinity(D(a)) && !double.IsInfinity(D(b)))
            flags |= FlagOverflow | FlagInexact;
        return res;
    }

    public static uint AddF32(uint a, uint b, int rm, ref uint flags) => Op32(a, b, F(a) + F(b), ref flags);

    public static uint SubF32(uint a, uint b, int rm, ref uint flags) => Op32(a, b, F(a) - F(b), ref flags);

    public static uint MulF32(uint a, uint b, int rm, ref uint flags) => Op32(a, b, F(a) * F(b), ref flags);

    public static uint DivF32(uint a, uint b, int rm, ref uint flags)
    {
        if (F(b) == 0 && F(a) != 0 && !float.IsNaN(F(a)) && !float.IsInfinity(F(a)))
        {
            flags |= FlagDivideByZero;
            return BitConverter.SingleToUInt32Bits(F(a) / F(b));
        }

        return Op32(a, b, F(a) / F(b), ref flags);
    }

    public static ulong AddF64(ulong a, ulong b, int rm, ref uint flags) => Op64(a, b, D(a) + D(b), ref flags);

    public static ulong SubF64(ulong a, ulong b, int rm, ref uint flags) => Op64(a, b, D(a) - D(b), ref flags);

    public static ulong MulF64(ulong a, ulong b, int rm, ref uint flags) => Op64(a, b, D(a) * D(b), ref flags);

    public static ulong DivF64(ulong a, ulong b, int rm, ref uint flags)
    {
        if (D(b) == 0 && D(a) != 0 && !double.IsNaN(D(a)) && !double.IsInfinity(D(a)))
        {
            flags |= FlagDivideByZero;
            return BitConverter.DoubleToUInt64Bits(D(a) / D(b));
        }

        return Op64(a, b, D(a) / D(b), ref flags);
    }

    public static uint SqrtF32(uint a, int rm, ref uint flags) => R32(MathF.Sqrt(F(a)), float.IsNaN(F(a)), IsSNaN32(a), ref flags);

    public static ulong SqrtF64(ulong a, int rm, ref uint flags) => R64(Math.Sqrt(D(a)), double.IsNaN(D(a)), IsSNaN64(a), ref flags);

    public static uint FmaF32(uint a, uint b, uint c, int rm, ref uint flags) =>
        R32(MathF.FusedMultiplyAdd(F(a), F(b), F(c)), float.IsNaN(F(a)) || float.IsNaN(F(b)) || float.IsNaN(F(c)),
            IsSNaN32(a) || IsSNaN32(b) || IsSNaN32(c), ref flags);

    public static ulong FmaF64(ulong a, ulong b, ulong c, int rm, ref uint flags) =>
        R64(Math.FusedMultiplyAdd(D(a), D(b), D(c)), double.IsNaN(D(a)) || double.IsNaN(D(b)) || double.IsNaN(D(c)),
            IsSNaN64(a) || IsSNaN64(b) || IsSNaN64(c), ref flags);

    public static uint MinF32(uint a, uint b, ref uint flags) => MinMax32(a, b, false, ref flags);

    public static uint MaxF32(uint a, uint b, ref uint flags) => MinMax32(a, b, true, ref flags);

    public static ulong MinF64(ulong a, ulong b, ref uint flags) => MinMax64(a, b, false, ref flags);

    public static ulong MaxF64(ulong a, ulong b, ref uint flags) => MinMax64(a, b, true, ref flags);

    private static uint MinMax32(uint a, uint b, bool max, ref uint flags)
    {
        if (IsSNaN32(a) || IsSNaN32(b))
            flags |= FlagInvalid;
        bool an = float.IsNaN(F(a)), bn = float.IsNaN(F(b));
        if (an && bn) return CanonicalNaN32;
        if (an) return b;
        if (bn) return a;
        if (F(a) == F(b))
            return max ? a & b : a | b; // -0 < +0
        return (F(a) < F(b)) ^ max ? a : b;
    }

    private static ulong MinMax64(ulong a, ulong b, bool max, ref uint flags)
    {
        if (IsSNaN64(a) || IsSNaN64(b))
            flags |= FlagInvalid;
        bool an = double.IsNaN(D(a)), bn = double.IsNaN(D(b));
        if (an && bn) return CanonicalNaN64;
        if (an) return b;
        if (bn) return a;
        if (D(a) == D(b))
            return max ? a & b : a | b;
        return (D(a) < D(b)) ^ max ? a : b;
    }

    public static bool EqF32(uint a, uint b, ref uint flags)
    {
        if (IsSNaN32(a) || IsSNaN32(b)) flags |= FlagInvalid;
        return F(a) == F(b);
    }

    public static bool LtF32(uint a, uint b, ref uint flags)
    {
        if (float.IsNaN(F(a)) || float.IsNaN(F(b))) flags |= FlagInvalid;
        return F(a) < F(b);
    }

    public static bool LeF32(uint a, uint b, ref uint flags)
    {
        if (float.IsNaN(F(a)) || float.IsNaN(F(b))) flags |= FlagInvalid;
        return F(a) <= F(b);
    }

    public static bool EqF64(ulong a, ulong b, ref uint flags)
    {
        if (IsSNaN64(a) || IsSNaN64(b)) flags |= FlagInvalid;
        return D(a) == D(b);
    }

    public static bool LtF64(ulong a, ulong b, ref uint flags)
    {
        if (double.IsNaN(D(a)) || double.IsNaN(D(b))) flags |= FlagInvalid;
        return D(a) < D(b);
    }

    public static bool LeF64(ulong a, ulong b, ref uint flags)
    {
        if (double.IsNaN(D(a)) || double.IsNaN(D(b))) flags |= FlagInvalid;
        return D(a) <= D(b);
    }

    public static uint ClassF32(uint a) => Class((a >> 31) != 0, (a >> 23) & 0xff, a & 0x7f_ffff, 0xff, 0x40_0000);

    public static uint ClassF64(ulong a) => Class((a >> 63) != 0, (a >> 52) & 0x7ff, a & 0xF_FFFF_FFFF_FFFF, 0x7ff, 0x8_0000_0000_0000);

    private static uint Class(bool neg, ulong exp, ulong frac, ulong expMax, ulong quiet)
    {
        if (exp == expMax)
        {
            if (frac == 0) return neg ? 1u : 1u << 7;
            return (frac & quiet) != 0 ? 1u << 9 : 1u << 8;
        }

        if (exp == 0)
        {
            if (frac == 0) return neg ? 1u << 3 : 1u << 4;
            return neg ? 1u << 2 : 1u << 5;
        }

        return neg ? 1u << 1 : 1u << 6;
    }

    private static double Round(double v, int rm) => rm switch
    {
        1 => Math.Truncate(v),
        2 => Math.Floor(v),
        3 => Math.Ceiling(v),
        4 => Math.Round(v, MidpointRounding.AwayFromZero),
        _ => Math.Round(v, MidpointRounding.ToEven),
    };

    private static double ToInt(double v, int rm, double min, double max, out bool bad, ref uint flags)
    {
        bad = false;
        if (double.IsNaN(v))
        {
            flags |= FlagInvalid;
            bad = true;
            return max;
        }

        var r = Round(v, rm);
        if (r < min) { flags |= FlagInvalid; bad = true; return min; }
        if (r > max) { flags |= FlagInvalid; bad = true; return max; }
        if (r != v) flags |= FlagInexact;
        return r;
    }

    public static int F32ToI32(uint a, int rm, ref uint flags) => F64ToI32(BitConverter.DoubleToUInt64Bits(F(a)), rm, ref flags);

    public static uint F32ToU32(uint a, int rm, ref uint flags) => F64ToU32(BitConverter.DoubleToUInt64Bits(F(a)), rm, ref flags);

    public static long F32ToI64(uint a, int rm, ref uint flags) => F64ToI64(BitConverter.DoubleToUInt64Bits(F(a)), rm, ref flags);

    public static ulong F32ToU64(uint a, int rm, ref uint flags) => F64ToU64(BitConverter.DoubleToUInt64Bits(F(a)), rm, ref flags);

    public static int F64ToI32(ulong a, int rm, ref uint flags) => (int)ToInt(D(a), rm, int.MinValue, int.MaxValue, out _, ref flags);

    public static uint F64ToU32(ulong a, int rm, ref uint flags) => (uint)ToInt(D(a), rm, 0, uint.MaxValue, out _, ref flags);

    public static long F64ToI64(ulong a, int rm, ref uint flags)
    {
        var r = ToInt(D(a), rm, -9223372036854775808.0, 9223372036854775807.0, out var bad, ref flags);
        if (bad) return r < 0 ? long.MinValue : long.MaxValue;
        return r >= 9223372036854775807.0 ? long.MaxValue : (long)r;
    }

    public static ulong F64ToU64(ulong a, int rm, ref uint flags)
    {
        var r = ToInt(D(a), rm, 0, 18446744073709551615.0, out var bad, ref flags);
        if (bad) return r <= 0 ? 0 : ulong.MaxValue;
        return r >= 18446744073709551615.0 ? ulong.MaxValue : (ulong)r;
    }

    public static uint I32ToF32(int v, int rm, ref uint flags) => BitConverter.SingleToUInt32Bits(v);

    public static uint U32ToF32(uint v, int rm, ref uint flags) => BitConverter.SingleToUInt32Bits(v);

    public static uint I64ToF32(long v, int rm, ref uint flags) => BitConverter.SingleToUInt32Bits(v);

    public static uint U64ToF32(ulong v, int rm, ref uint flags) => BitConverter.SingleToUInt32Bits(v);

    public static ulong I32ToF64(int v, int rm, ref uint flags) => BitConverter.DoubleToUInt64Bits(v);

    public static ulong U32ToF64(uint v, int rm, ref uint flags) => BitConverter.DoubleToUInt64Bits(v);

    public static ulong I64ToF64(long v, int rm, ref uint flags) => BitConverter.DoubleToUInt64Bits(v);

    public static ulong U64ToF64(ulong v, int rm, ref uint flags) => BitConverter.DoubleToUInt64Bits(v);

    public static ulong F32ToF64(uint a, ref uint flags) =>
        float.IsNaN(F(a)) ? (IsSNaN32(a) ? Invalid64(ref flags) : CanonicalNaN64) : BitConverter.DoubleToUInt64Bits(F(a));

    public static uint F64ToF32(ulong a, int rm, ref uint flags) =>
        double.IsNaN(D(a)) ? (IsSNaN64(a) ? Invalid32(ref flags) : CanonicalNaN32) : BitConverter.SingleToUInt32Bits((float)D(a));

    private static ulong Invalid64(ref uint flags)
    {
        flags |= FlagInvalid;
        return CanonicalNaN64;
    }

    private static uint Invalid32(ref uint flags)
    {
        flags |= FlagInvalid;
        return CanonicalNaN32;
    }
}
