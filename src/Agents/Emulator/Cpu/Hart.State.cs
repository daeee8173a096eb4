namespace Ringmaster.Emulator.Cpu;

/// <summary>Snapshot of everything a hart holds.</summary>
internal sealed partial class Hart
{
    public void SaveState(BinaryWriter w)
    {
        foreach (var v in X) w.Write(v);
        foreach (var v in F) w.Write(v);
        w.Write(Pc);
        w.Write(Priv);
        w.Write(Instret);
        w.Write(Waiting);
        w.Write(Reservation);
        foreach (var v in new[]
        {
            _mstatus, _mtvec, _medeleg, _mideleg, _mie, _mscratch, _mepc, _mcause, _mtval, _mcounteren, _menvcfg, _mcountinhibit,
            _stvec, _sscratch, _sepc, _scause, _stval, _scounteren, _senvcfg, _satp, _mipSoft, MipHw, _cycleOffset, _instretOffset,
        })
        {
            w.Write(v);
        }

        w.Write(_fflags);
        w.Write(_frm);
        foreach (var v in _pmpaddr) w.Write(v);
        foreach (var v in _pmpcfg) w.Write(v);
        // The trigger CSRs (Hart.Trigger.cs) hold no state on a hart without triggers: nothing to save.
    }

    public void LoadState(BinaryReader r)
    {
        for (var i = 0; i < 32; i++) X[i] = r.ReadUInt64();
        for (var i = 0; i < 32; i++) F[i] = r.ReadUInt64();
        Pc = r.ReadUInt64();
        var priv = r.ReadInt32();
        SwitchTlbSet(Priv, priv);
        Priv = priv;
        Instret = r.ReadUInt64();
        Waiting = r.ReadBoolean();
        Reservation = r.ReadUInt64();
        _mstatus = r.ReadUInt64(); _mtvec = r.ReadUInt64(); _medeleg = r.ReadUInt64(); _mideleg = r.ReadUInt64();
        _mie = r.ReadUInt64(); _mscratch = r.ReadUInt64(); _mepc = r.ReadUInt64(); _mcause = r.ReadUInt64();
        _mtval = r.ReadUInt64(); _mcounteren = r.ReadUInt64(); _menvcfg = r.ReadUInt64(); _mcountinhibit = r.ReadUInt64();
        _stvec = r.ReadUInt64(); _sscratch = r.ReadUInt64(); _sepc = r.ReadUInt64(); _scause = r.ReadUInt64();
        _stval = r.ReadUInt64(); _scounteren = r.ReadUInt64(); _senvcfg = r.ReadUInt64(); _satp = r.ReadUInt64();
        _mipSoft = r.ReadUInt64(); MipHw = r.ReadUInt64(); _cycleOffset = r.ReadUInt64(); _instretOffset = r.ReadUInt64();
        _fflags = r.ReadUInt32();
        _frm = r.ReadUInt32();
        for (var i = 0; i < _pmpaddr.Length; i++) _pmpaddr[i] = r.ReadUInt64();
        for (var i = 0; i < _pmpcfg.Length; i++) _pmpcfg[i] = r.ReadUInt64();
        PmpDecode();
    }
}
