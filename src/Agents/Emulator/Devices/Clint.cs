namespace Ringmaster.Emulator.Devices;

/// <summary>
/// SiFive CLINT: per-hart msip (0x0 + 4n) and mtimecmp (0x4000 + 8n), and the shared mtime
/// (0xBFF8) read from the machine clock.
/// </summary>
internal sealed class Clint : IMmioDevice, IStatefulDevice
{
    private readonly Func<ulong> _mtime;
    private readonly Action<ulong> _setMtime;

    public Clint(int harts, Func<ulong> mtime, Action<ulong> setMtime)
    {
        Msip = new bool[harts];
        Mtimecmp = new ulong[harts];
        Array.Fill(Mtimecmp, ulong.MaxValue);
        _mtime = mtime;
        _setMtime = setMtime;
    }

    public bool[] Msip { get; }

    public ulong[] Mtimecmp { get; }

    public ulong Read(ulong offset, int size)
    {
        if (offset < 0x4000)
        {
            var h = (int)(offset / 4);
            return h < Msip.Length && (offset & 3) == 0 ? (Msip[h] ? 1UL : 0) : 0;
        }

        if (offset >= 0x4000 && offset < 0x4000 + 8 * (ulong)Mtimecmp.Length)
        {
            var h = (int)((offset - 0x4000) / 8);
            return Slice(Mtimecmp[h], offset & 7, size);
        }

        if (offset >= 0xBFF8 && offset < 0xC000)
            return Slice(_mtime(), offset - 0xBFF8, size);
        return 0;
    }

    public void Write(ulong offset, int size, ulong value)
    {
        if (offset < 0x4000)
        {
            var h = (int)(offset / 4);
            if (h < Msip.Length && (offset & 3) == 0)
                Msip[h] = (value & 1) != 0;
            return;
        }

        if (offset >= 0x4000 && offset < 0x4000 + 8 * (ulong)Mtimecmp.Length)
        {
            var h = (int)((offset - 0x4000) / 8);
            Mtimecmp[h] = Merge(Mtimecmp[h], offset & 7, size, value);
            return;
        }

        if (offset >= 0xBFF8 && offset < 0xC000)
            _setMtime(Merge(_mtime(), offset - 0xBFF8, size, value));
    }

    private static ulong Slice(ulong reg, ulong byteOffset, int size)
    {
        var v = reg >> (int)(8 * byteOffset);
        return size >= 8 ? v : v & ((1UL << (8 * size)) - 1);
    }

    private static ulong Merge(ulong reg, ulong byteOffset, int size, ulong value)
    {
        if (size >= 8)
            return value;
        var shift = (int)(8 * byteOffset);
        var mask = ((1UL << (8 * size)) - 1) << shift;
        return (reg & ~mask) | ((value << shift) & mask);
    }

    public void SaveState(BinaryWriter w)
    {
        foreach (var m in Msip) w.Write(m);
        foreach (var t in Mtimecmp) w.Write(t);
    }

    public void LoadState(BinaryReader r)
    {
        for (var i = 0; i < Msip.Length; i++) Msip[i] = r.ReadBoolean();
        for (var i = 0; i < Mtimecmp.Length; i++) Mtimecmp[i] = r.ReadUInt64();
    }
}
