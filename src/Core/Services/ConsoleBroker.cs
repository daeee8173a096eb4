using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Ringmaster.Core.Services;

/// <summary>
/// Keeps each machine's recent console output (the scrollback) and hands new output to every
/// attached viewer. Output reaches it from the agents; input goes the other way through the gateway.
/// </summary>
public sealed class ConsoleBroker
{
    public const int ScrollbackBytes = 256 * 1024;

    private readonly ConcurrentDictionary<Guid, MachineConsole> _consoles = new();

    private Action<Guid, byte[]>? _otherNodes;

    /// <summary>Hands every console output published here to <paramref name="otherNodes"/> too (the backplane's relay), so a viewer on any node sees it.</summary>
    public void ShareWith(Action<Guid, byte[]> otherNodes) => _otherNodes = otherNodes;

    /// <summary>Output of a guest whose agent is connected to this process.</summary>
    public void Publish(Guid machineId, byte[] data)
    {
        Deliver(machineId, data);
        _otherNodes?.Invoke(machineId, data);
    }

    /// <summary>Output received here or relayed from another node, to this process's viewers.</summary>
    public void Deliver(Guid machineId, ReadOnlySpan<byte> data) => _consoles.GetOrAdd(machineId, _ => new()).Append(data);

    /// <summary>Attaches a viewer: it first gets the scrollback, then everything printed after it.</summary>
    public ConsoleSubscription Subscribe(Guid machineId) => _consoles.GetOrAdd(machineId, _ => new()).Subscribe();

    public void Forget(Guid machineId)
    {
        if (_consoles.TryRemove(machineId, out var console))
        {
            console.CompleteAll();
        }
    }

    private sealed class MachineConsole
    {
        private readonly Lock _lock = new();
        private readonly byte[] _ring = new byte[ScrollbackBytes];
        private long _written;
        private readonly List<Channel<byte[]>> _viewers = [];

        public void Append(ReadOnlySpan<byte> data)
        {
            lock (_lock)
            {
                foreach (var b in data.Length > _ring.Length ? data[^_ring.Length..] : data)
                {
                    _ring[_written++ % _ring.Length] = b;
                }

                var copy = data.ToArray();
                foreach (var viewer in _viewers)
                {
                    viewer.Writer.TryWrite(copy);
                }
            }
        }

        public ConsoleSubscription Subscribe()
        {
            lock (_lock)
            {
                var length = (int)Math.Min(_written, _ring.Length);
                var scrollback = new byte[length];
                for (var i = 0; i < length; i++)
                {
                    scrollback[i] = _ring[(_written - length + i) % _ring.Length];
                }

                var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
                _viewers.Add(channel);
                return new ConsoleSubscription(scrollback, channel.Reader, () =>
                {
                    lock (_lock)
                    {
                        _viewers.Remove(channel);
                    }

                    channel.Writer.TryComplete();
                });
            }
        }

        public void CompleteAll()
        {
            lock (_lock)
            {
                foreach (var viewer in _viewers)
                {
                    viewer.Writer.TryComplete();
                }

                _viewers.Clear();
            }
        }
    }
}

/// <summary>An attached console viewer; dispose it to detach.</summary>
public sealed class ConsoleSubscription(byte[] scrollback, ChannelReader<byte[]> output, Action detach) : IDisposable
{
    public byte[] Scrollback { get; } = scrollback;
    public ChannelReader<byte[]> Output { get; } = output;

    public void Dispose() => detach();
}
