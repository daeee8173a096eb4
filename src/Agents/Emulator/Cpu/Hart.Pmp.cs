namespace Ringmaster.Emulator.Cpu;

/// <summary>
/// Physical memory protection (privileged spec, "Physical Memory Protection"): 16 entries, 4-byte
/// granularity, OFF/TOR/NA4/NAPOT matching, R/W/X and the L bit. The CSRs are decoded into byte
/// ranges when written; checks happen only on the slow paths (TLB fill, MMIO, page-table walks),
/// and a pmp CSR write flushes the TLBs so nothing cached outlives the rule that allowed it.
/// A TLB entry is filled only when the whole 4 KiB page is allowed, so the fast path needs no check.
/// </summary>
internal sealed partial class Hart
{
    private const byte PmpR = 1, PmpW = 2, PmpX = 4, PmpModeMask = 0x18, PmpL = 0x80;
    private const byte PmpTor = 0x08, PmpNa4 = 0x10, PmpNapot = 0x18;

    // Decoded entries: [lo, hi) byte ranges (empty when lo >= hi) and the cfg byte.
    private readonly ulong[] _pmpLo = new ulong[PmpEntries];
    private readonly ulong[] _pmpHi = new ulong[PmpEntries];
    private readonly byte[] _pmpCfgByte = new byte[PmpEntries];

    /// <summary>One past the highest entry that is not OFF (0 when every entry is OFF).</summary>
    private int _pmpActive;

    /// <summary>True when some active entry is locked, i.e. M-mode accesses are checked too.</summary>
    private bool _pmpLockedAny;

    private byte PmpCfgOf(int i) => (byte)(_pmpcfg[i / 8] >> (8 * (i % 8)));

    private bool PmpLocked(int i) => (PmpCfgOf(i) & PmpL) != 0;

    /// <summary>pmpcfgN write (N = 0 or 2 on RV64): locked entries keep their byte; R=0 W=1 (reserved) is ignored.</summary>
    private void PmpCfgWrite(int reg, ulong v)
    {
        var old = _pmpcfg[reg];
        var result = 0UL;
        for (var j = 0; j < 8; j++)
        {
            var oldByte = (byte)(old >> (8 * j));
            var newByte = (byte)((v >> (8 * j)) & 0x9F); // bits 5 and 6 are reserved (zero)
            if ((oldByte & PmpL) != 0 || (newByte & (PmpR | PmpW)) == PmpW)
                newByte = oldByte;
            result |= (ulong)newByte << (8 * j);
        }

        _pmpcfg[reg] = result;
        PmpDecode();
    }

    /// <summary>pmpaddrN write: ignored when entry N is locked, or entry N+1 is a locked TOR entry (N is its base).</summary>
    private void PmpAddrWrite(int i, ulong v)
    {
        if (PmpLocked(i))
            return;
        if (i + 1 < PmpEntries && PmpLocked(i + 1) && (PmpCfgOf(i + 1) & PmpModeMask) == PmpTor)
            return;
        _pmpaddr[i] = v & ((1UL << 54) - 1);
        PmpDecode();
    }

    /// <summary>Rebuilds the decoded ranges from pmpcfg/pmpaddr and drops every cached translation.</summary>
    private void PmpDecode()
    {
        _pmpActive = 0;
        _pmpLockedAny = false;
        for (var i = 0; i < PmpEntries; i++)
        {
            var cfg = PmpCfgOf(i);
            _pmpCfgByte[i] = cfg;
            ulong lo = 0, hi = 0;
            switch (cfg & PmpModeMask)
            {
                case PmpTor:
                    lo = i == 0 ? 0 : _pmpaddr[i - 1] << 2;
                    hi = _pmpaddr[i] << 2;
                    break;
                case PmpNa4:
                    lo = _pmpaddr[i] << 2;
                    hi = lo + 4;
                    break;
                case PmpNapot:
                {
                    var a = _pmpaddr[i];
                    var ones = System.Numerics.BitOperations.TrailingZeroCount(~a); // trailing one bits
                    var size = 1UL << Math.Min(ones + 3, 63);
                    lo = (a & ~((1UL << ones) - 1)) << 2 & ~(size - 1);
                    hi = lo + size;
                    if (hi < lo)
                        hi = ulong.MaxValue;
                    break;
                }
            }

            _pmpLo[i] = lo;
            _pmpHi[i] = hi;
            if ((cfg & PmpModeMask) != 0)
            {
                _pmpActive = i + 1;
                if ((cfg & PmpL) != 0)
                    _pmpLockedAny = true;
            }
        }

        FlushTlb();
    }

    /// <summary>The privilege loads and stores are checked at (MPRV/MPP apply to them, not to fetches).</summary>
    private int EffectivePriv(int access) =>
        access != AccessFetch && (_mstatus & MstatusMprv) != 0 && Priv == PrivM ? (int)((_mstatus >> 11) & 3) : Priv;

    private static byte PermOf(int access) => access switch { AccessFetch => PmpX, AccessLoad => PmpR, _ => PmpW };

    /// <summary>True when <paramref name="priv"/> may access the <paramref name="size"/> bytes at <paramref name="pa"/>.</summary>
    internal bool PmpAllows(ulong pa, ulong size, int access, int priv)
    {
        if (priv == PrivM && !_pmpLockedAny)
            return true;
        var last = pa + size - 1;
        for (var i = 0; i < _pmpActive; i++)
        {
            var cfg = _pmpCfgByte[i];
            if ((cfg & PmpModeMask) == 0)
                continue;
            var lo = _pmpLo[i];
            var hi = _pmpHi[i];
            if (lo >= hi || last < lo || pa >= hi)
                continue; // no byte of the access matches
            if (pa < lo || last >= hi)
                return false; // matches only some bytes: the access fails
            if (priv == PrivM && (cfg & PmpL) == 0)
                return true;
            return (cfg & PermOf(access)) != 0;
        }

        // No entry matches: M mode succeeds, S and U fail (entries are implemented).
        return priv == PrivM;
    }

    /// <summary>True when every byte of the 4 KiB page at <paramref name="page"/> is allowed (so a TLB entry may cover it).</summary>
    private bool PmpAllowsPage(ulong page, int access, int priv) => PmpAllows(page, Bus.PageSize, access, priv);
}
