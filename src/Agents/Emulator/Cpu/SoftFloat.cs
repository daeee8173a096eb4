namespace Ringmaster.Emulator.Cpu;

/// <summary>
/// IEEE 754 binary32/binary64 arithmetic with RISC-V semantics, on raw bit patterns (binary32 as
/// <see cref="uint"/>, binary64 as <see cref="ulong"/>). <c>rm</c> is a resolved rounding mode
/// (0 RNE, 1 RTZ, 2 RDN, 3 RUP, 4 RMM; the caller resolves DYN and rejects reserved encodings,
/// other values are not supported); <c>flags</c> accumulates the fflags bits
/// (<see cref="FlagInexact"/> … <see cref="FlagInvalid"/>). NaN results are the canonical NaN.
/// Results are exact IEEE 754-2008 roundings with tininess detected after rounding and full
/// subnormal support. No method allocates. The CPU does NaN-boxing, sign injection and moves itself.
/// </summary>
/// <remarks>
/// SoftFloat.Core.cs holds the Berkeley-style round-and-pack routines; SoftFloat.F32.cs and
/// SoftFloat.F64.cs the exact integer implementations (the <c>*Soft</c> methods, also used for
/// all special operands), compares, min/max and fclass; SoftFloat.Fast.cs the public arithmetic
/// entry points with host-FPU fast paths that are exact by construction; SoftFloat.Convert.cs
/// the conversions.
/// </remarks>
public static partial class SoftFloat
{
    public const uint FlagInexact = 1, FlagUnderflow = 2, FlagOverflow = 4, FlagDivideByZero = 8, FlagInvalid = 16;
    public const uint CanonicalNaN32 = 0x7FC0_0000;
    public const ulong CanonicalNaN64 = 0x7FF8_0000_0000_0000;

    // The bodies are supplied by SoftFloat.Fast.cs / SoftFloat.F32.cs / SoftFloat.F64.cs / SoftFloat.Convert.cs:
    //   uint AddF32(uint a, uint b, int rm, ref uint flags)        ulong AddF64(ulong a, ulong b, int rm, ref uint flags)
    //   uint SubF32(...)  MulF32(...)  DivF32(...)                 SubF64 MulF64 DivF64
    //   uint SqrtF32(uint a, int rm, ref uint flags)               ulong SqrtF64(ulong a, int rm, ref uint flags)
    //   uint FmaF32(uint a, uint b, uint c, int rm, ref uint flags)   a*b+c rounded once (callers negate operands for fmsub/fnmadd/fnmsub)
    //   ulong FmaF64(ulong a, ulong b, ulong c, int rm, ref uint flags)
    //   uint MinF32(uint a, uint b, ref uint flags)  MaxF32        ulong MinF64 MaxF64   (RISC-V 2.2 fmin/fmax: -0 < +0, one NaN → the other, sNaN → NV)
    //   bool EqF32(uint a, uint b, ref uint flags)  LtF32  LeF32   bool EqF64 LtF64 LeF64 (feq: NV on sNaN only; flt/fle: NV on any NaN)
    //   uint ClassF32(uint a)                                      uint ClassF64(ulong a)  (the fclass 10-bit mask)
    //   int  F32ToI32(uint a, int rm, ref uint flags)   uint F32ToU32   long F32ToI64   ulong F32ToU64   (saturating, NV on NaN/overflow)
    //   int  F64ToI32(ulong a, int rm, ref uint flags)  uint F64ToU32   long F64ToI64   ulong F64ToU64
    //   uint I32ToF32(int v, int rm, ref uint flags)  U32ToF32(uint)  I64ToF32(long)  U64ToF32(ulong)
    //   ulong I32ToF64(int v, int rm, ref uint flags) U32ToF64(uint)  I64ToF64(long)  U64ToF64(ulong)
    //   ulong F32ToF64(uint a, ref uint flags)                     uint F64ToF32(ulong a, int rm, ref uint flags)
}
