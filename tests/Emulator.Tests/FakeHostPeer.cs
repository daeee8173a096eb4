using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace Ringmaster.Emulator.Tests;

/// <summary>
/// A host on the guest's Ethernet segment, for tests: answers ARP for its address and ICMP echo
/// requests; keeps every frame the guest sent.
/// </summary>
internal sealed class FakeHostPeer(byte[] ip) : INetworkEndpoint
{
    private static readonly byte[] s_guestMac = [0x52, 0x54, 0x00, 0xab, 0xcd, 0xef];
    private readonly ConcurrentQueue<byte[]> _toGuest = new();
    private Action? _frameArrived;

    /// <summary>The peer's own MAC address.</summary>
    public byte[] PeerMac { get; } = [0x52, 0x54, 0x00, 0x12, 0x35, 0x02];

    public ReadOnlySpan<byte> Mac => s_guestMac;

    public List<byte[]> FromGuest { get; } = [];

    public void Attach(Action frameArrived) => _frameArrived = frameArrived;

    public bool TryReceive(out byte[] frame) => _toGuest.TryDequeue(out frame!);

    public void Send(ReadOnlySpan<byte> frame)
    {
        lock (FromGuest)
            FromGuest.Add(frame.ToArray());
        var reply = Answer(frame);
        if (reply is not null)
        {
            _toGuest.Enqueue(reply);
            _frameArrived?.Invoke();
        }
    }

    private byte[]? Answer(ReadOnlySpan<byte> f)
    {
        if (f.Length < 42)
            return null;
        var type = BinaryPrimitives.ReadUInt16BigEndian(f[12..]);
        if (type == 0x0806 && BinaryPrimitives.ReadUInt16BigEndian(f[20..]) == 1 && f.Slice(38, 4).SequenceEqual(ip))
        {
            var r = new byte[42];
            f[6..12].CopyTo(r);                 // to the asker
            PeerMac.CopyTo(r, 6);
            f[12..20].CopyTo(r.AsSpan(12));      // ethertype, htype, ptype, sizes
            r[21] = 2;                           // reply
            PeerMac.CopyTo(r, 22);
            ip.CopyTo(r, 28);
            f[22..32].CopyTo(r.AsSpan(32));      // target = the asker's MAC and IP
            return r;
        }

        if (type != 0x0800 || !f.Slice(30, 4).SequenceEqual(ip))
            return null;
        var ihl = (f[14] & 0xf) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(f[16..]);
        if (14 + totalLength > f.Length)
            return null;
        var reply = f[..(14 + totalLength)].ToArray();
        var l4 = 14 + ihl;
        if (f[23] != 1 || f[l4] != 8)
            return null; // only ICMP echo requests
        reply[l4] = 0; // echo reply
        reply[l4 + 2] = reply[l4 + 3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(l4 + 2), Checksum(reply.AsSpan(l4, totalLength - ihl)));

        // Swap the Ethernet and IP addresses, fresh IP checksum.
        f[6..12].CopyTo(reply);
        PeerMac.CopyTo(reply, 6);
        f.Slice(26, 4).CopyTo(reply.AsSpan(30));
        ip.CopyTo(reply, 26);
        reply[24] = reply[25] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(24), Checksum(reply.AsSpan(14, ihl)));
        return reply;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0)
            sum += (uint)data[^1] << 8;
        while ((sum >> 16) != 0)
            sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }
}
