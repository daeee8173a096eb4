namespace Ringmaster.Emulator.Cpu;

/// <summary>Privileged architecture: ecall/ebreak, mret/sret, wfi, sfence.vma, traps and interrupts.</summary>
internal sealed partial class Hart
{
    private void ExecuteSystem(uint insn, ulong pc, uint len)
    {
        if (((insn >> 12) & 7) != 0)
        {
            ExecuteCsr(insn, pc, len);
            return;
        }

        switch (insn)
        {
            case Rv.Ecall: // ecall
                RaiseException(Priv switch { PrivU => Cause.EcallU, PrivS => Cause.EcallS, _ => Cause.EcallM }, 0);
                return;
            case Rv.Ebreak: // ebreak
                RaiseException(Cause.Breakpoint, pc);
                return;
            case Rv.Mret: // mret
            {
                if (Priv < PrivM)
                {
                    RaiseIllegal();
                    return;
                }

                var newPriv = (int)((_mstatus >> 11) & 3);
                var s = _mstatus;
                s = (s & ~MstatusMie) | (((s & MstatusMpie) != 0) ? MstatusMie : 0);
                s |= MstatusMpie;
                s &= ~MstatusMpp;
                if (newPriv != PrivM)
                    s &= ~MstatusMprv;
                _mstatus = s;
                SetPriv(newPriv);
                Pc = _mepc;
                _stopBatch = true;
                return;
            }

            case Rv.Sret: // sret
            {
                if (Priv < PrivS || (Priv == PrivS && (_mstatus & MstatusTsr) != 0))
                {
                    RaiseIllegal();
                    return;
                }

                var newPriv = (_mstatus & MstatusSpp) != 0 ? PrivS : PrivU;
                var s = _mstatus;
                s = (s & ~MstatusSie) | (((s & MstatusSpie) != 0) ? MstatusSie : 0);
                s |= MstatusSpie;
                s &= ~MstatusSpp;
                s &= ~MstatusMprv;
                _mstatus = s;
                SetPriv(newPriv);
                Pc = _sepc;
                _stopBatch = true;
                return;
            }

            case Rv.Wfi: // wfi
                if (Priv == PrivU || (Priv == PrivS && (_mstatus & MstatusTw) != 0))
                {
                    RaiseIllegal();
                    return;
                }

                Pc = pc + len;
                if ((Mip & _mie) == 0)
                {
                    Waiting = true;
                    _stopBatch = true;
                }

                return;
        }

        if ((insn >> 25) == 0x09 && ((insn >> 7) & 31) == 0) // sfence.vma
        {
            if (Priv == PrivU || (Priv == PrivS && (_mstatus & MstatusTvm) != 0))
            {
                RaiseIllegal();
                return;
            }

            FlushTlb();
            Pc = pc + len;
            return;
        }

        RaiseIllegal();
    }

    private void SetPriv(int priv)
    {
        if (priv != Priv)
        {
            Priv = priv;
            FlushTlb();
        }
    }

    /// <summary>Takes a synchronous exception at the current instruction (Pc still points at it).</summary>
    internal void RaiseException(ulong cause, ulong tval) => TakeTrap(cause, tval, interrupt: false);

    /// <summary>Traps taken, by cause (interrupts at 32 + cause), for diagnostics.</summary>
    internal readonly long[] TrapCounts = new long[64];

    private void TakeTrap(ulong cause, ulong tval, bool interrupt)
    {
        TrapCounts[(interrupt ? 32 : 0) + (int)(cause & 31)]++;
        var deleg = interrupt ? _mideleg : _medeleg;
        var causeBits = interrupt ? cause | (1UL << 63) : cause;
        if (Priv <= PrivS && ((deleg >> (int)cause) & 1) != 0)
        {
            _scause = causeBits;
            _sepc = Pc;
            _stval = tval;
            var s = _mstatus;
            s = (s & ~MstatusSpie) | (((s & MstatusSie) != 0) ? MstatusSpie : 0);
            s &= ~MstatusSie;
            s = (s & ~MstatusSpp) | (Priv == PrivS ? MstatusSpp : 0);
            _mstatus = s;
            SetPriv(PrivS);
            Pc = (_stvec & ~3UL) + (interrupt && (_stvec & 1) != 0 ? 4 * cause : 0);
        }
        else
        {
            _mcause = causeBits;
            _mepc = Pc;
            _mtval = tval;
            var s = _mstatus;
            s = (s & ~MstatusMpie) | (((s & MstatusMie) != 0) ? MstatusMpie : 0);
            s &= ~MstatusMie;
            s = (s & ~MstatusMpp) | ((ulong)Priv << 11);
            _mstatus = s;
            SetPriv(PrivM);
            Pc = (_mtvec & ~3UL) + (interrupt && (_mtvec & 1) != 0 ? 4 * cause : 0);
        }

        _stopBatch = true;
    }

    /// <summary>True when some interrupt is pending and enabled in mie (wakes WFI even when globally masked).</summary>
    internal bool WakeupPending => (Mip & _mie) != 0;

    /// <summary>Takes the highest-priority pending, enabled interrupt; true when one was taken.</summary>
    internal bool CheckInterrupts()
    {
        var pending = Mip & _mie;
        if (pending == 0)
            return false;
        var mEnabled = Priv < PrivM || (_mstatus & MstatusMie) != 0;
        var sEnabled = Priv < PrivS || (Priv == PrivS && (_mstatus & MstatusSie) != 0);
        var candidates = (mEnabled ? pending & ~_mideleg : 0) | (sEnabled ? pending & _mideleg : 0);
        if (candidates == 0)
            return false;
        int cause;
        if ((candidates & MipMeip) != 0) cause = Cause.Mei;
        else if ((candidates & MipMsip) != 0) cause = Cause.Msi;
        else if ((candidates & MipMtip) != 0) cause = Cause.Mti;
        else if ((candidates & MipSeip) != 0) cause = Cause.Sei;
        else if ((candidates & MipSsip) != 0) cause = Cause.Ssi;
        else cause = Cause.Sti;
        Waiting = false;
        TakeTrap((ulong)cause, 0, interrupt: true);
        return true;
    }
}
