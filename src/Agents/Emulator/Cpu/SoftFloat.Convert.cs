namespace Ringmaster.Emulator.Cpu;

// Conversions between the two formats and to/from integers, with RISC-V saturation rules:
// NaN converts to the largest positive integer, out-of-range values saturate, and both raise NV
// only (never NX).
public static partial class SoftFloat
{
    // ---- float -> float ----

    public static ulong F32ToF64(uint a, ref uint flags)
    {
        if (IsNaN32(a))
        {
            if (IsSNaN32(a))
            {
                flags |= FlagInvalid;
            }

            return CanonicalNaN64;
        }

        var sign = (int)a < 0;
        var mag = a & ~SignBit32;
        if (mag == Inf32)
        {
            return Zero64(sign) | Inf64;
        }

        if (mag == 0)
        {
            return Zero64(sign);
        }

        ulong m = Unpack32(a, out var q);
        m = NormalizeTo(m, 52, ref q);
        return Zero64(sign) + ((ulong)(q + 1075) << 52) + (m & FracMask64);
    }

    public static uint F64ToF32(ulong a, int rm, ref uint flags)
    {
        if (IsNaN64(a))
        {
            if (IsSNaN64(a))
            {
                flags |= FlagInvalid;
            }

            return CanonicalNaN32;
        }

        var sign = (long)a < 0;
        var mag = a & ~SignBit64;
        if (mag == Inf64)
        {
            return Zero32(sign) | Inf32;
        }

        if (mag == 0)
        {
            return Zero32(sign);
        }

        var m = Unpack64(a, out var q);
        return NormRoundPackF32(sign, q, m, rm, ref flags);
    }

    // ---- integer -> float ----

    public static uint I32ToF32(int v, int rm, ref uint flags) => I64ToF32(v, rm, ref flags);

    public static uint U32ToF32(uint v, int rm, ref uint flags) => U64ToF32(v, rm, ref flags);

    public static uint I64ToF32(long v, int rm, ref uint flags)
    {
        if (v == 0)
        {
            return 0;
        }

        var sign = v < 0;
        return NormRoundPackF32(sign, 0, sign ? 0UL - (ulong)v : (ulong)v, rm, ref flags);
    }

    public static uint U64ToF32(ulong v, int rm, ref uint flags) =>
        v == 0 ? 0 : NormRoundPackF32(false, 0, v, rm, ref flags);

    public static ulong I32ToF64(int v, int rm, ref uint flags) => I64ToF64(v, rm, ref flags);

    public static ulong U32ToF64(uint v, int rm, ref uint flags) => U64ToF64(v, rm, ref flags);

    public static ulong I64ToF64(long v, int rm, ref uint flags)
    {
        if (v == 0)
        {
            return 0;
        }

        var sign = v < 0;
        return NormRoundPackF64(sign, 0, sign ? 0UL - (ulong)v : (ulong)v, rm, ref flags);
    }

    public static ulong U64ToF64(ulong v, int rm, ref uint flags) =>
        v == 0 ? 0 : NormRoundPackF64(false, 0, v, rm, ref flags);

    // ---- float -> integer ----

    private enum IntClass
    {
        Finite,
        NaN,
        Infinite,
    }

    /// <summary>
    /// Rounds m × 2^q (m &lt; 2^53) to an integer magnitude in the given mode. Returns false when
    /// the magnitude does not fit in 64 bits.
    /// </summary>
    private static bool RoundToIntMagnitude(bool sign, ulong m, int q, int rm, out ulong magnitude, out bool inexact)
    {
        inexact = false;
        if (m == 0)
        {
            magnitude = 0;
            return true;
        }

        if (q >= 0)
        {
            magnitude = 0;
            if (q >= 64 || (q > 0 && (m >> (64 - q)) != 0))
            {
                return false;
            }

            magnitude = m << q;
            return true;
        }

        var s = -q;
        ulong integer;
        bool aboveHalf, exactlyHalf;
        if (s >= 64)
        {
            // m < 2^53, so the value is below one half.
            integer = 0;
            aboveHalf = false;
            exactlyHalf = false;
        }
        else
        {
            integer = m >> s;
            var fraction = m & ((1UL << s) - 1);
            var half = 1UL << (s - 1);
            aboveHalf = fraction > half;
            exactlyHalf = fraction == half;
        }

        inexact = integer << s != m || s >= 64;
        if (inexact)
        {
            var increment = rm switch
            {
                Rne => aboveHalf || (exactlyHalf && (integer & 1) != 0),
                Rmm => aboveHalf || exactlyHalf,
                Rdn => sign,
                Rup => !sign,
                _ => false,
            };
            if (increment)
            {
                integer++;
            }
        }

        magnitude = integer;
        return true;
    }

