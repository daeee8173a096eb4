namespace Ringmaster.Emulator.Cpu;

/// <summary>Zicsr: the CSR instructions and every CSR this hart implements.</summary>
internal sealed partial class Hart
{
    internal const ulong MstatusSie = 1UL << 1, MstatusMie = 1UL << 3, MstatusSpie = 1UL << 5, MstatusMpie = 1UL << 7,
        MstatusSpp = 1UL << 8, MstatusMpp = 3UL << 11, MstatusFs = 3UL << 13, MstatusMprv = 1UL << 17,
        MstatusSum = 1UL << 18, MstatusMxr = 1UL << 19, MstatusTvm = 1UL << 20, MstatusTw = 1UL << 21,
        MstatusTsr = 1UL << 22, MstatusUxlSxl = (2UL << 32) | (2UL << 34), MstatusSd = 1UL << 63;

    private const ulong MstatusWritable = MstatusSie | MstatusMie | MstatusSpie | MstatusMpie | MstatusSpp | MstatusMpp
        | MstatusFs | MstatusMprv | MstatusSum | MstatusMxr | MstatusTvm | MstatusTw | MstatusTsr;

    private const ulong SstatusMask = MstatusSie | MstatusSpie | MstatusSpp | MstatusFs | MstatusSum | MstatusMxr
        | (3UL << 32) | MstatusSd;

