using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ringmaster.Emulator.Cpu;

/// <summary>
/// One RV64IMAFDC hart with M, S and U modes. It sees only the <see cref="Bus"/> and the machine
/// clock. Decoding is split by extension: Hart.Base (RV64I), Hart.M, Hart.A, Hart.FD, Hart.Csr,
/// Hart.Privileged, with the C extension expanded through <see cref="Rvc"/>.
/// </summary>
internal sealed unsafe partial class Hart
{
    public const int PrivU = 0, PrivS = 1, PrivM = 3;

    private readonly Bus _bus;
    private readonly IMachineClock _clock;
    private readonly uint[] _rvc = Rvc.Table;

    /// <summary>Integer registers; x0 is forced to zero after every instruction.</summary>
    internal readonly ulong[] X = new ulong[32];

    /// <summary>Float registers as raw bits (binary32 values NaN-boxed).</summary>
    internal readonly ulong[] F = new ulong[32];

    internal ulong Pc;
    internal int Priv = PrivM;

    /// <summary>Instructions retired by this hart.</summary>
    internal ulong Instret;

    /// <summary>Set by anything that needs the run loop to stop after the current instruction.</summary>
    private bool _stopBatch;

    /// <summary>The raw bits of the current instruction (16 or 32 bits) for illegal-instruction traps.</summary>
    private uint _raw;

    public Hart(int hartId, Bus bus, IMachineClock clock)
    {
        HartId = hartId;
        _bus = bus;
        _clock = clock;
        InitTlb();
        Reset(MemoryMap.BootRomBase);
    }

    public int HartId { get; }

    /// <summary>True while the hart sits in WFI waiting for an interrupt.</summary>
    public bool Waiting { get; internal set; }

    public void Reset(ulong pc)
    {
        Array.Clear(X);
        Array.Clear(F);
        Pc = pc;
        SwitchTlbSet(Priv, PrivM);
        Priv = PrivM;
        Instret = 0;
        Waiting = false;
        ResetCsrs();
        FlushTlb();
    }

    /// <summary>Stops the current batch after this instruction.</summary>
    internal void RequestStop() => _stopBatch = true;

    /// <summary>Runs up to <paramref name="count"/> instructions; returns how many were executed.</summary>
    public long Run(long count)
    {
        _stopBatch = false;
        if (Waiting)
        {
            if (!WakeupPending)
                return 0;
            Waiting = false;
        }

        CheckInterrupts();
        long n = 0;
        while (n < count)
        {
            n++;
            Step();
            if (_stopBatch)
                break;
        }

        Instret += (ulong)n;
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Step()
    {
        var pc = Pc;
        if ((pc >> 12) == _fetchTag && (pc & 0xfff) != 0xffe)
        {
            // Fast path: through the decoded-instruction cache of the page.
            var raw = *(uint*)(_fetchAdd + (nint)pc);
            ref var op = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_fetchOps), (int)(pc & 0xfff) >> 1);
            if (op.Raw != raw || op.Kind == OpNone)
                Decode(ref op, raw);
            ExecuteDecoded(ref op, pc);
            return;
        }

        StepSlow(pc);
    }

    /// <summary>A fetch that misses the fetch TLB, or an instruction in a page's last halfword (it may cross into the next page).</summary>
    private void StepSlow(ulong pc)
    {
        byte* p;
        if ((pc >> 12) == _fetchTag)
            p = (byte*)(_fetchAdd + (nint)pc);
        else
        {
            p = FetchSlow(pc);
            if (p == null)
                return;
        }

        uint lo = *(ushort*)p;
        if ((lo & 3) != 3)
        {
            var e = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_rvc), (int)lo);
            _raw = lo;
            if (e == 0)
            {
                RaiseException(Cause.IllegalInstruction, lo);
                return;
            }

            Execute(e, pc, 2);
            return;
        }

        uint insn;
        if ((pc & 0xfff) != 0xffe)
            insn = *(uint*)p;
        else
        {
            var p2 = FetchSlow(pc + 2);
            if (p2 == null)
                return;
            insn = lo | ((uint)*(ushort*)p2 << 16);
        }

        _raw = insn;
        Execute(insn, pc, 4);
    }
}

/// <summary>Trap causes (exception codes; interrupts use the same numbers with the top bit set).</summary>
internal static class Cause
{
    public const ulong InstructionMisaligned = 0, InstructionAccessFault = 1, IllegalInstruction = 2, Breakpoint = 3,
        LoadMisaligned = 4, LoadAccessFault = 5, StoreMisaligned = 6, StoreAccessFault = 7,
        EcallU = 8, EcallS = 9, EcallM = 11, InstructionPageFault = 12, LoadPageFault = 13, StorePageFault = 15;

    public const int Ssi = 1, Msi = 3, Sti = 5, Mti = 7, Sei = 9, Mei = 11;
}

/// <summary>The machine's view of time for the harts.</summary>
internal interface IMachineClock
{
    /// <summary>mtime in 10 MHz ticks.</summary>
    ulong Mtime { get; }
}
