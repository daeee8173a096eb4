namespace Ringmaster.Emulator.Cpu;

/// <summary>
/// F and D extensions: loads/stores, NaN-boxing, sign injection, moves and classification here;
/// the arithmetic itself is <see cref="SoftFloat"/>.
/// </summary>
internal sealed unsafe partial class Hart
{
    private const ulong BoxMask = 0xFFFF_FFFF_0000_0000UL;

    private uint F32(int r)
    {
        var v = F[r];
        return (v & BoxMask) == BoxMask ? (uint)v : SoftFloat.CanonicalNaN32;
    }

    private void SetF32(int r, uint v)
    {
        F[r] = BoxMask | v;
        MarkFsDirty();
    }

    private void SetF64(int r, ulong v)
    {
        F[r] = v;
        MarkFsDirty();
    }

    private void SetX(int rd, ulong v)
    {
        X[rd] = v;
        X[0] = 0;
    }

    private void ExecuteFp(uint insn, ulong pc, uint len)
    {
        if (!FpEnabled)
        {
            RaiseIllegal();
            return;
        }

        var rd = (int)(insn >> 7) & 31;
        var rs1 = (int)(insn >> 15) & 31;
        var rs2 = (int)(insn >> 20) & 31;
        var f3 = (insn >> 12) & 7;
        var op = insn & 0x7f;

        if (op == 0x07) // flw fld
        {
            var addr = X[rs1] + (ulong)ImmI(insn);
            ulong v;
            if (f3 == 2) { if (!Load32(addr, out v)) return; SetF32(rd, (uint)v); }       // flw
            else if (f3 == 3) { if (!Load64(addr, out v)) return; SetF64(rd, v); }       // fld
            else { RaiseIllegal(); return; }
            Pc = pc + len;
            return;
        }

        if (op == 0x27) // fsw fsd
        {
            var addr = X[rs1] + (ulong)ImmS(insn);
            if (f3 == 2) { if (!Store32(addr, F[rs2])) return; }      // fsw
            else if (f3 == 3) { if (!Store64(addr, F[rs2])) return; } // fsd
            else { RaiseIllegal(); return; }
            Pc = pc + len;
            return;
        }

        var rm = (int)f3 == 7 ? (int)_frm : (int)f3;
        var flags = 0u;
        var fmt = (insn >> 25) & 3;

        if (op != 0x53) // fmadd fmsub fnmsub fnmadd
        {
            if (rm > 4 || fmt > 1)
            {
                RaiseIllegal();
                return;
            }

            var rs3 = (int)(insn >> 27);
            if (fmt == 0)
            {
                uint a = F32(rs1), b = F32(rs2), c = F32(rs3);
                const uint sign = 0x8000_0000;
                uint r = op switch
                {
                    0x43 => SoftFloat.FmaF32(a, b, c, rm, ref flags),                  // fmadd.s
                    0x47 => SoftFloat.FmaF32(a, b, c ^ sign, rm, ref flags),           // fmsub.s
                    0x4b => SoftFloat.FmaF32(a ^ sign, b, c, rm, ref flags),           // fnmsub.s
                    _ => SoftFloat.FmaF32(a ^ sign, b, c ^ sign, rm, ref flags),       // fnmadd.s
                };
                SetF32(rd, r);
            }
            else
            {
                ulong a = F[rs1], b = F[rs2], c = F[rs3];
                const ulong sign = 0x8000_0000_0000_0000;
                ulong r = op switch
                {
                    0x43 => SoftFloat.FmaF64(a, b, c, rm, ref flags),                  // fmadd.d
                    0x47 => SoftFloat.FmaF64(a, b, c ^ sign, rm, ref flags),           // fmsub.d
                    0x4b => SoftFloat.FmaF64(a ^ sign, b, c, rm, ref flags),           // fnmsub.d
                    _ => SoftFloat.FmaF64(a ^ sign, b, c ^ sign, rm, ref flags),       // fnmadd.d
                };
                SetF64(rd, r);
            }

            AccrueFlags(flags);
            Pc = pc + len;
            return;
        }

        var f7 = insn >> 25;
        var needsRm = f7 is 0x00 or 0x01 or 0x04 or 0x05 or 0x08 or 0x09 or 0x0c or 0x0d or 0x2c or 0x2d
            or 0x20 or 0x21 or 0x60 or 0x61 or 0x68 or 0x69;
        if (needsRm && rm > 4)
        {
            RaiseIllegal();
            return;
        }

        switch (f7)
        {
            case 0x00: SetF32(rd, SoftFloat.AddF32(F32(rs1), F32(rs2), rm, ref flags)); break;   // fadd.s
            case 0x01: SetF64(rd, SoftFloat.AddF64(F[rs1], F[rs2], rm, ref flags)); break;       // fadd.d
            case 0x04: SetF32(rd, SoftFloat.SubF32(F32(rs1), F32(rs2), rm, ref flags)); break;   // fsub.s
            case 0x05: SetF64(rd, SoftFloat.SubF64(F[rs1], F[rs2], rm, ref flags)); break;       // fsub.d
            case 0x08: SetF32(rd, SoftFloat.MulF32(F32(rs1), F32(rs2), rm, ref flags)); break;   // fmul.s
            case 0x09: SetF64(rd, SoftFloat.MulF64(F[rs1], F[rs2], rm, ref flags)); break;       // fmul.d
            case 0x0c: SetF32(rd, SoftFloat.DivF32(F32(rs1), F32(rs2), rm, ref flags)); break;   // fdiv.s
            case 0x0d: SetF64(rd, SoftFloat.DivF64(F[rs1], F[rs2], rm, ref flags)); break;       // fdiv.d
            case 0x2c: if (rs2 != 0) goto default; SetF32(rd, SoftFloat.SqrtF32(F32(rs1), rm, ref flags)); break; // fsqrt.s
            case 0x2d: if (rs2 != 0) goto default; SetF64(rd, SoftFloat.SqrtF64(F[rs1], rm, ref flags)); break;   // fsqrt.d
            case 0x10: // fsgnj.s fsgnjn.s fsgnjx.s
            {
                uint a = F32(rs1), b = F32(rs2);
                uint s = f3 switch { 0 => b, 1 => ~b, 2 => a ^ b, _ => 0xFFFF_FFFF };
                if (f3 > 2) goto default;
                SetF32(rd, (a & 0x7FFF_FFFF) | (s & 0x8000_0000));
                break;
            }

            case 0x11: // fsgnj.d fsgnjn.d fsgnjx.d
            {
                ulong a = F[rs1], b = F[rs2];
                ulong s = f3 switch { 0 => b, 1 => ~b, 2 => a ^ b, _ => 0 };
                if (f3 > 2) goto default;
                SetF64(rd, (a & 0x7FFF_FFFF_FFFF_FFFF) | (s & 0x8000_0000_0000_0000));
                break;
            }

            case 0x14: // fmin.s fmax.s
                if (f3 == 0) SetF32(rd, SoftFloat.MinF32(F32(rs1), F32(rs2), ref flags));
                else if (f3 == 1) SetF32(rd, SoftFloat.MaxF32(F32(rs1), F32(rs2), ref flags));
                else goto default;
                break;
            case 0x15: // fmin.d fmax.d
                if (f3 == 0) SetF64(rd, SoftFloat.MinF64(F[rs1], F[rs2], ref flags));
                else if (f3 == 1) SetF64(rd, SoftFloat.MaxF64(F[rs1], F[rs2], ref flags));
                else goto default;
                break;
            case 0x20: // fcvt.s.d
                if (rs2 != 1) goto default;
                SetF32(rd, SoftFloat.F64ToF32(F[rs1], rm, ref flags));
                break;
            case 0x21: // fcvt.d.s
                if (rs2 != 0) goto default;
                SetF64(rd, SoftFloat.F32ToF64(F32(rs1), ref flags));
                break;
            case 0x50: // fle.s flt.s feq.s
            {
                bool r;
                if (f3 == 0) r = SoftFloat.LeF32(F32(rs1), F32(rs2), ref flags);
                else if (f3 == 1) r = SoftFloat.LtF32(F32(rs1), F32(rs2), ref flags);
                else if (f3 == 2) r = SoftFloat.EqF32(F32(rs1), F32(rs2), ref flags);
                else goto default;
                SetX(rd, r ? 1UL : 0);
                break;
            }

            case 0x51: // fle.d flt.d feq.d
            {
                bool r;
                if (f3 == 0) r = SoftFloat.LeF64(F[rs1], F[rs2], ref flags);
                else if (f3 == 1) r = SoftFloat.LtF64(F[rs1], F[rs2], ref flags);
                else if (f3 == 2) r = SoftFloat.EqF64(F[rs1], F[rs2], ref flags);
                else goto default;
                SetX(rd, r ? 1UL : 0);
                break;
            }

            case 0x60: // fcvt.w.s fcvt.wu.s fcvt.l.s fcvt.lu.s
            {
                var a = F32(rs1);
                ulong r;
                switch (rs2)
                {
                    case 0: r = (ulong)(long)SoftFloat.F32ToI32(a, rm, ref flags); break;
                    case 1: r = (ulong)(long)(int)SoftFloat.F32ToU32(a, rm, ref flags); break;
                    case 2: r = (ulong)SoftFloat.F32ToI64(a, rm, ref flags); break;
                    case 3: r = SoftFloat.F32ToU64(a, rm, ref flags); break;
                    default: goto Illegal;
                }

                SetX(rd, r);
                break;
            }

            case 0x61: // fcvt.w.d fcvt.wu.d fcvt.l.d fcvt.lu.d
            {
                var a = F[rs1];
                ulong r;
                switch (rs2)
                {
                    case 0: r = (ulong)(long)SoftFloat.F64ToI32(a, rm, ref flags); break;
                    case 1: r = (ulong)(long)(int)SoftFloat.F64ToU32(a, rm, ref flags); break;
                    case 2: r = (ulong)SoftFloat.F64ToI64(a, rm, ref flags); break;
                    case 3: r = SoftFloat.F64ToU64(a, rm, ref flags); break;
                    default: goto Illegal;
                }

                SetX(rd, r);
                break;
            }

            case 0x68: // fcvt.s.w fcvt.s.wu fcvt.s.l fcvt.s.lu
            {
                var a = X[rs1];
                uint r;
                switch (rs2)
                {
                    case 0: r = SoftFloat.I32ToF32((int)a, rm, ref flags); break;
                    case 1: r = SoftFloat.U32ToF32((uint)a, rm, ref flags); break;
                    case 2: r = SoftFloat.I64ToF32((long)a, rm, ref flags); break;
                    case 3: r = SoftFloat.U64ToF32(a, rm, ref flags); break;
                    default: goto Illegal;
                }

                SetF32(rd, r);
                break;
            }

            case 0x69: // fcvt.d.w fcvt.d.wu fcvt.d.l fcvt.d.lu
            {
                var a = X[rs1];
                ulong r;
                switch (rs2)
                {
                    case 0: r = SoftFloat.I32ToF64((int)a, rm, ref flags); break;
                    case 1: r = SoftFloat.U32ToF64((uint)a, rm, ref flags); break;
                    case 2: r = SoftFloat.I64ToF64((long)a, rm, ref flags); break;
                    case 3: r = SoftFloat.U64ToF64(a, rm, ref flags); break;
                    default: goto Illegal;
                }

                SetF64(rd, r);
                break;
            }

            case 0x70: // fmv.x.w fclass.s
                if (rs2 != 0) goto default;
                if (f3 == 0) SetX(rd, (ulong)(long)(int)(uint)F[rs1]);
                else if (f3 == 1) SetX(rd, SoftFloat.ClassF32(F32(rs1)));
                else goto default;
                break;
            case 0x71: // fmv.x.d fclass.d
                if (rs2 != 0) goto default;
                if (f3 == 0) SetX(rd, F[rs1]);
                else if (f3 == 1) SetX(rd, SoftFloat.ClassF64(F[rs1]));
                else goto default;
                break;
            case 0x78: // fmv.w.x
                if (rs2 != 0 || f3 != 0) goto default;
                SetF32(rd, (uint)X[rs1]);
                break;
            case 0x79: // fmv.d.x
                if (rs2 != 0 || f3 != 0) goto default;
                SetF64(rd, X[rs1]);
                break;
            default:
                goto Illegal;
        }

        AccrueFlags(flags);
        Pc = pc + len;
        return;

    Illegal:
        RaiseIllegal();
    }

    private void AccrueFlags(uint flags)
    {
        if (flags != 0)
        {
            _fflags |= flags;
            MarkFsDirty();
        }
    }
}
