namespace Ringmaster.Emulator.Devices;

/// <summary>
/// SiFive PLIC with level-triggered sources 1..<see cref="MemoryMap.PlicSources"/> and two contexts per
/// hart (2n = M mode, 2n + 1 = S mode). Priorities at 0x0, pending at 0x1000, enables at
/// 0x2000 + 0x80 * ctx, threshold and claim/complete at 0x20_0000 + 0x1000 * ctx.
/// </summary>
internal sealed class Plic : IMmioDevice, IStatefulDevice
{
    private const int Sources = MemoryMap.PlicSources + 1;
    private readonly uint[] _priority = new uint[Sources];
    private readonly bool[] _level = new bool[Sources];
    private readonly bool[] _pending = new bool[Sources];
    private readonly bool[] _claimed = new bool[Sources];
    private readonly uint[] _enable;
    private readonly uint[] _threshold;

    public Plic(int harts)
    {
        Contexts = harts * 2;
        _enable = new uint[Contexts];
        _threshold = new uint[Contexts];
    }

    public int Contexts { get; }

    /// <summary>Drives a source's interrupt line.</summary>
    public void SetLevel(int irq, bool high)
    {
        if (irq <= 0 || irq >= Sources)
            return;
        _level[irq] = high;
        if (high && !_claimed[irq])
            _pending[irq] = true;
        else if (!high)
            _pending[irq] = false;
    }

    /// <summary>True when the context has a pending, enabled source above its threshold.</summary>
    public bool ContextPending(int ctx) => Best(ctx) != 0;

    private int Best(int ctx)
    {
        var best = 0;
        uint bestPrio = 0;
        var en = _enable[ctx];
        for (var i = 1; i < Sources; i++)
        {
            if (_pending[i] && ((en >> i) & 1) != 0 && _priority[i] > _threshold[ctx] && _priority[i] > bestPrio)
            {
                best = i;
                bestPrio = _priority[i];
            }
        }

        return best;
    }

    public ulong Read(ulong offset, int size)
    {
        if (offset < 0x1000)
        {
            var i = (int)(offset / 4);
            return i < Sources ? _priority[i] : 0;
        }

        if (offset == 0x1000)
        {
            uint v = 0;
            for (var i = 1; i < Sources; i++)
                if (_pending[i]) v |= 1u << i;
            return v;
        }

        if (offset >= 0x2000 && offset < 0x20_0000)
        {
            var ctx = (int)((offset - 0x2000) / 0x80);
            return ctx < Contexts && (offset & 0x7f) == 0 ? _enable[ctx] : 0;
        }

        if (offset >= 0x20_0000)
        {
            var ctx = (int)((offset - 0x20_0000) / 0x1000);
            if (ctx >= Contexts)
                return 0;
            switch (offset & 0xfff)
            {
                case 0: return _threshold[ctx];
                case 4: // claim
                {
                    var best = Best(ctx);
                    if (best != 0)
                    {
                        _pending[best] = false;
                        _claimed[best] = true;
                    }

                    return (ulong)best;
                }
            }
        }

        return 0;
    }

    public void Write(ulong offset, int size, ulong value)
    {
        if (offset < 0x1000)
        {
            var i = (int)(offset / 4);
            if (i > 0 && i < Sources) _priority[i] = (uint)value & 7;
            return;
        }

        if (offset >= 0x2000 && offset < 0x20_0000)
        {
            var ctx = (int)((offset - 0x2000) / 0x80);
            if (ctx < Contexts && (offset & 0x7f) == 0) _enable[ctx] = (uint)value & ~1u;
            return;
        }

        if (offset >= 0x20_0000)
        {
            var ctx = (int)((offset - 0x20_0000) / 0x1000);
            if (ctx >= Contexts)
                return;
            switch (offset & 0xfff)
            {
                case 0: _threshold[ctx] = (uint)value & 7; break;
                case 4: // complete
                {
                    var irq = (int)value;
                    if (irq > 0 && irq < Sources && _claimed[irq])
                    {
                        _claimed[irq] = false;
                        if (_level[irq]) _pending[irq] = true;
                    }

                    break;
                }
            }
        }
    }

    public void SaveState(BinaryWriter w)
    {
        for (var i = 0; i < Sources; i++)
        {
            w.Write(_priority[i]);
            w.Write(_level[i]);
            w.Write(_pending[i]);
            w.Write(_claimed[i]);
        }

        for (var c = 0; c < Contexts; c++)
        {
            w.Write(_enable[c]);
            w.Write(_threshold[c]);
        }
    }

    public void LoadState(BinaryReader r)
    {
        for (var i = 0; i < Sources; i++)
        {
            _priority[i] = r.ReadUInt32();
            _level[i] = r.ReadBoolean();
            _pending[i] = r.ReadBoolean();
            _claimed[i] = r.ReadBoolean();
        }

        for (var c = 0; c < Contexts; c++)
        {
            _enable[c] = r.ReadUInt32();
            _threshold[c] = r.ReadUInt32();
        }
    }
}
