using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Ringmaster.Emulator.Devices;

/// <summary>virtio-blk (device 2) over a <see cref="DiskBackend"/>.</summary>
internal sealed class VirtioBlock(int slot, Bus bus, Plic plic, DiskBackend disk) : VirtioMmio(slot, bus, plic, 1)
{
    private const ulong FeatureReadOnly = 1UL << 5, FeatureFlush = 1UL << 9;
    private readonly List<Buffer> _chain = [];

    public DiskBackend Disk => disk;

    protected override uint DeviceId => 2;

    protected override ulong DeviceFeatures => FeatureVersion1 | FeatureFlush | (disk.ReadOnly ? FeatureReadOnly : 0);

    protected override uint ConfigRead(ulong offset, int size)
    {
        var capacity = (ulong)disk.Length / 512;
        return offset switch
        {
            0 => (uint)capacity,
            4 => (uint)(capacity >> 32),
            _ => 0,
        };
    }

    protected override void QueueNotify(int queue)
    {
        while (TryPop(0, out var head, _chain))
        {
            if (_chain.Count < 2 || _chain[0].Writable || _chain[0].Length < 16 || !_chain[^1].Writable)
            {
                PushUsed(0, head, 0);
                continue;
            }

            var hdr = new byte[16];
            Bus.DmaRead(_chain[0].Address, hdr);
            var type = BinaryPrimitives.ReadUInt32LittleEndian(hdr);
            var sector = BinaryPrimitives.ReadUInt64LittleEndian(hdr.AsSpan(8));
            byte status = 0;
            uint written = 0;
            var pos = (long)sector * 512;
            try
            {
                switch (type)
                {
                    case 0: // VIRTIO_BLK_T_IN
                        for (var i = 1; i < _chain.Count - 1; i++)
                        {
                            var b = _chain[i];
                            if (pos + b.Length > disk.Length) { status = 1; break; }
                            var buf = new byte[b.Length];
                            disk.Read(pos, buf);
                            Bus.DmaWrite(b.Address, buf);
                            pos += b.Length;
                            written += b.Length;
                        }

                        break;
                    case 1: // VIRTIO_BLK_T_OUT
                        if (disk.ReadOnly) { status = 1; break; }
                        for (var i = 1; i < _chain.Count - 1; i++)
                        {
                            var b = _chain[i];
                            if (pos + b.Length > disk.Length) { status = 1; break; }
                            var buf = new byte[b.Length];
                            Bus.DmaRead(b.Address, buf);
                            disk.Write(pos, buf);
                            pos += b.Length;
                        }

                        break;
                    case 4: // VIRTIO_BLK_T_FLUSH
                        disk.Flush();
                        break;
                    case 8: // VIRTIO_BLK_T_GET_ID
                        if (_chain.Count > 2)
                        {
                            var id = new byte[20];
                            "ringmaster-disk"u8.CopyTo(id);
                            written = ScatterWritable(_chain.GetRange(1, _chain.Count - 2), id);
                        }

                        break;
                    default:
                        status = 2; // UNSUPP
                        break;
                }
            }
            catch (IOException)
            {
                status = 1;
            }

            Bus.DmaWrite(_chain[^1].Address, [status]);
            PushUsed(0, head, written + 1);
        }
    }
}

/// <summary>virtio-rng (device 4): fills every buffer with random bytes.</summary>
internal sealed class VirtioRng(int slot, Bus bus, Plic plic, bool deterministic) : VirtioMmio(slot, bus, plic, 1)
{
    private readonly List<Buffer> _chain = [];
    private readonly Random _prng = new(12345);

    protected override uint DeviceId => 4;

    protected override ulong DeviceFeatures => FeatureVersion1;

    protected override uint ConfigRead(ulong offset, int size) => 0;

