using System.Collections.Concurrent;
using Ringmaster.Emulator;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>
/// A learning Ethernet switch between the VMs of one agent: each running VM's virtio-net card is
/// a <see cref="SwitchPort"/>. Frames go to the port that owns (or last sent from) the destination
/// MAC; broadcast, multicast and unknown destinations go to every other port. Frames are queued
/// per port (bounded; a full queue drops, as a congested switch does) and the receiving machine is
/// woken at once.
/// </summary>
public sealed class VirtualSwitch
{
    /// <summary>Largest frame forwarded: 1500-byte payload, Ethernet header and a VLAN tag.</summary>
    public const int MaxFrame = 1518;

    private readonly Lock _gate = new();
    private readonly List<SwitchPort> _ports = [];
    private readonly Dictionary<ulong, SwitchPort> _table = [];

    /// <summary>Ports connected now.</summary>
    public int PortCount
    {
        get
        {
            lock (_gate)
            {
                return _ports.Count;
            }
        }
    }

    /// <summary>Connects a card with the given MAC address (6 bytes, unicast).</summary>
    public SwitchPort Connect(ReadOnlySpan<byte> mac)
    {
        if (mac.Length != 6 || (mac[0] & 1) != 0)
        {
            throw new ArgumentException("A switch port needs a 6-byte unicast MAC address.", nameof(mac));
        }

        var port = new SwitchPort(this, mac.ToArray());
        lock (_gate)
        {
            _ports.Add(port);
            _table[Key(mac)] = port;
        }

        return port;
    }

    /// <summary>Removes a port and everything learned about it; frames still queued for it are dropped.</summary>
    public void Disconnect(SwitchPort port)
    {
        lock (_gate)
        {
            _ports.Remove(port);
            foreach (var key in _table.Where(e => ReferenceEquals(e.Value, port)).Select(e => e.Key).ToList())
            {
                _table.Remove(key);
            }
        }
    }

    internal void Forward(SwitchPort from, ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14 || frame.Length > MaxFrame)
        {
            return;
        }

        var copy = frame.ToArray();
        lock (_gate)
        {
            if (!_ports.Contains(from))
            {
                return;
            }

            if ((frame[6] & 1) == 0)
            {
                _table[Key(frame[6..12])] = from;
            }

            if ((frame[0] & 1) == 0 && _table.TryGetValue(Key(frame[..6]), out var to))
            {
                if (!ReferenceEquals(to, from))
                {
                    to.Deliver(copy);
                }

                return;
            }

            foreach (var port in _ports)
            {
                if (!ReferenceEquals(port, from))
                {
                    port.Deliver(copy);
                }
            }
        }
    }

    private static ulong Key(ReadOnlySpan<byte> mac)
    {
        ulong k = 0;
        foreach (var b in mac[..6])
        {
            k = (k << 8) | b;
        }

        return k;
    }
}

/// <summary>One VM's connection to a <see cref="VirtualSwitch"/>: the host side of its virtio-net card.</summary>
public sealed class SwitchPort : INetworkEndpoint
{
    /// <summary>Frames waiting for the guest before new ones are dropped.</summary>
    public const int MaxQueued = 512;

    private readonly VirtualSwitch _switch;
    private readonly byte[] _mac;
    private readonly ConcurrentQueue<byte[]> _inbox = new();
    private int _queued;
    private long _dropped;
    private Action? _frameArrived;

    internal SwitchPort(VirtualSwitch owner, byte[] mac)
    {
        _switch = owner;
        _mac = mac;
    }

    public ReadOnlySpan<byte> Mac => _mac;

    /// <summary>Frames dropped because the guest did not take them fast enough.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Attach(Action frameArrived) => _frameArrived = frameArrived;

    public void Send(ReadOnlySpan<byte> frame) => _switch.Forward(this, frame);

    public bool TryReceive(out byte[] frame)
    {
        if (_inbox.TryDequeue(out frame!))
        {
            Interlocked.Decrement(ref _queued);
            return true;
        }

        return false;
    }

    internal void Deliver(byte[] frame)
    {
        if (Interlocked.Increment(ref _queued) > MaxQueued)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }

        _inbox.Enqueue(frame);
        _frameArrived?.Invoke();
    }
}
