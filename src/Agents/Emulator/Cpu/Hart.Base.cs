using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ringmaster.Emulator.Cpu;

/// <summary>RV64I: the base integer instructions, and the dispatch to the other extensions.</summary>
internal sealed unsafe partial class Hart
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ImmI(uint insn) => (int)insn >> 20;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ImmS(uint insn) => ((int)(insn & 0xfe000000) >> 20) | (int)((insn >> 7) & 0x1f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ImmB(uint insn) =>
        ((int)(insn & 0x80000000) >> 19) | (int)((insn & 0x80) << 4) | (int)((insn >> 20) & 0x7e0) | (int)((insn >> 7) & 0x1e);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ImmJ(uint insn) =>
        ((int)(insn & 0x80000000) >> 11) | (int)(insn & 0xff000) | (int)((insn >> 9) & 0x800) | (int)((insn >> 20) & 0x7fe);

    private void Execute(uint insn, ulong pc, uint len)
    {
        ref var x = ref MemoryMarshal.GetArrayDataReference(X);
        var rd = (int)(insn >> 7) & 31;
        var rs1 = (int)(insn >> 15) & 31;
        var rs2 = (int)(insn >> 20) & 31;
        var f3 = (insn >> 12) & 7;
        switch (insn & 0x7f)
        {
            case 0x37: // lui
                Unsafe.Add(ref x, rd) = (ulong)(long)(int)(insn & 0xfffff000);
                break;
            case 0x17: // auipc
                Unsafe.Add(ref x, rd) = pc + (ulong)(long)(int)(insn & 0xfffff000);
                break;
            case 0x6f: // jal
                Unsafe.Add(ref x, rd) = pc + len;
                x = 0;
                Pc = pc + (ulong)ImmJ(insn);
                return;
            case 0x67: // jalr
            {
                if (f3 != 0)
                    goto default;
                var target = (Unsafe.Add(ref x, rs1) + (ulong)ImmI(insn)) & ~1UL;
                Unsafe.Add(ref x, rd) = pc + len;
                x = 0;
                Pc = target;
                return;
            }

            case 0x63: // beq bne blt bge bltu bgeu
            {
                var a = Unsafe.Add(ref x, rs1);
                var b = Unsafe.Add(ref x, rs2);
                bool taken;
                switch (f3)
                {
                    case 0: taken = a == b; break;                 // beq
                    case 1: taken = a != b; break;                 // bne
                    case 4: taken = (long)a < (long)b; break;      // blt
                    case 5: taken = (long)a >= (long)b; break;     // bge
                    case 6: taken = a < b; break;                  // bltu
                    case 7: taken = a >= b; break;                 // bgeu
                    default: RaiseIllegal(); return;
                }

                Pc = taken ? pc + (ulong)ImmB(insn) : pc + len;
                return;
            }

            case 0x03: // loads
            {
                var addr = Unsafe.Add(ref x, rs1) + (ulong)ImmI(insn);
                ulong v;
                switch (f3)
                {
                    case 0: if (!Load8(addr, out v)) return; v = (ulong)(sbyte)v; break;   // lb
                    case 1: if (!Load16(addr, out v)) return; v = (ulong)(short)v; break;  // lh
                    case 2: if (!Load32(addr, out v)) return; v = (ulong)(int)v; break;    // lw
                    case 3: if (!Load64(addr, out v)) return; break;                       // ld
                    case 4: if (!Load8(addr, out v)) return; break;                        // lbu
                    case 5: if (!Load16(addr, out v)) return; break;                       // lhu
                    case 6: if (!Load32(addr, out v)) return; break;                       // lwu
                    default: RaiseIllegal(); return;
                }

                Unsafe.Add(ref x, rd) = v;
                break;
            }

            case 0x23: // stores
            {
                var addr = Unsafe.Add(ref x, rs1) + (ulong)ImmS(insn);
                var v = Unsafe.Add(ref x, rs2);
                switch (f3)
                {
                    case 0: if (!Store8(addr, v)) return; break;   // sb
                    case 1: if (!Store16(addr, v)) return; break;  // sh
                    case 2: if (!Store32(addr, v)) return; break;  // sw
                    case 3: if (!Store64(addr, v)) return; break;  // sd
                    default: RaiseIllegal(); return;
                }

                break;
            }

            case 0x13: // op-imm
            {
                var a = Unsafe.Add(ref x, rs1);
                var imm = ImmI(insn);
                switch (f3)
                {
                    case 0: Unsafe.Add(ref x, rd) = a + (ulong)imm; break;                          // addi
                    case 1:                                                         // slli
                        if ((insn >> 26) != 0) goto default;
                        Unsafe.Add(ref x, rd) = a << (int)(imm & 63);
                        break;
                    case 2: Unsafe.Add(ref x, rd) = (long)a < imm ? 1UL : 0; break;                 // slti
                    case 3: Unsafe.Add(ref x, rd) = a < (ulong)imm ? 1UL : 0; break;                // sltiu
                    case 4: Unsafe.Add(ref x, rd) = a ^ (ulong)imm; break;                          // xori
                    case 5:
                        if ((insn >> 26) == 0) Unsafe.Add(ref x, rd) = a >> (int)(imm & 63);        // srli
                        else if ((insn >> 26) == 0x10) Unsafe.Add(ref x, rd) = (ulong)((long)a >> (int)(imm & 63)); // srai
                        else goto default;
                        break;
                    case 6: Unsafe.Add(ref x, rd) = a | (ulong)imm; break;                          // ori
                    case 7: Unsafe.Add(ref x, rd) = a & (ulong)imm; break;                          // andi
                    default: RaiseIllegal(); return;
                }

                break;
            }

            case 0x1b: // op-imm-32
            {
                var a = (uint)Unsafe.Add(ref x, rs1);
                var sh = (int)(insn >> 20) & 31;
                switch (f3)
                {
                    case 0: Unsafe.Add(ref x, rd) = (ulong)(long)(int)(a + (uint)ImmI(insn)); break;   // addiw
                    case 1:                                                            // slliw
                        if ((insn >> 25) != 0) goto default;
                        Unsafe.Add(ref x, rd) = (ulong)(long)(int)(a << sh);
                        break;
                    case 5:
                        if ((insn >> 25) == 0) Unsafe.Add(ref x, rd) = (ulong)(long)(int)(a >> sh);            // srliw
                        else if ((insn >> 25) == 0x20) Unsafe.Add(ref x, rd) = (ulong)(long)((int)a >> sh);    // sraiw
                        else goto default;
                        break;
                    default: RaiseIllegal(); return;
                }

                break;
            }

            case 0x33: // op
            {
                var a = Unsafe.Add(ref x, rs1);
                var b = Unsafe.Add(ref x, rs2);
                var f7 = insn >> 25;
                if (f7 == 0)
                {
                    switch (f3)
                    {
                        case 0: Unsafe.Add(ref x, rd) = a + b; break;                                  // add
                        case 1: Unsafe.Add(ref x, rd) = a << (int)(b & 63); break;                     // sll
                        case 2: Unsafe.Add(ref x, rd) = (long)a < (long)b ? 1UL : 0; break;            // slt
                        case 3: Unsafe.Add(ref x, rd) = a < b ? 1UL : 0; break;                        // sltu
                        case 4: Unsafe.Add(ref x, rd) = a ^ b; break;                                  // xor
                        case 5: Unsafe.Add(ref x, rd) = a >> (int)(b & 63); break;                     // srl
                        case 6: Unsafe.Add(ref x, rd) = a | b; break;                                  // or
                        default: Unsafe.Add(ref x, rd) = a & b; break;                                 // and
                    }
                }
                else if (f7 == 0x20 && f3 == 0)
                    Unsafe.Add(ref x, rd) = a - b;                                                     // sub
                else if (f7 == 0x20 && f3 == 5)
                    Unsafe.Add(ref x, rd) = (ulong)((long)a >> (int)(b & 63));                         // sra
                else if (f7 == 1)
                    Unsafe.Add(ref x, rd) = MulDiv(f3, a, b);                                          // M extension
                else
                    goto default;
                break;
            }

            case 0x3b: // op-32
            {
                var a = (uint)Unsafe.Add(ref x, rs1);
                var b = (uint)Unsafe.Add(ref x, rs2);
                var f7 = insn >> 25;
                if (f7 == 0 && f3 == 0) Unsafe.Add(ref x, rd) = (ulong)(long)(int)(a + b);                 // addw
                else if (f7 == 0x20 && f3 == 0) Unsafe.Add(ref x, rd) = (ulong)(long)(int)(a - b);         // subw
                else if (f7 == 0 && f3 == 1) Unsafe.Add(ref x, rd) = (ulong)(long)(int)(a << (int)(b & 31)); // sllw
                else if (f7 == 0 && f3 == 5) Unsafe.Add(ref x, rd) = (ulong)(long)(int)(a >> (int)(b & 31)); // srlw
                else if (f7 == 0x20 && f3 == 5) Unsafe.Add(ref x, rd) = (ulong)(long)((int)a >> (int)(b & 31)); // sraw
                else if (f7 == 1)
                {
                    if (!MulDivW(f3, a, b, out var r)) goto default;                       // M extension, W forms
                    Unsafe.Add(ref x, rd) = r;
                }
                else
                    goto default;
                break;
            }

            case 0x0f: // fence, fence.i
                if (f3 == 1)
                    FenceI();
                else if (f3 != 0)
                    goto default;
                break;

            case 0x73: // system: ecall, ebreak, xret, wfi, sfence.vma, csr*
                ExecuteSystem(insn, pc, len);
                return;

            case 0x2f: // A extension
                ExecuteAmo(insn, pc, len);
                return;

            case 0x07: // flw fld
            case 0x27: // fsw fsd
            case 0x43: // fmadd
            case 0x47: // fmsub
            case 0x4b: // fnmsub
            case 0x4f: // fnmadd
            case 0x53: // op-fp
                ExecuteFp(insn, pc, len);
                return;

            default:
                RaiseIllegal();
                return;
        }

        x = 0;
        Pc = pc + len;
    }

    private void RaiseIllegal() => RaiseException(Cause.IllegalInstruction, _raw);

    private void FenceI()
    {
        // Decoded instructions check their bits against memory on every use: nothing to flush.
        _fetchTag = ulong.MaxValue;
    }
}
