using System.Runtime.InteropServices;

namespace Ringmaster.Emulator.Cpu;

/// <summary>
/// One decoded instruction in the decoded-instruction cache (one slot per 2-byte offset of a
/// physical page). <see cref="Raw"/> holds the 32 bits that were at that address when it was
/// decoded; the hart compares them with memory before every use, so a write to the page (by a
/// store, DMA, or a snapshot load) can never run stale code and nothing needs invalidating.
/// 12 bytes, so a page's 2048 slots take 24 KiB.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DecodedOp
{
    /// <summary>The 32 bits at the instruction's address when decoded (a compressed instruction plus the next halfword).</summary>
    public uint Raw;

    /// <summary>Immediate, sign-extended (shift amount for shifts, the upper value for lui/auipc).</summary>
    public int Imm;

    /// <summary>What to do (<see cref="Hart"/>'s Op* constants); 0 = not decoded yet.</summary>
    public byte Kind;

    public byte Rd;

    public byte Rs1;

    public byte Rs2;
}
