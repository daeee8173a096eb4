namespace Ringmaster.Emulator.Cpu;

/// <summary>
/// RISC-V instruction encoders (R, I, S, B, U, J formats). Used to expand compressed instructions
/// into their 32-bit equivalents and by tests to assemble small programs.
/// </summary>
internal static class Rv
{
    public static uint R(uint op, int rd, uint f3, int rs1, int rs2, uint f7) =>
        (f7 << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (f3 << 12) | ((uint)rd << 7) | op;

    public static uint I(uint op, int rd, uint f3, int rs1, long imm) =>
        (((uint)imm & 0xfff) << 20) | ((uint)rs1 << 15) | (f3 << 12) | ((uint)rd << 7) | op;

    public static uint S(uint op, uint f3, int rs1, int rs2, long imm)
    {
        var u = (uint)imm;
        return (((u >> 5) & 0x7f) << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (f3 << 12) | ((u & 0x1f) << 7) | op;
    }

    public static uint B(uint f3, int rs1, int rs2, long imm)
    {
        var u = (uint)imm;
        return (((u >> 12) & 1) << 31) | (((u >> 5) & 0x3f) << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (f3 << 12)
            | (((u >> 1) & 0xf) << 8) | (((u >> 11) & 1) << 7) | 0x63;
    }

    public static uint U(uint op, int rd, long imm) => ((uint)imm & 0xfffff000) | ((uint)rd << 7) | op;

    public static uint J(int rd, long imm)
    {
        var u = (uint)imm;
        return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20) | (((u >> 12) & 0xff) << 12)
            | ((uint)rd << 7) | 0x6f;
    }

    // Common mnemonics (tests build programs from these).
    public static uint Addi(int rd, int rs1, long imm) => I(0x13, rd, 0, rs1, imm);
    public static uint Addiw(int rd, int rs1, long imm) => I(0x1b, rd, 0, rs1, imm);
    public static uint Slli(int rd, int rs1, int sh) => I(0x13, rd, 1, rs1, sh);
    public static uint Srli(int rd, int rs1, int sh) => I(0x13, rd, 5, rs1, sh);
    public static uint Andi(int rd, int rs1, long imm) => I(0x13, rd, 7, rs1, imm);
    public static uint Ori(int rd, int rs1, long imm) => I(0x13, rd, 6, rs1, imm);
    public static uint Lui(int rd, long imm) => U(0x37, rd, imm);
    public static uint Auipc(int rd, long imm) => U(0x17, rd, imm);
    public static uint Add(int rd, int rs1, int rs2) => R(0x33, rd, 0, rs1, rs2, 0);
    public static uint Sub(int rd, int rs1, int rs2) => R(0x33, rd, 0, rs1, rs2, 0x20);
    public static uint Mul(int rd, int rs1, int rs2) => R(0x33, rd, 0, rs1, rs2, 1);
    public static uint Div(int rd, int rs1, int rs2) => R(0x33, rd, 4, rs1, rs2, 1);
    public static uint Divu(int rd, int rs1, int rs2) => R(0x33, rd, 5, rs1, rs2, 1);
    public static uint Rem(int rd, int rs1, int rs2) => R(0x33, rd, 6, rs1, rs2, 1);
    public static uint Mulh(int rd, int rs1, int rs2) => R(0x33, rd, 1, rs1, rs2, 1);
    public static uint Mulhu(int rd, int rs1, int rs2) => R(0x33, rd, 3, rs1, rs2, 1);
    public static uint Mulhsu(int rd, int rs1, int rs2) => R(0x33, rd, 2, rs1, rs2, 1);
    public static uint Ld(int rd, int rs1, long imm) => I(0x03, rd, 3, rs1, imm);
    public static uint Lw(int rd, int rs1, long imm) => I(0x03, rd, 2, rs1, imm);
    public static uint Lbu(int rd, int rs1, long imm) => I(0x03, rd, 4, rs1, imm);
    public static uint Sd(int rs2, int rs1, long imm) => S(0x23, 3, rs1, rs2, imm);
    public static uint Sh(int rs2, int rs1, long imm) => S(0x23, 1, rs1, rs2, imm);
    public static uint Sw(int rs2, int rs1, long imm) => S(0x23, 2, rs1, rs2, imm);
    public static uint Sb(int rs2, int rs1, long imm) => S(0x23, 0, rs1, rs2, imm);
    public static uint Beq(int rs1, int rs2, long imm) => B(0, rs1, rs2, imm);
    public static uint Bne(int rs1, int rs2, long imm) => B(1, rs1, rs2, imm);
    public static uint Blt(int rs1, int rs2, long imm) => B(4, rs1, rs2, imm);
    public static uint Jal(int rd, long imm) => J(rd, imm);
    public static uint Jalr(int rd, int rs1, long imm) => I(0x67, rd, 0, rs1, imm);
    public static uint Csrrw(int rd, uint csr, int rs1) => I(0x73, rd, 1, rs1, csr);
    public static uint Csrrs(int rd, uint csr, int rs1) => I(0x73, rd, 2, rs1, csr);
    public static uint Csrrc(int rd, uint csr, int rs1) => I(0x73, rd, 3, rs1, csr);
    public static uint Csrrwi(int rd, uint csr, int uimm) => I(0x73, rd, 5, uimm, csr);
    public static uint Csrr(int rd, uint csr) => Csrrs(rd, csr, 0);
    public static uint Csrw(uint csr, int rs1) => Csrrw(0, csr, rs1);
    public static uint LrD(int rd, int rs1) => R(0x2f, rd, 3, rs1, 0, 0x08);
    public static uint ScD(int rd, int rs1, int rs2) => R(0x2f, rd, 3, rs1, rs2, 0x0c);
    public static uint AmoaddD(int rd, int rs1, int rs2) => R(0x2f, rd, 3, rs1, rs2, 0x00);
    public static uint AmoswapW(int rd, int rs1, int rs2) => R(0x2f, rd, 2, rs1, rs2, 0x04);
    public const uint Ecall = 0x00000073, Ebreak = 0x00100073, Mret = 0x30200073, Sret = 0x10200073, Wfi = 0x10500073;
    public const uint FenceI = 0x0000100f, Nop = 0x00000013;
    public static uint SfenceVma(int rs1, int rs2) => R(0x73, 0, 0, rs1, rs2, 0x09);
}