    /// <summary>misa: RV64 with A C D F I M S U.</summary>
    public const ulong Misa = (2UL << 62) | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);

    private const ulong MipSsip = 1UL << 1, MipMsip = 1UL << 3, MipStip = 1UL << 5, MipMtip = 1UL << 7,
        MipSeip = 1UL << 9, MipMeip = 1UL << 11;

    private const ulong DelegableInterrupts = MipSsip | MipStip | MipSeip;
    private const ulong DelegableExceptions = 0xB3FF;
    private const int PmpEntries = 16;

    internal ulong _mstatus;
    internal ulong _mtvec, _medeleg, _mideleg, _mie, _mscratch, _mepc, _mcause, _mtval, _mcounteren, _menvcfg, _mcountinhibit;
    internal ulong _stvec, _sscratch, _sepc, _scause, _stval, _scounteren, _senvcfg, _satp;

    /// <summary>Software-writable pending bits (SSIP, STIP, SEIP).</summary>
    internal ulong _mipSoft;

    /// <summary>Pending bits driven by devices (MSIP, MTIP, MEIP, SEIP), set by the machine.</summary>
    internal ulong MipHw;

    internal uint _fflags, _frm;
    internal ulong _cycleOffset, _instretOffset;
    internal readonly ulong[] _pmpaddr = new ulong[PmpEntries];
    internal readonly ulong[] _pmpcfg = new ulong[PmpEntries / 8];

    internal ulong Mip => _mipSoft | MipHw;

    private void ResetCsrs()
    {
        _mstatus = 0;
        _mtvec = _medeleg = _mideleg = _mie = _mscratch = _mepc = _mcause = _mtval = _mcounteren = _menvcfg = _mcountinhibit = 0;
        _stvec = _sscratch = _sepc = _scause = _stval = _scounteren = _senvcfg = _satp = 0;
        _mipSoft = 0;
        MipHw = 0;
        _fflags = _frm = 0;
        _cycleOffset = _instretOffset = 0;
        Array.Clear(_pmpaddr);
        Array.Clear(_pmpcfg);
        PmpDecode();
        Reservation = ulong.MaxValue;
    }

    private ulong MstatusRead()
    {
        var v = (_mstatus & MstatusWritable) | MstatusUxlSxl;
        if ((v & MstatusFs) == MstatusFs)
            v |= MstatusSd;
        return v;
    }

    private void MstatusWrite(ulong v)
    {
        var mpp = (v >> 11) & 3;
        if (mpp == 2)
            v &= ~MstatusMpp; // reserved privilege: WARL to U
        var old = _mstatus;
        _mstatus = (_mstatus & ~MstatusWritable) | (v & MstatusWritable);
        if (((old ^ _mstatus) & (MstatusMprv | MstatusMpp | MstatusSum | MstatusMxr)) != 0)
            FlushTlb();
        // A pending interrupt can only become takeable when a global enable turns on.
        if ((~old & _mstatus & (MstatusSie | MstatusMie)) != 0)
            _stopBatch = true;
    }

    private bool FpEnabled => (_mstatus & MstatusFs) != 0;

    private void MarkFsDirty() => _mstatus |= MstatusFs;

    /// <summary>Whether a counter (0 cycle, 1 time, 2 instret, 3..31 hpm) may be read at the current privilege.</summary>
    private bool CounterAllowed(int index)
    {
        if (Priv == PrivM)
            return true;
        if (((_mcounteren >> index) & 1) == 0)
            return false;
        return Priv == PrivS || ((_scounteren >> index) & 1) != 0;
    }

    /// <summary>Reads a CSR; false when it does not exist or is not accessible (illegal instruction).</summary>
    private bool CsrRead(uint csr, out ulong v)
    {
        v = 0;
        if (((csr >> 8) & 3) > (uint)Priv)
            return false;
        switch (csr)
        {
            case 0x001: if (!FpEnabled) return false; v = _fflags; return true;                 // fflags
            case 0x002: if (!FpEnabled) return false; v = _frm; return true;                    // frm
            case 0x003: if (!FpEnabled) return false; v = (_frm << 5) | _fflags; return true;   // fcsr
            case 0xC00: if (!CounterAllowed(0)) return false; v = Instret + _cycleOffset; return true;   // cycle
            case 0xC01: if (!CounterAllowed(1)) return false; v = _clock.Mtime; return true;            // time
            case 0xC02: if (!CounterAllowed(2)) return false; v = Instret + _instretOffset; return true; // instret
            case >= 0xC03 and <= 0xC1F: if (!CounterAllowed((int)(csr - 0xC00))) return false; v = 0; return true; // hpmcounterN

            case 0x100: v = MstatusRead() & SstatusMask; return true;                            // sstatus
            case 0x104: v = _mie & _mideleg; return true;                                        // sie
            case 0x105: v = _stvec; return true;                                                 // stvec
            case 0x106: v = _scounteren; return true;                                            // scounteren
            case 0x10A: v = _senvcfg; return true;                                               // senvcfg
            case 0x140: v = _sscratch; return true;                                              // sscratch
            case 0x141: v = _sepc; return true;                                                  // sepc
            case 0x142: v = _scause; return true;                                                // scause
            case 0x143: v = _stval; return true;                                                 // stval
            case 0x144: v = Mip & _mideleg; return true;                                         // sip
            case 0x180:                                                                          // satp
                if (Priv == PrivS && (_mstatus & MstatusTvm) != 0) return false;
                v = _satp;
                return true;

            case 0xF11: case 0xF12: case 0xF13: case 0xF15: v = 0; return true;                 // mvendorid marchid mimpid mconfigptr
            case 0xF14: v = (ulong)HartId; return true;                                          // mhartid
            case 0x300: v = MstatusRead(); return true;                                          // mstatus
            case 0x301: v = Misa; return true;                                                   // misa
            case 0x302: v = _medeleg; return true;                                               // medeleg
            case 0x303: v = _mideleg; return true;                                               // mideleg
            case 0x304: v = _mie; return true;                                                   // mie
            case 0x305: v = _mtvec; return true;                                                 // mtvec
            case 0x306: v = _mcounteren; return true;                                            // mcounteren
            case 0x30A: v = _menvcfg; return true;                                               // menvcfg
            case 0x320: v = _mcountinhibit; return true;                                         // mcountinhibit
            case >= 0x323 and <= 0x33F: v = 0; return true;                                      // mhpmeventN
            case 0x340: v = _mscratch; return true;                                              // mscratch
            case 0x341: v = _mepc; return true;                                                  // mepc
            case 0x342: v = _mcause; return true;                                                // mcause
            case 0x343: v = _mtval; return true;                                                 // mtval
            case 0x344: v = Mip; return true;                                                    // mip
            case >= 0x3A0 and <= 0x3AF:                                                          // pmpcfgN (even only on RV64)
                if ((csr & 1) != 0) return false;
                v = (csr - 0x3A0) / 2 < _pmpcfg.Length ? _pmpcfg[(csr - 0x3A0) / 2] : 0;
                return true;
            case >= 0x3B0 and <= 0x3EF:                                                          // pmpaddrN
                v = csr - 0x3B0 < PmpEntries ? _pmpaddr[csr - 0x3B0] : 0;
                return true;
            case >= CsrTselect and <= CsrTinfo: v = TriggerCsrRead(csr); return true;            // tselect tdata1-3 tinfo (no triggers)
            case 0xB00: v = Instret + _cycleOffset; return true;                                 // mcycle
            case 0xB02: v = Instret + _instretOffset; return true;                               // minstret
            case >= 0xB03 and <= 0xB1F: v = 0; return true;                                      // mhpmcounterN
            default: return false;
        }
    }

    /// <summary>Writes a CSR (the caller checked it exists and is writable).</summary>
    private void CsrWrite(uint csr, ulong v)
    {
        switch (csr)
        {
            case 0x001: _fflags = (uint)v & 0x1f; MarkFsDirty(); break;                              // fflags
            case 0x002: _frm = (uint)v & 7; MarkFsDirty(); break;                                    // frm
            case 0x003: _fflags = (uint)v & 0x1f; _frm = (uint)(v >> 5) & 7; MarkFsDirty(); break;   // fcsr
            case 0x100: MstatusWrite((_mstatus & ~SstatusMask) | (v & SstatusMask)); break;          // sstatus
            case 0x104: _mie = (_mie & ~_mideleg) | (v & _mideleg); _stopBatch = true; break;         // sie
            case 0x105: _stvec = v & ~2UL; break;                                                    // stvec
            case 0x106: _scounteren = v & 0xffff_ffff; break;                                        // scounteren
            case 0x10A: _senvcfg = v & 1; break;                                                     // senvcfg (FIOM)
            case 0x140: _sscratch = v; break;                                                        // sscratch
            case 0x141: _sepc = v & ~1UL; break;                                                     // sepc
            case 0x142: _scause = v; break;                                                          // scause
            case 0x143: _stval = v; break;                                                           // stval
            case 0x144:                                                                              // sip
                _mipSoft = (_mipSoft & ~(_mideleg & MipSsip)) | (v & _mideleg & MipSsip);
                _stopBatch = true;
                break;
            case 0x180:                                                                              // satp
            {
                var mode = v >> 60;
                if (mode == 0 || mode == 8 || mode == 9)
                {
                    _satp = v & ~(0xFFFFUL << 44); // no ASID bits
                    FlushTlb();
                }

                break;
            }

            case 0x300: MstatusWrite(v); break;                                                      // mstatus
            case 0x302: _medeleg = v & DelegableExceptions; break;                                   // medeleg
            case 0x303: _mideleg = v & DelegableInterrupts; _stopBatch = true; break;                // mideleg
            case 0x304: _mie = v & 0xAAA; _stopBatch = true; break;                                  // mie
            case 0x305: _mtvec = v & ~2UL; break;                                                    // mtvec
            case 0x306: _mcounteren = v & 0xffff_ffff; break;                                        // mcounteren
            case 0x30A: _menvcfg = v & 1; break;                                                     // menvcfg (FIOM)
            case 0x320: _mcountinhibit = v & 0xffff_fffd; break;                                     // mcountinhibit
            case 0x340: _mscratch = v; break;                                                        // mscratch
            case 0x341: _mepc = v & ~1UL; break;                                                     // mepc
            case 0x342: _mcause = v; break;                                                          // mcause
            case 0x343: _mtval = v; break;                                                           // mtval
            case 0x344: _mipSoft = (_mipSoft & ~DelegableInterrupts) | (v & DelegableInterrupts); _stopBatch = true; break; // mip
            case >= 0x3A0 and <= 0x3AF:                                                              // pmpcfgN
                if ((csr - 0x3A0) / 2 < _pmpcfg.Length) PmpCfgWrite((int)(csr - 0x3A0) / 2, v);
                break;
            case >= 0x3B0 and <= 0x3EF:                                                              // pmpaddrN
                if (csr - 0x3B0 < PmpEntries) PmpAddrWrite((int)(csr - 0x3B0), v);
                break;
            case >= CsrTselect and <= CsrTinfo: break;                                               // trigger CSRs: WARL, nothing to select or arm
            case 0xB00: _cycleOffset = v - Instret; break;                                           // mcycle
            case 0xB02: _instretOffset = v - Instret; break;                                         // minstret
            default: break;                                                                          // read-only zero counters and events
        }
    }

    private void ExecuteCsr(uint insn, ulong pc, uint len)
    {
        var rd = (int)(insn >> 7) & 31;
        var rs1 = (int)(insn >> 15) & 31;
        var f3 = (insn >> 12) & 7;
        var csr = insn >> 20;
        var operand = f3 >= 5 ? (ulong)rs1 : X[rs1];
        var op = f3 & 3; // 1 csrrw, 2 csrrs, 3 csrrc
        var writes = op == 1 || rs1 != 0;
        if (!CsrRead(csr, out var old) || (writes && (csr >> 10) == 3))
        {
            RaiseIllegal();
            return;
        }

        if (writes)
        {
            // mip/sip: set/clear modify the software-writable bits only, never the device-driven
            // lines (otherwise a device's SEIP would latch into the writable SEIP bit).
            var rmw = csr is 0x344 or 0x144 ? _mipSoft : old;
            var nv = op switch { 1 => operand, 2 => rmw | operand, _ => rmw & ~operand };
            CsrWrite(csr, nv);
        }

        X[rd] = old;
        X[0] = 0;
        Pc = pc + len;
    }
}
