using System.Collections.Concurrent;
using System.Threading.Channels;
using Ringmaster.Core.Contracts;

namespace Ringmaster.Core.Services;

/// <summary>A change to the live view: pushed to every open page and to API event streams.</summary>
public abstract record LiveChange(DateTimeOffset At);

public sealed record HostChanged(HostView Host) : LiveChange(DateTimeOffset.UtcNow);

public sealed record MachineChanged(MachineView Machine) : LiveChange(DateTimeOffset.UtcNow);

public sealed record MachineRemoved(Guid MachineId, string Name) : LiveChange(DateTimeOffset.UtcNow);

public sealed record OperationChanged(OperationView Operation) : LiveChange(DateTimeOffset.UtcNow);

public sealed record MetricsChanged(Guid HostId, IReadOnlyList<GuestMetrics> Metrics) : LiveChange(DateTimeOffset.UtcNow);

/// <summary>
/// The server's live view: one place where every change is published once and read by any number
/// of subscribers. A slow subscriber loses its oldest changes rather than holding up the others.
/// </summary>
public sealed class LiveFeed
{
    private readonly ConcurrentDictionary<Channel<LiveChange>, byte> _subscribers = new();
    private readonly ConcurrentDictionary<Guid, GuestMetrics> _latestMetrics = new();

    /// <summary>Subscribes until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async IAsyncEnumerable<LiveChange> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<LiveChange>(new BoundedChannelOptions(4096)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        _subscribers[channel] = 0;
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var change))
                {
                    yield return change;
                }
            }
        }
        finally
        {
            _subscribers.TryRemove(channel, out _);
        }
    }

    public int SubscriberCount => _subscribers.Count;

    public void Publish(LiveChange change)
    {
        if (change is MetricsChanged metrics)
        {
            foreach (var m in metrics.Metrics)
            {
                _latestMetrics[m.Id] = m;
            }
        }
        else if (change is MachineRemoved removed)
        {
            _latestMetrics.TryRemove(removed.MachineId, out _);
        }

        foreach (var channel in _subscribers.Keys)
        {
            channel.Writer.TryWrite(change);
        }
    }

    /// <summary>The newest figures of a machine, if its agent sent any.</summary>
    public GuestMetrics? LatestMetrics(Guid machineId) => _latestMetrics.TryGetValue(machineId, out var m) ? m : null;
}
