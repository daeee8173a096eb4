namespace Ringmaster.Emulator.Cpu;

/// <summary>M extension: multiply and divide (RISC-V semantics for division by zero and overflow).</summary>
internal sealed partial class Hart
{
    private static ulong MulDiv(uint f3, ulong a, ulong b)
    {
        switch (f3)
        {
            case 0: return a * b;                                                  // mul
            case 1: return (ulong)Math.BigMul((long)a, (long)b, out _);            // mulh
            case 2:                                                                // mulhsu
            {
                var hi = Math.BigMul(a, b, out _);
                if ((long)a < 0)
                    hi -= b;
                return hi;
            }

            case 3: return Math.BigMul(a, b, out _);                              // mulhu
            case 4:                                                                // div
                if (b == 0) return ulong.MaxValue;
                if ((long)a == long.MinValue && (long)b == -1) return a;
                return (ulong)((long)a / (long)b);
            case 5: return b == 0 ? ulong.MaxValue : a / b;                         // divu
            case 6:                                                                // rem
                if (b == 0) return a;
                if ((long)a == long.MinValue && (long)b == -1) return 0;
                return (ulong)((long)a % (long)b);
            default: return b == 0 ? a : a % b;                                     // remu
        }
    }

    private static bool MulDivW(uint f3, uint a, uint b, out ulong r)
    {
        int res;
        switch (f3)
        {
            case 0: res = (int)(a * b); break;                                     // mulw
            case 4:                                                                // divw
                if (b == 0) res = -1;
                else if ((int)a == int.MinValue && (int)b == -1) res = int.MinValue;
                else res = (int)a / (int)b;
                break;
            case 5: res = b == 0 ? -1 : (int)(a / b); break;                        // divuw
            case 6:                                                                // remw
                if (b == 0) res = (int)a;
                else if ((int)a == int.MinValue && (int)b == -1) res = 0;
                else res = (int)a % (int)b;
                break;
            case 7: res = b == 0 ? (int)a : (int)(a % b); break;                    // remuw
            default: r = 0; return false;
        }

        r = (ulong)(long)res;
        return true;
    }
}
