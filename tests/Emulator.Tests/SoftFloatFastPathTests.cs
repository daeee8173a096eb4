using Ringmaster.Emulator.Cpu;

namespace Ringmaster.Emulator.Tests;

/// <summary>
/// The public methods take a hardware fast path when it is provably exact; the integer
/// implementations (<c>*Soft</c>) are the specification. Both must agree on result and flags in
/// every rounding mode, for many random operands (cheap, so many more than the BigInteger model).
/// </summary>
public class SoftFloatFastPathTests
{
    private static readonly int Iterations = 60_000 * Math.Max(1, int.TryParse(Environment.GetEnvironmentVariable("SOFTFLOAT_FUZZ_SCALE"), out var scale) ? scale : 1);

    private static readonly RefFloat.Format F32 = RefFloat.F32;
    private static readonly RefFloat.Format F64 = RefFloat.F64;

    private static void Same(string op, ulong a, ulong b, ulong c, int rm, ulong soft, uint softFlags, ulong fast, uint fastFlags)
    {
        if (soft != fast || softFlags != fastFlags)
        {
            Assert.Fail($"{op} rm={rm} a=0x{a:X} b=0x{b:X} c=0x{c:X}: soft 0x{soft:X} flags {softFlags}, fast 0x{fast:X} flags {fastFlags}");
        }
    }

    [Fact]
    public void HostFastPaths_OnTestHost_Enabled()
    {
        // Otherwise the comparisons below would compare the integer path with itself.
        Assert.True(SoftFloat.HostFastPathsEnabled);
    }

    [Fact]
    public void ArithmeticF64_RandomAllModes_FastPathMatchesIntegerPath()
    {
        var g = new SoftFloatReferenceTests.Gen(101);
        for (var i = 0; i < Iterations; i++)
        {
            var a = g.Finite(F64);
            var b = g.Finite(F64, i % 2 == 0 ? SoftFloatReferenceTests.Gen.ExponentOf(F64, a) : g.Target(F64, SoftFloatReferenceTests.Gen.ExponentOf(F64, a), i % 4 == 1));
            var c = g.Finite(F64, Math.Clamp(SoftFloatReferenceTests.Gen.ExponentOf(F64, a) + SoftFloatReferenceTests.Gen.ExponentOf(F64, b) - 1023, 0, 2046));
            var rm = i % 5;
            uint sf = 0, ff = 0;
            Same("AddF64", a, b, 0, rm, SoftFloat.AddF64Soft(a, b, rm, ref sf), sf, SoftFloat.AddF64(a, b, rm, ref ff), ff);
            sf = ff = 0;
            Same("SubF64", a, b, 0, rm, SoftFloat.SubF64Soft(a, b, rm, ref sf), sf, SoftFloat.SubF64(a, b, rm, ref ff), ff);
            sf = ff = 0;
            Same("MulF64", a, b, 0, rm, SoftFloat.MulF64Soft(a, b, rm, ref sf), sf, SoftFloat.MulF64(a, b, rm, ref ff), ff);
            sf = ff = 0;
            Same("DivF64", a, b, 0, rm, SoftFloat.DivF64Soft(a, b, rm, ref sf), sf, SoftFloat.DivF64(a, b, rm, ref ff), ff);
            sf = ff = 0;
            Same("SqrtF64", a, 0, 0, rm, SoftFloat.SqrtF64Soft(a, rm, ref sf), sf, SoftFloat.SqrtF64(a, rm, ref ff), ff);
            sf = ff = 0;
            Same("FmaF64", a, b, c, rm, SoftFloat.FmaF64Soft(a, b, c, rm, ref sf), sf, SoftFloat.FmaF64(a, b, c, rm, ref ff), ff);
        }
    }

    [Fact]
    public void ArithmeticF32_RandomAllModes_FastPathMatchesIntegerPath()
    {
        var g = new SoftFloatReferenceTests.Gen(102);
        for (var i = 0; i < Iterations; i++)
        {
            var a = (uint)g.Finite(F32);
            var b = (uint)g.Finite(F32, i % 2 == 0 ? SoftFloatReferenceTests.Gen.ExponentOf(F32, a) : g.Target(F32, SoftFloatReferenceTests.Gen.ExponentOf(F32, a), i % 4 == 1));
            var c = (uint)g.Finite(F32, Math.Clamp(SoftFloatReferenceTests.Gen.ExponentOf(F32, a) + SoftFloatReferenceTests.Gen.ExponentOf(F32, b) - 127, 0, 254));
            var rm = i % 5;
            uint sf = 0, ff = 0;
            Same("AddF32", a, b, 0, rm, SoftFloat.AddF32Soft(a, b, rm, ref sf), sf, SoftFloat.AddF32(a, b, rm, ref ff), ff);
            sf = ff = 0;
            Same("SubF32", a, b, 0, rm, SoftFloat.SubF32Soft(a, b, rm, ref sf), sf, SoftFloat.SubF32(a, b, rm, ref ff), ff);
            sf = ff = 0;
            Same("MulF32", a, b, 0, rm, SoftFloat.MulF32Soft(a, b, rm, ref sf), sf, SoftFloat.MulF32(a, b, rm, ref ff), ff);
            sf = ff = 0;
            Same("DivF32", a, b, 0, rm, SoftFloat.DivF32Soft(a, b, rm, ref sf), sf, SoftFloat.DivF32(a, b, rm, ref ff), ff);
            sf = ff = 0;
            Same("SqrtF32", a, 0, 0, rm, SoftFloat.SqrtF32Soft(a, rm, ref sf), sf, SoftFloat.SqrtF32(a, rm, ref ff), ff);
            sf = ff = 0;
            Same("FmaF32", a, b, c, rm, SoftFloat.FmaF32Soft(a, b, c, rm, ref sf), sf, SoftFloat.FmaF32(a, b, c, rm, ref ff), ff);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void FmaF64_NearTiesAllModes_FastPathMatchesIntegerPath(int rm)
    {
        // (1 + k·2^-52)(1 + j·2^-52) + c with c chosen to land the exact sum on or next to a midpoint.
        var r = new Random(rm + 7);
        for (var i = 0; i < 20_000; i++)
        {
            var a = 0x3FF0_0000_0000_0000UL + (ulong)r.Next(1 << 20);
            var b = 0x3FF0_0000_0000_0000UL + ((ulong)r.Next(1 << 20) << r.Next(33));
            var c = (ulong)r.Next(2) << 63 | (ulong)(1023 - 53 - r.Next(4)) << 52 | ((ulong)r.NextInt64() & (r.Next(2) == 0 ? 0 : FracMask));
            uint sf = 0, ff = 0;
            Same("FmaF64", a, b, c, rm, SoftFloat.FmaF64Soft(a, b, c, rm, ref sf), sf, SoftFloat.FmaF64(a, b, c, rm, ref ff), ff);
            sf = ff = 0;
            Same("MulF64", a, b, 0, rm, SoftFloat.MulF64Soft(a, b, rm, ref sf), sf, SoftFloat.MulF64(a, b, rm, ref ff), ff);
            sf = ff = 0;
            Same("AddF64", a, c, 0, rm, SoftFloat.AddF64Soft(a, c, rm, ref sf), sf, SoftFloat.AddF64(a, c, rm, ref ff), ff);
        }
    }

    private const ulong FracMask = 0x000F_FFFF_FFFF_FFFF;
}
