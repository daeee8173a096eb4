using Ringmaster.Emulator.Cpu;

namespace Ringmaster.Emulator.Tests;

/// <summary>
/// A tiny assembler for test programs: instructions are appended as words (from <see cref="Rv"/>),
/// branches can target labels, and <see cref="Pass"/> ends the program through HTIF tohost.
/// </summary>
internal sealed class TestProgram
{
    public const ulong Base = 0x8000_0000;
    public const ulong ToHost = 0x8001_0000;
    public const int T0 = 5, T1 = 6, T2 = 7, S0 = 8, S1 = 9, A0 = 10, A1 = 11, A2 = 12, A3 = 13, A4 = 14, A5 = 15, Sp = 2, Ra = 1, T5 = 30, T6 = 31;

    private readonly List<uint> _words = [];
    private readonly Dictionary<string, int> _labels = [];
    private readonly List<(int At, string Label, Func<long, uint> Make)> _fixups = [];

    public int Position => _words.Count * 4;

    public ulong Address(string label) => Base + (ulong)_labels[label];

    public TestProgram Emit(params uint[] words)
    {
        _words.AddRange(words);
        return this;
    }

    public TestProgram Half(ushort a, ushort b) => Emit((uint)a | ((uint)b << 16));

    public TestProgram Label(string name)
    {
        _labels[name] = Position;
        return this;
    }

    /// <summary>An instruction whose immediate is the offset to <paramref name="label"/>.</summary>
    public TestProgram To(string label, Func<long, uint> make)
    {
        _fixups.Add((_words.Count, label, make));
        _words.Add(0);
        return this;
    }

    /// <summary>Loads a 64-bit constant (lui/addi/slli sequence, always 8 instructions).</summary>
    public TestProgram Li(int rd, ulong value)
    {
        // Build from the top 32 bits then shift in the low 32 bits 11/11/10 at a time.
        var hi = (long)(value >> 32);
        var lo = value & 0xffff_ffff;
        var hiLow12 = (hi << 52) >> 52;
        var hiUpper = (hi - hiLow12) & 0xffff_ffff;
        Emit(Rv.Lui(rd, (long)hiUpper), Rv.Addiw(rd, rd, hiLow12));
        Emit(Rv.Slli(rd, rd, 11), Rv.Ori(rd, rd, (long)((lo >> 21) & 0x7ff)));
        Emit(Rv.Slli(rd, rd, 11), Rv.Ori(rd, rd, (long)((lo >> 10) & 0x7ff)));
        Emit(Rv.Slli(rd, rd, 10), Rv.Ori(rd, rd, (long)(lo & 0x3ff)));
        return this;
    }

    /// <summary>
    /// PMP entry 0 = NAPOT over the whole physical address space with R, W and X, as firmware does
    /// before it enters S or U mode (with no matching entry, S- and U-mode accesses fail).
    /// </summary>
    public TestProgram AllowAllMemory()
    {
        Li(T0, (1UL << 54) - 1);
        Emit(Rv.Csrw(0x3B0, T0), Rv.Addi(T0, 0, 0x1F), Rv.Csrw(0x3A0, T0));
        return this;
    }

    /// <summary>Writes 1 to tohost: the run ends with exit code 0.</summary>
    public TestProgram Pass()
    {
        Li(T6, ToHost);
        Emit(Rv.Addi(T5, 0, 1), Rv.Sd(T5, T6, 0));
        Label("__spin").To("__spin", o => Rv.Jal(0, o));
        return this;
    }

    public byte[] Build()
    {
        var words = _words.ToArray();
        foreach (var (at, label, make) in _fixups)
            words[at] = make(_labels[label] - at * 4);
        var bytes = new byte[words.Length * 4];
        Buffer.BlockCopy(words, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>Runs the program to completion (or the budget) and returns the machine for inspection.</summary>
    public RiscVMachine Run(long budget = 1_000_000, MachineConfig? config = null)
    {
        var m = RiscVMachine.ForProgram(Build(), ToHost, config);
        for (var slices = 0; slices < 1000 && m.InstructionCount < budget; slices++)
        {
            if (m.RunSlice(Math.Min(100_000, budget - m.InstructionCount)) is not (MachineStatus.Running or MachineStatus.Idle))
                break;
        }

        return m;
    }
}

internal static class MachineTestExtensions
{
    public static ulong X(this RiscVMachine m, int reg, int hart = 0) => m.GetHart(hart).X[reg];

    public static string ConsoleText(this RiscVMachine m)
    {
        var buf = new byte[1 << 20];
        var n = m.ReadConsoleOutput(buf);
        return System.Text.Encoding.ASCII.GetString(buf, 0, n);
    }
}
