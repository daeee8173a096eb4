using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ringmaster.Emulator.Cpu;

/// <summary>
/// The decoded-instruction cache ("decode once and cache"): each physical page code runs from has
/// one <see cref="DecodedOp"/> slot per halfword (<see cref="Bus.DecodedPage"/>), found through the
/// fetch TLB. An instruction is decoded the first time it runs (compressed ones expanded, fields and
/// immediate extracted, the common RV64I instructions given their own kind) and executed from the
/// slot afterwards. Each use compares the slot's raw bits with memory, so stores, DMA, fence.i,
/// satp changes and snapshot loads need no invalidation; rarer instructions keep going through
/// <see cref="Execute"/>. The cache is per machine (harts run on one thread).
/// </summary>
internal sealed unsafe partial class Hart
{
    private static readonly DecodedOp[] s_noOps = new DecodedOp[Bus.PageSize / 2];

    private const byte OpNone = 0, OpGeneric = 1, OpIllegalC = 2,
        OpAddi = 3, OpAddiw = 4, OpSlli = 5, OpSrli = 6, OpSrai = 7, OpAndi = 8, OpOri = 9, OpXori = 10, OpSltiu = 11, OpSlti = 12,
        OpLui = 13, OpAuipc = 14,
        OpAdd = 15, OpSub = 16, OpAnd = 17, OpOr = 18, OpXor = 19, OpSltu = 20, OpSlt = 21, OpSll = 22, OpSrl = 23, OpSra = 24,
        OpAddw = 25, OpSubw = 26, OpSlliw = 27, OpSrliw = 28, OpSraiw = 29,
        OpJal = 30, OpJalr = 31,
        OpBeq = 32, OpBne = 33, OpBlt = 34, OpBge = 35, OpBltu = 36, OpBgeu = 37,
        OpLb = 38, OpLh = 39, OpLw = 40, OpLd = 41, OpLbu = 42, OpLhu = 43, OpLwu = 44,
        OpSb = 45, OpSh = 46, OpSw = 47, OpSd = 48;

    /// <summary>Fills <paramref name="op"/> for the instruction whose first 32 bits are <paramref name="raw"/>.</summary>
    private void Decode(ref DecodedOp op, uint raw)
    {
        uint insn;
        if ((raw & 3) != 3)
        {
            insn = _rvc[(int)(raw & 0xffff)];
            if (insn == 0)
            {
                op.Kind = OpIllegalC;
                op.Raw = raw;
                return;
            }
        }
        else
        {
            insn = raw;
        }

        op.Insn = insn;
        op.Rd = (byte)((insn >> 7) & 31);
        op.Rs1 = (byte)((insn >> 15) & 31);
        op.Rs2 = (byte)((insn >> 20) & 31);
        op.Kind = Classify(insn, out op.Imm);
        op.Raw = raw;
    }

    private static byte Classify(uint insn, out int imm)
    {
        var f3 = (insn >> 12) & 7;
        var f7 = insn >> 25;
        imm = (int)ImmI(insn);
        switch (insn & 0x7f)
        {
            case 0x37: imm = (int)(insn & 0xfffff000); return OpLui;
            case 0x17: imm = (int)(insn & 0xfffff000); return OpAuipc;
            case 0x6f: imm = (int)ImmJ(insn); return OpJal;
            case 0x67: return f3 == 0 ? OpJalr : OpGeneric;
            case 0x63:
                imm = (int)ImmB(insn);
                return f3 switch { 0 => OpBeq, 1 => OpBne, 4 => OpBlt, 5 => OpBge, 6 => OpBltu, 7 => OpBgeu, _ => OpGeneric };
            case 0x03:
                return f3 switch { 0 => OpLb, 1 => OpLh, 2 => OpLw, 3 => OpLd, 4 => OpLbu, 5 => OpLhu, 6 => OpLwu, _ => OpGeneric };
            case 0x23:
                imm = (int)ImmS(insn);
                return f3 switch { 0 => OpSb, 1 => OpSh, 2 => OpSw, 3 => OpSd, _ => OpGeneric };
            case 0x13:
                switch (f3)
                {
                    case 0: return OpAddi;
                    case 1: imm &= 63; return (insn >> 26) == 0 ? OpSlli : OpGeneric;
                    case 2: return OpSlti;
                    case 3: return OpSltiu;
                    case 4: return OpXori;
                    case 5: imm &= 63; return (insn >> 26) == 0 ? OpSrli : (insn >> 26) == 0x10 ? OpSrai : OpGeneric;
                    case 6: return OpOri;
                    default: return OpAndi;
                }

            case 0x1b:
                switch (f3)
                {
                    case 0: return OpAddiw;
                    case 1: imm &= 31; return f7 == 0 ? OpSlliw : OpGeneric;
                    case 5: imm &= 31; return f7 == 0 ? OpSrliw : f7 == 0x20 ? OpSraiw : OpGeneric;
                    default: return OpGeneric;
                }

            case 0x33:
                if (f7 == 0)
                    return f3 switch { 0 => OpAdd, 1 => OpSll, 2 => OpSlt, 3 => OpSltu, 4 => OpXor, 5 => OpSrl, 6 => OpOr, _ => OpAnd };
                if (f7 == 0x20 && f3 == 0) return OpSub;
                if (f7 == 0x20 && f3 == 5) return OpSra;
                return OpGeneric;
            case 0x3b:
                if (f7 == 0 && f3 == 0) return OpAddw;
                if (f7 == 0x20 && f3 == 0) return OpSubw;
                return OpGeneric;
            default:
                return OpGeneric;
        }
    }

