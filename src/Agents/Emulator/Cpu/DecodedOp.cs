using System.Runtime.InteropServices;

namespace Ringmaster.Emulator.Cpu;

/// <summary>
/// One decoded instruction in the decoded-instruction cache (one slot per 2-byte offset of a
/// physical page). <see cref="Raw"/> holds the 32 bits that were at that address when it was
/// decoded; the hart compares them with memory before every use, so a write to the page (by a
/// store, DMA, or a snapshot load) can never run stale code and nothing needs invalidating.
/// 16 bytes (a power of two keeps indexing a shift), so a page's 2048 slots take 32 KiB.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DecodedOp
{
    /// <summary>The 32 bits at the instruction's address when decoded (a compressed instruction plus the next halfword).</summary>
    public uint Raw;

    /// <summary>The 32-bit instruction (compressed ones expanded).</summary>
    public uint Insn;

    /// <summary>Immediate, sign-extended (shift amount for shifts, the upper value for lui/auipc).</summary>
    public int Imm;

    /// <summary>What to do (<see cref="Hart"/>'s Op* constants); 0 = not decoded yet.</summary>
    public byte Kind;

    public byte Rd;

    public byte Rs1;

    public byte Rs2;
}
