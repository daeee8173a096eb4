namespace Ringmaster.Emulator.Devices;

/// <summary>
/// virtio-mmio transport, version 2 (split virtqueues, no indirect descriptors, no event index).
/// Each device type derives from it and handles its queues when notified or polled.
/// </summary>
internal abstract class VirtioMmio : IMmioDevice, IStatefulDevice
{
    protected const ulong FeatureVersion1 = 1UL << 32;
    private const int QueueNumMax = 256;
    private const ushort DescNext = 1, DescWrite = 2;

    protected readonly Bus Bus;
    private readonly Plic _plic;
    private readonly Queue[] _queues;
    private uint _deviceFeaturesSel, _driverFeaturesSel, _queueSel, _status, _interruptStatus;
    private ulong _driverFeatures;

    protected VirtioMmio(int slot, Bus bus, Plic plic, int queueCount)
    {
        Slot = slot;
        Bus = bus;
        _plic = plic;
        _queues = new Queue[queueCount];
        for (var i = 0; i < queueCount; i++)
            _queues[i] = new Queue();
    }

    private sealed class Queue
    {
        public uint Num = QueueNumMax;
        public bool Ready;
        public ulong Desc, Driver, Device;
        public ushort LastAvail;
    }

    public int Slot { get; }

    protected abstract uint DeviceId { get; }

    protected abstract ulong DeviceFeatures { get; }

    protected abstract uint ConfigRead(ulong offset, int size);

    protected abstract void QueueNotify(int queue);

    /// <summary>Checks host-side input (machine thread).</summary>
    public virtual void Poll()
    {
    }

    protected bool DriverOk => (_status & 4) != 0;

    protected bool QueueReady(int q) => _queues[q].Ready;

    public ulong Read(ulong offset, int size)
    {
        if (offset >= 0x100)
            return ConfigRead(offset - 0x100, size);
        var q = _queueSel < _queues.Length ? _queues[_queueSel] : null;
        return offset switch
        {
            0x000 => 0x74726976,                     // MagicValue "virt"
            0x004 => 2,                              // Version
            0x008 => DeviceId,                       // DeviceID
            0x00c => 0x554D4551,                     // VendorID
            0x010 => _deviceFeaturesSel switch       // DeviceFeatures
            {
                0 => (uint)DeviceFeatures,
                1 => (uint)(DeviceFeatures >> 32),
                _ => 0,
            },
            0x034 => q is null ? 0UL : QueueNumMax,  // QueueNumMax
            0x044 => q is { Ready: true } ? 1UL : 0, // QueueReady
            0x060 => _interruptStatus,               // InterruptStatus
            0x070 => _status,                        // Status
            0x0fc => 0,                              // ConfigGeneration
            _ => 0,
        };
    }

    public void Write(ulong offset, int size, ulong value)
    {
        var v = (uint)value;
        var q = _queueSel < _queues.Length ? _queues[_queueSel] : null;
        switch (offset)
        {
            case 0x014: _deviceFeaturesSel = v; break;
            case 0x020:
                if (_driverFeaturesSel == 0) _driverFeatures = (_driverFeatures & ~0xffff_ffffUL) | v;
                else if (_driverFeaturesSel == 1) _driverFeatures = (_driverFeatures & 0xffff_ffffUL) | ((ulong)v << 32);
                break;
            case 0x024: _driverFeaturesSel = v; break;
            case 0x030: _queueSel = v; break;
            case 0x038: if (q is not null && v is > 0 and <= QueueNumMax && (v & (v - 1)) == 0) q.Num = v; break;
            case 0x044: if (q is not null) q.Ready = (v & 1) != 0; break;
            case 0x050: if (v < _queues.Length && _queues[v].Ready && DriverOk) QueueNotify((int)v); break;
            case 0x064:
                _interruptStatus &= ~v;
                UpdateIrq();
                break;
            case 0x070:
                if (v == 0)
                    ResetDevice();
                else
                    _status = v;
                break;
            case 0x080: if (q is not null) q.Desc = (q.Desc & ~0xffff_ffffUL) | v; break;
            case 0x084: if (q is not null) q.Desc = (q.Desc & 0xffff_ffffUL) | ((ulong)v << 32); break;
            case 0x090: if (q is not null) q.Driver = (q.Driver & ~0xffff_ffffUL) | v; break;
            case 0x094: if (q is not null) q.Driver = (q.Driver & 0xffff_ffffUL) | ((ulong)v << 32); break;
            case 0x0a0: if (q is not null) q.Device = (q.Device & ~0xffff_ffffUL) | v; break;
            case 0x0a4: if (q is not null) q.Device = (q.Device & 0xffff_ffffUL) | ((ulong)v << 32); break;
            default:
                if (offset >= 0x100)
                    ConfigWrite(offset - 0x100, size, value);
                break;
        }
    }

    protected virtual void ConfigWrite(ulong offset, int size, ulong value)
    {
    }

