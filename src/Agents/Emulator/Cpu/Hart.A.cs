namespace Ringmaster.Emulator.Cpu;

/// <summary>A extension: LR/SC and the AMOs, 32- and 64-bit.</summary>
internal sealed unsafe partial class Hart
{
    private void ExecuteAmo(uint insn, ulong pc, uint len)
    {
        var rd = (int)(insn >> 7) & 31;
        var rs1 = (int)(insn >> 15) & 31;
        var rs2 = (int)(insn >> 20) & 31;
        var f3 = (insn >> 12) & 7;
        var f5 = insn >> 27;
        if (f3 != 2 && f3 != 3)
        {
            RaiseIllegal();
            return;
        }

        var size = f3 == 2 ? 4 : 8;
        var addr = X[rs1];
        ulong result;
        if (f5 == 0x02) // lr.w lr.d
        {
            if (rs2 != 0)
            {
                RaiseIllegal();
                return;
            }

            var p = AmoPtr(addr, size, loadOnly: true);
            if (p == null)
                return;
            result = size == 4 ? (ulong)(long)*(int*)p : *(ulong*)p;
            Reservation = PhysicalOf(p);
        }
        else if (f5 == 0x03) // sc.w sc.d
        {
            var p = AmoPtr(addr, size, loadOnly: false);
            if (p == null)
                return;
            if (Reservation == PhysicalOf(p))
            {
                if (size == 4)
                    *(uint*)p = (uint)X[rs2];
                else
                    *(ulong*)p = X[rs2];
                result = 0;
            }
            else
            {
                result = 1;
            }

            Reservation = ulong.MaxValue;
        }
        else
        {
            var p = AmoPtr(addr, size, loadOnly: false);
            if (p == null)
                return;
            var b = X[rs2];
            if (size == 4)
            {
                var old = *(int*)p;
                var bv = (int)b;
                int nv;
                switch (f5)
                {
                    case 0x01: nv = bv; break;                                    // amoswap.w
                    case 0x00: nv = old + bv; break;                              // amoadd.w
                    case 0x04: nv = old ^ bv; break;                              // amoxor.w
                    case 0x0c: nv = old & bv; break;                              // amoand.w
                    case 0x08: nv = old | bv; break;                              // amoor.w
                    case 0x10: nv = Math.Min(old, bv); break;                     // amomin.w
                    case 0x14: nv = Math.Max(old, bv); break;                     // amomax.w
                    case 0x18: nv = (int)Math.Min((uint)old, (uint)bv); break;    // amominu.w
                    case 0x1c: nv = (int)Math.Max((uint)old, (uint)bv); break;    // amomaxu.w
                    default: RaiseIllegal(); return;
                }

                *(int*)p = nv;
                result = (ulong)(long)old;
            }
            else
            {
                var old = *(ulong*)p;
                ulong nv;
                switch (f5)
                {
                    case 0x01: nv = b; break;                                             // amoswap.d
                    case 0x00: nv = old + b; break;                                       // amoadd.d
                    case 0x04: nv = old ^ b; break;                                       // amoxor.d
                    case 0x0c: nv = old & b; break;                                       // amoand.d
                    case 0x08: nv = old | b; break;                                       // amoor.d
                    case 0x10: nv = (ulong)Math.Min((long)old, (long)b); break;           // amomin.d
                    case 0x14: nv = (ulong)Math.Max((long)old, (long)b); break;           // amomax.d
                    case 0x18: nv = Math.Min(old, b); break;                              // amominu.d
                    case 0x1c: nv = Math.Max(old, b); break;                              // amomaxu.d
                    default: RaiseIllegal(); return;
                }

                *(ulong*)p = nv;
                result = old;
            }
        }

        X[rd] = result;
        X[0] = 0;
        Pc = pc + len;
    }
}
