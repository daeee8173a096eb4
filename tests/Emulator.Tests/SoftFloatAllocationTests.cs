using Ringmaster.Emulator.Cpu;

namespace Ringmaster.Emulator.Tests;

public class SoftFloatAllocationTests
{
    private static ulong Exercise(ulong a, ulong b, ulong c, int rm)
    {
        uint f = 0;
        ulong acc = 0;
        uint a32 = (uint)a, b32 = (uint)b, c32 = (uint)c;
        acc += SoftFloat.AddF64(a, b, rm, ref f) + SoftFloat.SubF64(a, b, rm, ref f) + SoftFloat.MulF64(a, b, rm, ref f);
        acc += SoftFloat.DivF64(a, b, rm, ref f) + SoftFloat.SqrtF64(a, rm, ref f) + SoftFloat.FmaF64(a, b, c, rm, ref f);
        acc += SoftFloat.AddF32(a32, b32, rm, ref f) + SoftFloat.SubF32(a32, b32, rm, ref f) + SoftFloat.MulF32(a32, b32, rm, ref f);
        acc += SoftFloat.DivF32(a32, b32, rm, ref f) + SoftFloat.SqrtF32(a32, rm, ref f) + SoftFloat.FmaF32(a32, b32, c32, rm, ref f);
        acc += SoftFloat.MinF64(a, b, ref f) + SoftFloat.MaxF64(a, b, ref f) + SoftFloat.MinF32(a32, b32, ref f) + SoftFloat.MaxF32(a32, b32, ref f);
        acc += (SoftFloat.EqF64(a, b, ref f) ? 1UL : 0) + (SoftFloat.LtF64(a, b, ref f) ? 1UL : 0) + (SoftFloat.LeF64(a, b, ref f) ? 1UL : 0);
        acc += (SoftFloat.EqF32(a32, b32, ref f) ? 1UL : 0) + (SoftFloat.LtF32(a32, b32, ref f) ? 1UL : 0) + (SoftFloat.LeF32(a32, b32, ref f) ? 1UL : 0);
        acc += SoftFloat.ClassF64(a) + SoftFloat.ClassF32(a32);
        acc += (ulong)SoftFloat.F64ToI32(a, rm, ref f) + SoftFloat.F64ToU32(a, rm, ref f) + (ulong)SoftFloat.F64ToI64(a, rm, ref f) + SoftFloat.F64ToU64(a, rm, ref f);
        acc += (ulong)SoftFloat.F32ToI32(a32, rm, ref f) + SoftFloat.F32ToU32(a32, rm, ref f) + (ulong)SoftFloat.F32ToI64(a32, rm, ref f) + SoftFloat.F32ToU64(a32, rm, ref f);
        acc += SoftFloat.I32ToF32((int)a32, rm, ref f) + SoftFloat.U32ToF32(a32, rm, ref f) + SoftFloat.I64ToF32((long)a, rm, ref f) + SoftFloat.U64ToF32(a, rm, ref f);
        acc += SoftFloat.I32ToF64((int)a32, rm, ref f) + SoftFloat.U32ToF64(a32, rm, ref f) + SoftFloat.I64ToF64((long)a, rm, ref f) + SoftFloat.U64ToF64(a, rm, ref f);
        acc += SoftFloat.F32ToF64(a32, ref f) + SoftFloat.F64ToF32(a, rm, ref f);
        return acc + f;
    }

    [Fact]
    public void AllMethods_RandomOperandsAllModes_DoNotAllocate()
    {
        var r = new Random(5);
        var values = new ulong[256];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (ulong)r.NextInt64() ^ ((ulong)r.Next(2) << 63);
        }

        values[0] = 0;
        values[1] = 0x7FF0_0000_0000_0000;
        values[2] = 0x7FF0_0000_0000_0001;
        values[3] = 1;

        ulong sink = 0;
        for (var i = 0; i < 2000; i++)
        {
            sink += Exercise(values[i & 255], values[(i * 7) & 255], values[(i * 13) & 255], i % 5);
        }

        // The runtime itself may allocate on this thread once in a while (tiered compilation promoting
        // a method under load); an allocating method would allocate in every pass, so the quietest pass counts.
        var allocated = long.MaxValue;
        for (var pass = 0; pass < 5 && allocated > 0; pass++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 20_000; i++)
            {
                sink += Exercise(values[i & 255], values[(i * 7) & 255], values[(i * 13) & 255], i % 5);
            }

            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, allocated);
        Assert.NotEqual(0UL, sink | 1);
    }
}