    protected override void QueueNotify(int queue)
    {
        while (TryPop(0, out var head, _chain))
        {
            var total = 0;
            foreach (var b in _chain)
                if (b.Writable) total += (int)b.Length;
            var data = new byte[Math.Min(total, 4096)];
            if (deterministic) _prng.NextBytes(data);
            else RandomNumberGenerator.Fill(data);
            PushUsed(0, head, ScatterWritable(_chain, data));
        }
    }
}

/// <summary>virtio-console (device 3): one port, receive queue 0 and transmit queue 1.</summary>
internal sealed class VirtioConsole(int slot, Bus bus, Plic plic, Action<byte> output) : VirtioMmio(slot, bus, plic, 2)
{
    private readonly List<Buffer> _chain = [];
    private readonly ConcurrentQueue<byte> _input = new();

    protected override uint DeviceId => 3;

    protected override ulong DeviceFeatures => FeatureVersion1;

    protected override uint ConfigRead(ulong offset, int size) => offset == 0 ? (24u << 16) | 80u : 0;

    public void Enqueue(ReadOnlySpan<byte> data)
    {
        foreach (var b in data) _input.Enqueue(b);
    }

    protected override void QueueNotify(int queue)
    {
        if (queue == 1)
        {
            while (TryPop(1, out var head, _chain))
            {
                foreach (var b in GatherReadable(_chain))
                    output(b);
                PushUsed(1, head, 0);
            }
        }
        else
        {
            Poll();
        }
    }

    public override void Poll()
    {
        if (_input.IsEmpty || !DriverOk || !QueueReady(0))
            return;
        if (!TryPop(0, out var head, _chain))
            return;
        var cap = 0;
        foreach (var b in _chain)
            if (b.Writable) cap += (int)b.Length;
        var data = new List<byte>();
        while (data.Count < cap && _input.TryDequeue(out var c))
            data.Add(c);
        PushUsed(0, head, ScatterWritable(_chain, data.ToArray()));
    }
}

/// <summary>virtio-net (device 1): frames to and from an <see cref="INetworkEndpoint"/>.</summary>
internal sealed class VirtioNet(int slot, Bus bus, Plic plic, INetworkEndpoint endpoint) : VirtioMmio(slot, bus, plic, 2)
{
    private const int HeaderSize = 12;
    private const int MaxFrame = 65535 + 14;
    private const ulong FeatureMac = 1UL << 5;
    private readonly List<Buffer> _chain = [];
    private byte[]? _pendingRx;

    protected override uint DeviceId => 1;

    protected override ulong DeviceFeatures => FeatureVersion1 | FeatureMac;

    protected override uint ConfigRead(ulong offset, int size)
    {
        var mac = endpoint.Mac;
        uint v = 0;
        for (var i = 0; i < size; i++)
        {
            var o = (int)offset + i;
            v |= (uint)(o < 6 && o < mac.Length ? mac[o] : 0) << (8 * i);
        }

        return v;
    }

    protected override void QueueNotify(int queue)
    {
        if (queue == 1)
        {
            while (TryPop(1, out var head, _chain))
            {
                // A chain longer than any Ethernet frame (a confused or hostile driver) is returned unsent.
                long total = 0;
                foreach (var b in _chain)
                    if (!b.Writable) total += b.Length;
                if (total <= HeaderSize + MaxFrame)
                    endpoint.Send(GatherReadable(_chain, HeaderSize));
                PushUsed(1, head, 0);
            }
        }
        else
        {
            Poll();
        }
    }

    public override void Poll()
    {
        if (!DriverOk || !QueueReady(0))
            return;
        for (var n = 0; n < 16; n++)
        {
            if (_pendingRx is null && !endpoint.TryReceive(out _pendingRx))
                return;
            if (!TryPop(0, out var head, _chain))
                return;
            var pkt = new byte[HeaderSize + _pendingRx!.Length];
            pkt[10] = 1; // num_buffers
            _pendingRx.CopyTo(pkt, HeaderSize);
            _pendingRx = null;
            PushUsed(0, head, ScatterWritable(_chain, pkt));
        }
    }
}
