using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ringmaster.Emulator.Cpu;

/// <summary>Address translation (Sv39/Sv48 with hardware A/D update), the software TLBs and memory access.</summary>
internal sealed unsafe partial class Hart
{
    private const int TlbBits = 8, TlbSize = 1 << TlbBits, TlbMask = TlbSize - 1;
    private const int AccessFetch = 0, AccessLoad = 1, AccessStore = 2;

    // One direct-mapped TLB per access kind: tag = virtual page number, add = host address - virtual address.
    // There is one set per privilege (U, S, M) so that traps and returns switch sets instead of
    // flushing; anything that changes translation (satp, sfence.vma, MPRV/MPP/SUM/MXR) flushes all.
    private ulong[] _tlbLoadTag = null!;
    private nint[] _tlbLoadAdd = null!;
    private ulong[] _tlbStoreTag = null!;
    private nint[] _tlbStoreAdd = null!;
    private ulong _fetchTag;
    private nint _fetchAdd;
    private DecodedOp[] _fetchOps = s_noOps;
    private ulong[] _tlbFetchTag = null!;
    private nint[] _tlbFetchAdd = null!;
    private DecodedOp[][] _tlbFetchOps = null!;
    private readonly TlbSet[] _tlbSets = [new(), new(), new(), new()];
    private TlbSet _tlbActive = null!;

    private sealed class TlbSet
    {
        public readonly ulong[] LoadTag = new ulong[TlbSize];
        public readonly nint[] LoadAdd = new nint[TlbSize];
        public readonly ulong[] StoreTag = new ulong[TlbSize];
        public readonly nint[] StoreAdd = new nint[TlbSize];
        public ulong FetchTag = ulong.MaxValue;
        public nint FetchAdd;
        public DecodedOp[] FetchOps = s_noOps;

        // Instruction pages: the entries FetchSlow refills the one-entry fetch cache from.
        public readonly ulong[] FetchTags = new ulong[TlbSize];
        public readonly nint[] FetchAdds = new nint[TlbSize];
        public readonly DecodedOp[][] FetchOpsTable = new DecodedOp[TlbSize][];

        /// <summary>False once an entry was filled since the last flush (an empty set needs no clearing).</summary>
        public bool Empty;

        public void Flush()
        {
            FetchTag = ulong.MaxValue;
            if (Empty)
                return;
            Empty = true;
            Array.Fill(LoadTag, ulong.MaxValue);
            Array.Fill(StoreTag, ulong.MaxValue);
            Array.Fill(FetchTags, ulong.MaxValue);
            FetchTag = ulong.MaxValue;
        }
    }

    /// <summary>Makes the TLB set of <paramref name="priv"/> the active one (saving the fetch cache of the current set).</summary>
    private void SwitchTlbSet(int fromPriv, int toPriv)
    {
        var from = _tlbSets[fromPriv];
        from.FetchTag = _fetchTag;
        from.FetchAdd = _fetchAdd;
        from.FetchOps = _fetchOps;
        var to = _tlbSets[toPriv];
        _tlbActive = to;
        _tlbLoadTag = to.LoadTag;
        _tlbLoadAdd = to.LoadAdd;
        _tlbStoreTag = to.StoreTag;
        _tlbStoreAdd = to.StoreAdd;
        _fetchTag = to.FetchTag;
        _fetchAdd = to.FetchAdd;
        _fetchOps = to.FetchOps;
        _tlbFetchTag = to.FetchTags;
        _tlbFetchAdd = to.FetchAdds;
        _tlbFetchOps = to.FetchOpsTable;
    }

    // LR/SC reservation (physical address), or ulong.MaxValue when none.
    internal ulong Reservation = ulong.MaxValue;

    private void InitTlb()
    {
        SwitchTlbSet(Priv, Priv);
        FlushTlb();
    }

    /// <summary>Forgets every cached translation of every privilege (satp or mstatus change, sfence.vma).</summary>
    internal void FlushTlb()
    {
        foreach (var set in _tlbSets)
            set.Flush();
        _fetchTag = ulong.MaxValue;
    }

    /// <summary>Forgets cached store translations so the next write to each page is seen (dirty tracking).</summary>
    internal void FlushStoreTlb()
    {
        foreach (var set in _tlbSets)
            Array.Fill(set.StoreTag, ulong.MaxValue);
    }

