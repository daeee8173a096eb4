namespace Ringmaster.Emulator.Cpu;

/// <summary>
/// The C extension: every 16-bit instruction expanded once into its 32-bit equivalent, in a
/// 64 Ki-entry table. Zero marks an illegal or reserved encoding.
/// </summary>
internal static class Rvc
{
    private static readonly uint[] s_table = Build();

    public static uint[] Table => s_table;

    private static uint[] Build()
    {
        var t = new uint[65536];
        for (var i = 0; i < 65536; i++)
        {
            if ((i & 3) != 3)
                t[i] = Expand((uint)i);
        }

        return t;
    }

    private static uint Bits(uint v, int hi, int lo) => (v >> lo) & ((1u << (hi - lo + 1)) - 1);

    private static long Sext(uint v, int bits) => ((long)v << (64 - bits)) >> (64 - bits);

    /// <summary>Expands one compressed instruction; 0 when illegal.</summary>
    public static uint Expand(uint c)
    {
        var op = c & 3;
        var f3 = Bits(c, 15, 13);
        var rdp = (int)Bits(c, 4, 2) + 8;   // rd' / rs2'
        var rs1p = (int)Bits(c, 9, 7) + 8;  // rs1' / rd'
        var rd = (int)Bits(c, 11, 7);
        var rs2 = (int)Bits(c, 6, 2);
        switch (op)
        {
            case 0:
                switch (f3)
                {
                    case 0: // c.addi4spn
                    {
                        var imm = (Bits(c, 12, 11) << 4) | (Bits(c, 10, 7) << 6) | (Bits(c, 6, 6) << 2) | (Bits(c, 5, 5) << 3);
                        return imm == 0 ? 0 : Rv.Addi(rdp, 2, imm);
                    }
                    case 1: // c.fld
                        return Rv.I(0x07, rdp, 3, rs1p, (Bits(c, 12, 10) << 3) | (Bits(c, 6, 5) << 6));
                    case 2: // c.lw
                        return Rv.I(0x03, rdp, 2, rs1p, (Bits(c, 12, 10) << 3) | (Bits(c, 6, 6) << 2) | (Bits(c, 5, 5) << 6));
                    case 3: // c.ld
                        return Rv.I(0x03, rdp, 3, rs1p, (Bits(c, 12, 10) << 3) | (Bits(c, 6, 5) << 6));
                    case 5: // c.fsd
                        return Rv.S(0x27, 3, rs1p, rdp, (Bits(c, 12, 10) << 3) | (Bits(c, 6, 5) << 6));
                    case 6: // c.sw
                        return Rv.S(0x23, 2, rs1p, rdp, (Bits(c, 12, 10) << 3) | (Bits(c, 6, 6) << 2) | (Bits(c, 5, 5) << 6));
                    case 7: // c.sd
                        return Rv.S(0x23, 3, rs1p, rdp, (Bits(c, 12, 10) << 3) | (Bits(c, 6, 5) << 6));
                    default:
                        return 0;
                }

            case 1:
            {
                var imm6 = Sext((Bits(c, 12, 12) << 5) | Bits(c, 6, 2), 6);
                switch (f3)
                {
                    case 0: // c.addi / c.nop
                        return Rv.Addi(rd, rd, imm6);
                    case 1: // c.addiw
                        return rd == 0 ? 0 : Rv.Addiw(rd, rd, imm6);
                    case 2: // c.li
                        return Rv.Addi(rd, 0, imm6);
                    case 3:
                        if (rd == 2)
                        {
                            // c.addi16sp
                            var imm = Sext((Bits(c, 12, 12) << 9) | (Bits(c, 6, 6) << 4) | (Bits(c, 5, 5) << 6)
                                | (Bits(c, 4, 3) << 7) | (Bits(c, 2, 2) << 5), 10);
                            return imm == 0 ? 0 : Rv.Addi(2, 2, imm);
                        }
                        else
                        {
                            // c.lui
                            var imm = Sext((Bits(c, 12, 12) << 17) | (Bits(c, 6, 2) << 12), 18);
                            return imm == 0 ? 0 : Rv.Lui(rd, imm);
                        }

                    case 4:
                        switch (Bits(c, 11, 10))
                        {
                            case 0: // c.srli
                                return Rv.I(0x13, rs1p, 5, rs1p, (Bits(c, 12, 12) << 5) | Bits(c, 6, 2));
                            case 1: // c.srai
                                return Rv.I(0x13, rs1p, 5, rs1p, 0x400 | (Bits(c, 12, 12) << 5) | Bits(c, 6, 2));
                            case 2: // c.andi
                                return Rv.Andi(rs1p, rs1p, imm6);
                            default:
                                var f2 = Bits(c, 6, 5);
                                if (Bits(c, 12, 12) == 0)
                                {
                                    return f2 switch
                                    {
                                        0 => Rv.R(0x33, rs1p, 0, rs1p, rdp, 0x20), // c.sub
                                        1 => Rv.R(0x33, rs1p, 4, rs1p, rdp, 0),    // c.xor
                                        2 => Rv.R(0x33, rs1p, 6, rs1p, rdp, 0),    // c.or
                                        _ => Rv.R(0x33, rs1p, 7, rs1p, rdp, 0),    // c.and
                                    };
                                }

                                return f2 switch
                                {
                                    0 => Rv.R(0x3b, rs1p, 0, rs1p, rdp, 0x20), // c.subw
                                    1 => Rv.R(0x3b, rs1p, 0, rs1p, rdp, 0),    // c.addw
                                    _ => 0,
                                };
                        }

                    case 5: // c.j
                        return Rv.J(0, CjImm(c));
                    case 6: // c.beqz
                        return Rv.B(0, rs1p, 0, CbImm(c));
                    default: // c.bnez
                        return Rv.B(1, rs1p, 0, CbImm(c));
                }
            }

            default:
                switch (f3)
                {
                    case 0: // c.slli
                        return Rv.I(0x13, rd, 1, rd, (Bits(c, 12, 12) << 5) | Bits(c, 6, 2));
                    case 1: // c.fldsp
                        return Rv.I(0x07, rd, 3, 2, (Bits(c, 12, 12) << 5) | (Bits(c, 6, 5) << 3) | (Bits(c, 4, 2) << 6));
                    case 2: // c.lwsp
                        return rd == 0 ? 0 : Rv.I(0x03, rd, 2, 2, (Bits(c, 12, 12) << 5) | (Bits(c, 6, 4) << 2) | (Bits(c, 3, 2) << 6));
                    case 3: // c.ldsp
                        return rd == 0 ? 0 : Rv.I(0x03, rd, 3, 2, (Bits(c, 12, 12) << 5) | (Bits(c, 6, 5) << 3) | (Bits(c, 4, 2) << 6));
                    case 4:
                        if (Bits(c, 12, 12) == 0)
                        {
                            if (rs2 == 0)
                                return rd == 0 ? 0 : Rv.Jalr(0, rd, 0); // c.jr
                            return Rv.Add(rd, 0, rs2);                  // c.mv
                        }

                        if (rs2 == 0)
                            return rd == 0 ? Rv.Ebreak : Rv.Jalr(1, rd, 0); // c.ebreak / c.jalr
                        return Rv.Add(rd, rd, rs2);                         // c.add
                    case 5: // c.fsdsp
                        return Rv.S(0x27, 3, 2, rs2, (Bits(c, 12, 10) << 3) | (Bits(c, 9, 7) << 6));
                    case 6: // c.swsp
                        return Rv.S(0x23, 2, 2, rs2, (Bits(c, 12, 9) << 2) | (Bits(c, 8, 7) << 6));
                    default: // c.sdsp
                        return Rv.S(0x23, 3, 2, rs2, (Bits(c, 12, 10) << 3) | (Bits(c, 9, 7) << 6));
                }
        }
    }

    private static long CjImm(uint c) => Sext((Bits(c, 12, 12) << 11) | (Bits(c, 11, 11) << 4) | (Bits(c, 10, 9) << 8)
        | (Bits(c, 8, 8) << 10) | (Bits(c, 7, 7) << 6) | (Bits(c, 6, 6) << 7) | (Bits(c, 5, 3) << 1) | (Bits(c, 2, 2) << 5), 12);

    private static long CbImm(uint c) => Sext((Bits(c, 12, 12) << 8) | (Bits(c, 11, 10) << 3) | (Bits(c, 6, 5) << 6)
        | (Bits(c, 4, 3) << 1) | (Bits(c, 2, 2) << 5), 9);
}
