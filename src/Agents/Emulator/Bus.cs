using System.Runtime.InteropServices;
using Ringmaster.Emulator.Devices;

namespace Ringmaster.Emulator;

/// <summary>
/// The physical address space the harts see: RAM and the boot ROM as pinned host memory, devices
/// behind <see cref="IMmioDevice"/> at the bases listed in <see cref="MemoryMap"/>.
/// </summary>
internal sealed unsafe class Bus
{
    public const int PageShift = 12;
    public const ulong PageSize = 1UL << PageShift;

    private readonly byte[] _ram;
    private readonly byte[] _rom;
    private Mapping[] _mappings = [];
    private readonly bool[] _dirty;

    private readonly record struct Mapping(ulong Base, ulong Size, IMmioDevice Device);

    public Bus(ulong ramSize)
    {
        RamSize = ramSize;
        _ram = GC.AllocateArray<byte>(checked((int)ramSize), pinned: true);
        _rom = GC.AllocateArray<byte>((int)MemoryMap.BootRomSize, pinned: true);
        RamPtr = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_ram, 0);
        RomPtr = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_rom, 0);
        _dirty = new bool[ramSize >> PageShift];
    }

    public ulong RamSize { get; }

    public byte* RamPtr { get; }

    public byte* RomPtr { get; }

    public byte[] Ram => _ram;

    public byte[] Rom => _rom;

    /// <summary>A RAM page whose writes end the current batch (HTIF tohost), or ulong.MaxValue.</summary>
    public ulong WatchPage = ulong.MaxValue;

    /// <summary>Raised when a write to a device may have changed an interrupt line.</summary>
    public bool DeviceTouched;

    public void Map(ulong baseAddress, ulong size, IMmioDevice device) =>
        _mappings = [.. _mappings, new Mapping(baseAddress, size, device)];

    public bool IsRam(ulong pa, ulong len) =>
        pa >= MemoryMap.RamBase && pa - MemoryMap.RamBase < RamSize && len <= RamSize - (pa - MemoryMap.RamBase);

    /// <summary>Host address of the page holding <paramref name="pa"/> when it is RAM or ROM, else null.</summary>
    public byte* HostPage(ulong pa, bool write)
    {
        var page = pa & ~(PageSize - 1);
        if (page >= MemoryMap.RamBase && page - MemoryMap.RamBase < RamSize)
        {
            if (write)
                _dirty[(page - MemoryMap.RamBase) >> PageShift] = true;
            return RamPtr + (page - MemoryMap.RamBase);
        }

        if (!write && page == MemoryMap.BootRomBase)
            return RomPtr;
        return null;
    }

    public bool MmioRead(ulong pa, int size, out ulong value)
    {
        foreach (var m in _mappings)
        {
            if (pa - m.Base < m.Size)
            {
                value = m.Device.Read(pa - m.Base, size);
                return true;
            }
        }

        value = 0;
        return false;
    }

    public bool MmioWrite(ulong pa, int size, ulong value)
    {
        foreach (var m in _mappings)
        {
            if (pa - m.Base < m.Size)
            {
                m.Device.Write(pa - m.Base, size, value);
                DeviceTouched = true;
                return true;
            }
        }

        return false;
    }

    /// <summary>Device (DMA) access to guest RAM; false when the range is not RAM.</summary>
    public bool DmaRead(ulong pa, Span<byte> dest)
    {
        if (!IsRam(pa, (ulong)dest.Length))
            return false;
        _ram.AsSpan((int)(pa - MemoryMap.RamBase), dest.Length).CopyTo(dest);
        return true;
    }

    public bool DmaWrite(ulong pa, ReadOnlySpan<byte> src)
    {
        if (!IsRam(pa, (ulong)src.Length))
            return false;
        src.CopyTo(_ram.AsSpan((int)(pa - MemoryMap.RamBase), src.Length));
        if (src.Length > 0)
        {
            for (var p = (pa - MemoryMap.RamBase) >> PageShift; p <= (pa - MemoryMap.RamBase + (ulong)src.Length - 1) >> PageShift; p++)
                _dirty[p] = true;
        }

        return true;
    }

    public ushort DmaRead16(ulong pa) => IsRam(pa, 2) ? *(ushort*)(RamPtr + (pa - MemoryMap.RamBase)) : (ushort)0;

    public uint DmaRead32(ulong pa) => IsRam(pa, 4) ? *(uint*)(RamPtr + (pa - MemoryMap.RamBase)) : 0;

    public ulong DmaRead64(ulong pa) => IsRam(pa, 8) ? *(ulong*)(RamPtr + (pa - MemoryMap.RamBase)) : 0;

    public void DmaWrite16(ulong pa, ushort v) => DmaWrite(pa, MemoryMarshal.AsBytes(new ReadOnlySpan<ushort>(in v)));

    public void DmaWrite32(ulong pa, uint v) => DmaWrite(pa, MemoryMarshal.AsBytes(new ReadOnlySpan<uint>(in v)));

    // Decoded-instruction cache: one array per physical page that code ran from, made on first use.
    // Entries validate themselves against memory (see DecodedOp), so writes need not invalidate them.
    private Cpu.DecodedOp[]?[]? _decodedRam;
    private Cpu.DecodedOp[]? _decodedRom;

    /// <summary>The decoded-instruction slots of the RAM or ROM page holding <paramref name="pa"/> (2048 slots, one per halfword).</summary>
    public Cpu.DecodedOp[] DecodedPage(ulong pa)
    {
        var page = pa & ~(PageSize - 1);
        if (page >= MemoryMap.RamBase && page - MemoryMap.RamBase < RamSize)
        {
            _decodedRam ??= new Cpu.DecodedOp[]?[RamSize >> PageShift];
            var i = (int)((page - MemoryMap.RamBase) >> PageShift);
            return _decodedRam[i] ??= new Cpu.DecodedOp[PageSize / 2];
        }

        return _decodedRom ??= new Cpu.DecodedOp[PageSize / 2];
    }

    public void ClearDirty() => Array.Clear(_dirty);

    public IReadOnlyList<ulong> DirtyPages()
    {
        var list = new List<ulong>();
        for (var i = 0; i < _dirty.Length; i++)
        {
            if (_dirty[i])
                list.Add(MemoryMap.RamBase + ((ulong)i << PageShift));
        }

        return list;
    }
}