    private byte* FetchSlow(ulong va)
    {
        var vpn = va >> 12;
        var idx = (int)vpn & TlbMask;
        if (_tlbFetchTag[idx] == vpn)
        {
            _fetchTag = vpn;
            _fetchAdd = _tlbFetchAdd[idx];
            _fetchOps = _tlbFetchOps[idx];
            return (byte*)(_fetchAdd + (nint)va);
        }

        if (!Translate(va, AccessFetch, out var pa))
            return null;
        var page = _bus.HostPage(pa, false);
        if (page == null || !PmpAllows(pa, 2, AccessFetch, Priv))
        {
            RaiseException(Cause.InstructionAccessFault, va);
            return null;
        }

        var p = page + (pa & 0xfff);
        if (PmpAllowsPage(pa & ~0xfffUL, AccessFetch, Priv))
        {
            _fetchTag = vpn;
            _fetchAdd = (nint)page - (nint)(va & ~0xfffUL);
            _fetchOps = _bus.DecodedPage(pa);
            _tlbActive.Empty = false;
            _tlbFetchTag[idx] = vpn;
            _tlbFetchAdd[idx] = _fetchAdd;
            _tlbFetchOps[idx] = _fetchOps;
        }
        else if ((*(ushort*)p & 3) == 3 && (pa & 0xfff) != 0xffe && !PmpAllows(pa, 4, AccessFetch, Priv))
        {
            // A PMP boundary inside the page: the upper half of a 32-bit instruction is checked too.
            RaiseException(Cause.InstructionAccessFault, va);
            return null;
        }

        return p;
    }

    /// <summary>
    /// Translates <paramref name="va"/> and checks PMP for the <paramref name="size"/> bytes there; on
    /// failure raises the page or access fault (mtval/stval = <paramref name="va"/>) and returns false.
    /// </summary>
    private bool TranslateChecked(ulong va, int access, int size, out ulong pa)
    {
        if (!Translate(va, access, out pa))
            return false;
        if (!PmpAllows(pa, (ulong)size, access, EffectivePriv(access)))
            return AccessFault(va, access, out pa);
        return true;
    }

    /// <summary>Translates <paramref name="va"/>; on failure raises the page or access fault and returns false.</summary>
    private bool Translate(ulong va, int access, out ulong pa)
    {
        var priv = EffectivePriv(access);
        var mode = _satp >> 60;
        if (priv == PrivM || mode == 0)
        {
            pa = va;
            return true;
        }

        int levels = mode == 9 ? 4 : 3;
        var vaBits = 12 + 9 * levels;
        // The bits above the virtual address width must all equal its top bit.
        if ((ulong)((long)(va << (64 - vaBits)) >> (64 - vaBits)) != va)
            return PageFault(va, access, out pa);

        var a = (_satp & 0xFFF_FFFF_FFFFUL) << 12;
        for (var i = levels - 1; i >= 0; i--)
        {
            var pteAddr = a + (((va >> (12 + 9 * i)) & 0x1ff) << 3);
            // Page-table reads are checked by PMP as S-mode loads; a failure is an access fault of the original kind.
            if (!_bus.IsRam(pteAddr, 8) || !PmpAllows(pteAddr, 8, AccessLoad, PrivS))
                return AccessFault(va, access, out pa);
            var ptePtr = (ulong*)(_bus.RamPtr + (pteAddr - MemoryMap.RamBase));
            var pte = *ptePtr;
            if ((pte & 1) == 0 || (pte & 6) == 4 || (pte >> 54) != 0)
                return PageFault(va, access, out pa);
            if ((pte & 0xA) == 0)
            {
                // Pointer to the next level.
                if ((pte & 0xD0) != 0)
                    return PageFault(va, access, out pa);
                a = ((pte >> 10) & 0xFFF_FFFF_FFFFUL) << 12;
                continue;
            }

            // Leaf: permissions.
            bool ok = access switch
            {
                AccessFetch => (pte & 8) != 0,
                AccessLoad => (pte & 2) != 0 || ((_mstatus & MstatusMxr) != 0 && (pte & 8) != 0),
                _ => (pte & 4) != 0,
            };
            if (!ok)
                return PageFault(va, access, out pa);
            if ((pte & 0x10) != 0)
            {
                if (priv == PrivS && (access == AccessFetch || (_mstatus & MstatusSum) == 0))
                    return PageFault(va, access, out pa);
            }
            else if (priv == PrivU)
            {
                return PageFault(va, access, out pa);
            }

            var ppn = (pte >> 10) & 0xFFF_FFFF_FFFFUL;
            var lowMask = (1UL << (9 * i)) - 1;
            if ((ppn & lowMask) != 0)
                return PageFault(va, access, out pa); // misaligned superpage

            // Hardware A/D update.
            var need = 0x40UL | (access == AccessStore ? 0x80UL : 0);
            if ((pte & need) != need)
            {
                if (!PmpAllows(pteAddr, 8, AccessStore, PrivS))
                    return AccessFault(va, access, out pa);
                pte |= need;
                _bus.HostPage(pteAddr, true); // marks the page dirty
                *ptePtr = pte;
            }

            pa = ((ppn & ~lowMask) << 12) | (va & ((1UL << (12 + 9 * i)) - 1));
            return true;
        }

        return PageFault(va, access, out pa);
    }