    private static IntClass UnpackForInt32(uint a, out bool sign, out ulong m, out int q)
    {
        sign = (int)a < 0;
        m = 0;
        q = 0;
        if (IsNaN32(a))
        {
            return IntClass.NaN;
        }

        if ((a & ~SignBit32) == Inf32)
        {
            return IntClass.Infinite;
        }

        m = Unpack32(a, out q);
        return IntClass.Finite;
    }

    private static IntClass UnpackForInt64(ulong a, out bool sign, out ulong m, out int q)
    {
        sign = (long)a < 0;
        m = 0;
        q = 0;
        if (IsNaN64(a))
        {
            return IntClass.NaN;
        }

        if ((a & ~SignBit64) == Inf64)
        {
            return IntClass.Infinite;
        }

        m = Unpack64(a, out q);
        return IntClass.Finite;
    }

    /// <summary>Signed conversion of a finite/inf/NaN value to an integer of <paramref name="bits"/> bits.</summary>
    private static long ToSigned(IntClass cls, bool sign, ulong m, int q, int bits, int rm, ref uint flags)
    {
        var maxMagnitudePositive = (1UL << (bits - 1)) - 1;
        if (cls == IntClass.Finite
            && RoundToIntMagnitude(sign, m, q, rm, out var magnitude, out var inexact)
            && magnitude <= maxMagnitudePositive + (sign ? 1UL : 0))
        {
            if (inexact)
            {
                flags |= FlagInexact;
            }

            return sign ? (long)(0UL - magnitude) : (long)magnitude;
        }

        flags |= FlagInvalid;
        if (cls == IntClass.NaN || !sign)
        {
            return (long)maxMagnitudePositive;
        }

        return -(long)maxMagnitudePositive - 1;
    }

    /// <summary>Unsigned conversion to an integer of <paramref name="bits"/> bits.</summary>
    private static ulong ToUnsigned(IntClass cls, bool sign, ulong m, int q, int bits, int rm, ref uint flags)
    {
        var max = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        if (cls == IntClass.Finite
            && RoundToIntMagnitude(sign, m, q, rm, out var magnitude, out var inexact)
            && (sign ? magnitude == 0 : magnitude <= max))
        {
            if (inexact)
            {
                flags |= FlagInexact;
            }

            return magnitude;
        }

        flags |= FlagInvalid;
        return cls == IntClass.NaN || !sign ? max : 0;
    }

    public static int F32ToI32(uint a, int rm, ref uint flags)
    {
        var cls = UnpackForInt32(a, out var sign, out var m, out var q);
        return (int)ToSigned(cls, sign, m, q, 32, rm, ref flags);
    }

    public static uint F32ToU32(uint a, int rm, ref uint flags)
    {
        var cls = UnpackForInt32(a, out var sign, out var m, out var q);
        return (uint)ToUnsigned(cls, sign, m, q, 32, rm, ref flags);
    }

    public static long F32ToI64(uint a, int rm, ref uint flags)
    {
        var cls = UnpackForInt32(a, out var sign, out var m, out var q);
        return ToSigned(cls, sign, m, q, 64, rm, ref flags);
    }

    public static ulong F32ToU64(uint a, int rm, ref uint flags)
    {
        var cls = UnpackForInt32(a, out var sign, out var m, out var q);
        return ToUnsigned(cls, sign, m, q, 64, rm, ref flags);
    }

    public static int F64ToI32(ulong a, int rm, ref uint flags)
    {
        var cls = UnpackForInt64(a, out var sign, out var m, out var q);
        return (int)ToSigned(cls, sign, m, q, 32, rm, ref flags);
    }

    public static uint F64ToU32(ulong a, int rm, ref uint flags)
    {
        var cls = UnpackForInt64(a, out var sign, out var m, out var q);
        return (uint)ToUnsigned(cls, sign, m, q, 32, rm, ref flags);
    }

    public static long F64ToI64(ulong a, int rm, ref uint flags)
    {
        var cls = UnpackForInt64(a, out var sign, out var m, out var q);
        return ToSigned(cls, sign, m, q, 64, rm, ref flags);
    }

    public static ulong F64ToU64(ulong a, int rm, ref uint flags)
    {
        var cls = UnpackForInt64(a, out var sign, out var m, out var q);
        return ToUnsigned(cls, sign, m, q, 64, rm, ref flags);
    }
}