    public virtual void ResetDevice()
    {
        _status = 0;
        _interruptStatus = 0;
        _driverFeatures = 0;
        _queueSel = _deviceFeaturesSel = _driverFeaturesSel = 0;
        foreach (var q in _queues)
        {
            q.Num = QueueNumMax;
            q.Ready = false;
            q.Desc = q.Driver = q.Device = 0;
            q.LastAvail = 0;
        }

        UpdateIrq();
    }

    private void UpdateIrq() => _plic.SetLevel(MemoryMap.VirtioFirstIrq + Slot, _interruptStatus != 0);

    /// <summary>A descriptor chain: its buffers, each readable (driver → device) or writable.</summary>
    protected readonly record struct Buffer(ulong Address, uint Length, bool Writable);

    /// <summary>Takes the next available chain from a queue; false when none.</summary>
    protected bool TryPop(int qi, out ushort head, List<Buffer> chain)
    {
        chain.Clear();
        head = 0;
        var q = _queues[qi];
        if (!q.Ready)
            return false;
        var availIdx = Bus.DmaRead16(q.Driver + 2);
        if (availIdx == q.LastAvail)
            return false;
        head = Bus.DmaRead16(q.Driver + 4 + 2UL * (q.LastAvail % q.Num));
        q.LastAvail++;
        var i = head;
        for (var guard = 0; guard < q.Num; guard++)
        {
            var d = q.Desc + 16UL * (i % q.Num);
            var addr = Bus.DmaRead64(d);
            var len = Bus.DmaRead32(d + 8);
            var flags = Bus.DmaRead16(d + 12);
            var next = Bus.DmaRead16(d + 14);
            chain.Add(new Buffer(addr, len, (flags & DescWrite) != 0));
            if ((flags & DescNext) == 0)
                break;
            i = next;
        }

        return true;
    }

    /// <summary>Returns a chain to the driver with the number of bytes written, and raises the interrupt.</summary>
    protected void PushUsed(int qi, ushort head, uint written)
    {
        var q = _queues[qi];
        var idx = Bus.DmaRead16(q.Device + 2);
        var e = q.Device + 4 + 8UL * (idx % q.Num);
        Bus.DmaWrite32(e, head);
        Bus.DmaWrite32(e + 4, written);
        Bus.DmaWrite16(q.Device + 2, (ushort)(idx + 1));
        _interruptStatus |= 1;
        UpdateIrq();
    }

    /// <summary>Gathers the readable part of a chain.</summary>
    protected byte[] GatherReadable(List<Buffer> chain, int skip = 0)
    {
        var total = 0;
        foreach (var b in chain)
            if (!b.Writable) total += (int)b.Length;
        var data = new byte[Math.Max(0, total)];
        var o = 0;
        foreach (var b in chain)
        {
            if (b.Writable) continue;
            Bus.DmaRead(b.Address, data.AsSpan(o, (int)b.Length));
            o += (int)b.Length;
        }

        return skip == 0 ? data : data[Math.Min(skip, data.Length)..];
    }

    /// <summary>Scatters <paramref name="data"/> into the writable part of a chain; returns bytes written.</summary>
    protected uint ScatterWritable(List<Buffer> chain, ReadOnlySpan<byte> data)
    {
        var o = 0;
        foreach (var b in chain)
        {
            if (!b.Writable || o >= data.Length) continue;
            var n = Math.Min((int)b.Length, data.Length - o);
            Bus.DmaWrite(b.Address, data.Slice(o, n));
            o += n;
        }

        return (uint)o;
    }

    public virtual void SaveState(BinaryWriter w)
    {
        w.Write(_deviceFeaturesSel); w.Write(_driverFeaturesSel); w.Write(_queueSel); w.Write(_status);
        w.Write(_interruptStatus); w.Write(_driverFeatures);
        foreach (var q in _queues)
        {
            w.Write(q.Num); w.Write(q.Ready); w.Write(q.Desc); w.Write(q.Driver); w.Write(q.Device); w.Write(q.LastAvail);
        }
    }

    public virtual void LoadState(BinaryReader r)
    {
        _deviceFeaturesSel = r.ReadUInt32(); _driverFeaturesSel = r.ReadUInt32(); _queueSel = r.ReadUInt32(); _status = r.ReadUInt32();
        _interruptStatus = r.ReadUInt32(); _driverFeatures = r.ReadUInt64();
        foreach (var q in _queues)
        {
            q.Num = r.ReadUInt32(); q.Ready = r.ReadBoolean(); q.Desc = r.ReadUInt64(); q.Driver = r.ReadUInt64(); q.Device = r.ReadUInt64();
            q.LastAvail = r.ReadUInt16();
        }

        UpdateIrq();
    }
}

/// <summary>An empty virtio-mmio slot: valid magic and version, device ID 0 (the driver skips it).</summary>
internal sealed class EmptyVirtioSlot : IMmioDevice
{
    public ulong Read(ulong offset, int size) => offset switch
    {
        0x000 => 0x74726976,
        0x004 => 2,
        0x00c => 0x554D4551,
        _ => 0,
    };

    public void Write(ulong offset, int size, ulong value)
    {
    }
}