    private bool PageFault(ulong va, int access, out ulong pa)
    {
        pa = 0;
        RaiseException(access switch
        {
            AccessFetch => Cause.InstructionPageFault,
            AccessLoad => Cause.LoadPageFault,
            _ => Cause.StorePageFault,
        }, va);
        return false;
    }

    private bool AccessFault(ulong va, int access, out ulong pa)
    {
        pa = 0;
        RaiseException(access switch
        {
            AccessFetch => Cause.InstructionAccessFault,
            AccessLoad => Cause.LoadAccessFault,
            _ => Cause.StoreAccessFault,
        }, va);
        return false;
    }

    // ---- loads ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* LoadPtr(ulong va, int size)
    {
        var vpn = va >> 12;
        var idx = (int)vpn & TlbMask;
        if (Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tlbLoadTag), idx) == vpn && (va & 0xfff) <= (ulong)(0x1000 - size))
            return (byte*)(Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tlbLoadAdd), idx) + (nint)va);
        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* StorePtr(ulong va, int size)
    {
        var vpn = va >> 12;
        var idx = (int)vpn & TlbMask;
        if (Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tlbStoreTag), idx) == vpn && (va & 0xfff) <= (ulong)(0x1000 - size))
            return (byte*)(Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tlbStoreAdd), idx) + (nint)va);
        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Load8(ulong va, out ulong v)
    {
        var p = LoadPtr(va, 1);
        if (p != null)
        {
            v = *p;
            return true;
        }

        return LoadSlow(va, 1, out v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Load16(ulong va, out ulong v)
    {
        var p = LoadPtr(va, 2);
        if (p != null)
        {
            v = *(ushort*)p;
            return true;
        }

        return LoadSlow(va, 2, out v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Load32(ulong va, out ulong v)
    {
        var p = LoadPtr(va, 4);
        if (p != null)
        {
            v = *(uint*)p;
            return true;
        }

        return LoadSlow(va, 4, out v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Load64(ulong va, out ulong v)
    {
        var p = LoadPtr(va, 8);
        if (p != null)
        {
            v = *(ulong*)p;
            return true;
        }

        return LoadSlow(va, 8, out v);
    }

    private bool LoadSlow(ulong va, int size, out ulong v)
    {
        v = 0;
        if ((va & 0xfff) > (ulong)(0x1000 - size))
        {
            // Crosses a page: assemble byte by byte.
            for (var i = 0; i < size; i++)
            {
                if (!LoadSlow(va + (ulong)i, 1, out var b))
                    return false;
                v |= b << (8 * i);
            }

            return true;
        }

        if (!TranslateChecked(va, AccessLoad, size, out var pa))
            return false;
        var page = _bus.HostPage(pa, false);
        if (page != null)
        {
            if (!PmpAllowsPage(pa & ~0xfffUL, AccessLoad, EffectivePriv(AccessLoad)))
            {
                var q = page + (pa & 0xfff);
                v = size switch { 1 => *q, 2 => *(ushort*)q, 4 => *(uint*)q, _ => *(ulong*)q };
                return true;
            }

            var idx = (int)(va >> 12) & TlbMask;
            _tlbActive.Empty = false;
            _tlbLoadTag[idx] = va >> 12;
            _tlbLoadAdd[idx] = (nint)page - (nint)(va & ~0xfffUL);
            var p = page + (pa & 0xfff);
            v = size switch { 1 => *p, 2 => *(ushort*)p, 4 => *(uint*)p, _ => *(ulong*)p };
            return true;
        }

        if (!_bus.MmioRead(pa, size, out v))
        {
            RaiseException(Cause.LoadAccessFault, va);
            return false;
        }

        return true;
    }

    // ---- stores ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Store8(ulong va, ulong v)
    {
        var p = StorePtr(va, 1);
        if (p != null)
        {
            *p = (byte)v;
            return true;
        }

        return StoreSlow(va, 1, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Store16(ulong va, ulong v)
    {
        var p = StorePtr(va, 2);
        if (p != null)
        {
            *(ushort*)p = (ushort)v;
            return true;
        }

        return StoreSlow(va, 2, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Store32(ulong va, ulong v)
    {
        var p = StorePtr(va, 4);
        if (p != null)
        {
            *(uint*)p = (uint)v;
            return true;
        }

        return StoreSlow(va, 4, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Store64(ulong va, ulong v)
    {
        var p = StorePtr(va, 8);
        if (p != null)
        {
            *(ulong*)p = v;
            return true;
        }

        return StoreSlow(va, 8, v);
    }

    private bool StoreSlow(ulong va, int size, ulong v)
    {
        if ((va & 0xfff) > (ulong)(0x1000 - size))
        {
            // Crosses a page: check both pages before writing anything.
            var tail = (int)(0x1000 - (va & 0xfff));
            if (!TranslateChecked(va, AccessStore, tail, out _) || !TranslateChecked(va + (ulong)tail, AccessStore, size - tail, out _))
                return false;
            for (var i = 0; i < size; i++)
            {
                if (!StoreSlow(va + (ulong)i, 1, v >> (8 * i)))
                    return false;
            }

            return true;
        }

        if (!TranslateChecked(va, AccessStore, size, out var pa))
            return false;
        if (_bus.IsRam(pa, (ulong)size))
        {
            var page = _bus.HostPage(pa, true);
            if ((pa & ~0xfffUL) == _bus.WatchPage)
            {
                _stopBatch = true;
            }
            else if (PmpAllowsPage(pa & ~0xfffUL, AccessStore, EffectivePriv(AccessStore)))
            {
                var idx = (int)(va >> 12) & TlbMask;
                _tlbActive.Empty = false;
                _tlbStoreTag[idx] = va >> 12;
                _tlbStoreAdd[idx] = (nint)page - (nint)(va & ~0xfffUL);
            }

            var p = page + (pa & 0xfff);
            switch (size)
            {
                case 1: *p = (byte)v; break;
                case 2: *(ushort*)p = (ushort)v; break;
                case 4: *(uint*)p = (uint)v; break;
                default: *(ulong*)p = v; break;
            }

            return true;
        }

        if (!_bus.MmioWrite(pa, size, v))
        {
            RaiseException(Cause.StoreAccessFault, va);
            return false;
        }

        _stopBatch = true;
        return true;
    }

    /// <summary>Host pointer for an atomic access (must be naturally aligned RAM); null after raising the trap.</summary>
    private byte* AmoPtr(ulong va, int size, bool loadOnly)
    {
        if ((va & (ulong)(size - 1)) != 0)
        {
            RaiseException(loadOnly ? Cause.LoadMisaligned : Cause.StoreMisaligned, va);
            return null;
        }

        if (!TranslateChecked(va, loadOnly ? AccessLoad : AccessStore, size, out var pa))
            return null;
        if (!_bus.IsRam(pa, (ulong)size))
        {
            RaiseException(loadOnly ? Cause.LoadAccessFault : Cause.StoreAccessFault, va);
            return null;
        }

        return _bus.HostPage(pa, !loadOnly) + (pa & 0xfff);
    }

    /// <summary>Physical address of an aligned RAM access, for LR/SC reservations.</summary>
    private ulong PhysicalOf(byte* p) => (ulong)(p - _bus.RamPtr) + MemoryMap.RamBase;
}