    /// <summary>Executes a decoded instruction at <paramref name="pc"/>; the same effects as <see cref="Execute"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ExecuteDecoded(ref DecodedOp op, ulong pc)
    {
        ref var x = ref MemoryMarshal.GetArrayDataReference(X);
        var len = (op.Raw & 3) == 3 ? 4UL : 2UL;
        ref var rd = ref Unsafe.Add(ref x, op.Rd);
        var a = Unsafe.Add(ref x, op.Rs1);
        var imm = (long)op.Imm;
        switch (op.Kind)
        {
            case OpAddi: rd = a + (ulong)imm; break;
            case OpAddiw: rd = (ulong)(long)(int)((uint)a + (uint)imm); break;
            case OpSlli: rd = a << (int)imm; break;
            case OpSrli: rd = a >> (int)imm; break;
            case OpSrai: rd = (ulong)((long)a >> (int)imm); break;
            case OpAndi: rd = a & (ulong)imm; break;
            case OpOri: rd = a | (ulong)imm; break;
            case OpXori: rd = a ^ (ulong)imm; break;
            case OpSltiu: rd = a < (ulong)imm ? 1UL : 0; break;
            case OpSlti: rd = (long)a < imm ? 1UL : 0; break;
            case OpLui: rd = (ulong)imm; break;
            case OpAuipc: rd = pc + (ulong)imm; break;
            case OpAdd: rd = a + Unsafe.Add(ref x, op.Rs2); break;
            case OpSub: rd = a - Unsafe.Add(ref x, op.Rs2); break;
            case OpAnd: rd = a & Unsafe.Add(ref x, op.Rs2); break;
            case OpOr: rd = a | Unsafe.Add(ref x, op.Rs2); break;
            case OpXor: rd = a ^ Unsafe.Add(ref x, op.Rs2); break;
            case OpSltu: rd = a < Unsafe.Add(ref x, op.Rs2) ? 1UL : 0; break;
            case OpSlt: rd = (long)a < (long)Unsafe.Add(ref x, op.Rs2) ? 1UL : 0; break;
            case OpSll: rd = a << (int)(Unsafe.Add(ref x, op.Rs2) & 63); break;
            case OpSrl: rd = a >> (int)(Unsafe.Add(ref x, op.Rs2) & 63); break;
            case OpSra: rd = (ulong)((long)a >> (int)(Unsafe.Add(ref x, op.Rs2) & 63)); break;
            case OpAddw: rd = (ulong)(long)(int)((uint)a + (uint)Unsafe.Add(ref x, op.Rs2)); break;
            case OpSubw: rd = (ulong)(long)(int)((uint)a - (uint)Unsafe.Add(ref x, op.Rs2)); break;
            case OpSlliw: rd = (ulong)(long)(int)((uint)a << (int)imm); break;
            case OpSrliw: rd = (ulong)(long)(int)((uint)a >> (int)imm); break;
            case OpSraiw: rd = (ulong)(long)((int)a >> (int)imm); break;
            case OpJal:
                rd = pc + len;
                x = 0;
                Pc = pc + (ulong)imm;
                return;
            case OpJalr:
            {
                var target = (a + (ulong)imm) & ~1UL;
                rd = pc + len;
                x = 0;
                Pc = target;
                return;
            }

            case OpBeq: Pc = a == Unsafe.Add(ref x, op.Rs2) ? pc + (ulong)imm : pc + len; return;
            case OpBne: Pc = a != Unsafe.Add(ref x, op.Rs2) ? pc + (ulong)imm : pc + len; return;
            case OpBlt: Pc = (long)a < (long)Unsafe.Add(ref x, op.Rs2) ? pc + (ulong)imm : pc + len; return;
            case OpBge: Pc = (long)a >= (long)Unsafe.Add(ref x, op.Rs2) ? pc + (ulong)imm : pc + len; return;
            case OpBltu: Pc = a < Unsafe.Add(ref x, op.Rs2) ? pc + (ulong)imm : pc + len; return;
            case OpBgeu: Pc = a >= Unsafe.Add(ref x, op.Rs2) ? pc + (ulong)imm : pc + len; return;
            case OpLb: { if (!Load8(a + (ulong)imm, out var v)) return; rd = (ulong)(sbyte)v; break; }
            case OpLh: { if (!Load16(a + (ulong)imm, out var v)) return; rd = (ulong)(short)v; break; }
            case OpLw: { if (!Load32(a + (ulong)imm, out var v)) return; rd = (ulong)(int)v; break; }
            case OpLd: { if (!Load64(a + (ulong)imm, out var v)) return; rd = v; break; }
            case OpLbu: { if (!Load8(a + (ulong)imm, out var v)) return; rd = v; break; }
            case OpLhu: { if (!Load16(a + (ulong)imm, out var v)) return; rd = v; break; }
            case OpLwu: { if (!Load32(a + (ulong)imm, out var v)) return; rd = v; break; }
            case OpSb: if (!Store8(a + (ulong)imm, Unsafe.Add(ref x, op.Rs2))) return; break;
            case OpSh: if (!Store16(a + (ulong)imm, Unsafe.Add(ref x, op.Rs2))) return; break;
            case OpSw: if (!Store32(a + (ulong)imm, Unsafe.Add(ref x, op.Rs2))) return; break;
            case OpSd: if (!Store64(a + (ulong)imm, Unsafe.Add(ref x, op.Rs2))) return; break;
            case OpIllegalC:
                _raw = op.Raw & 0xffff;
                RaiseException(Cause.IllegalInstruction, _raw);
                return;
            default:
                _raw = len == 4 ? op.Raw : op.Raw & 0xffff;
                Execute(op.Insn, pc, (uint)len);
                return;
        }

        x = 0;
        Pc = pc + len;
    }
}
