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

    /// <summary>
    /// Subscribes now: every change published after this call is kept for the subscription until it
    /// is read or the subscription is disposed. Subscribe before reading the state the changes apply
    /// to, so that nothing in between is missed.
    /// </summary>
    public LiveSubscription Subscribe()
    {
        var channel = Channel.CreateBounded<LiveChange>(new BoundedChannelOptions(4096)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        _subscribers[channel] = 0;
        return new LiveSubscription(channel.Reader, () => _subscribers.TryRemove(channel, out _));
    }

    /// <summary>Subscribes until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async IAsyncEnumerable<LiveChange> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var subscription = Subscribe();
        await foreach (var change in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return change;
        }
    }

    public int SubscriberCount => _subscribers.Count;

    private Action<LiveChange>? _otherNodes;

    /// <summary>
    /// Whether the changes of every web node reach this feed (a backplane relays them), not only the
    /// changes made by this process. Work that must happen once per change then runs on one node.
    /// </summary>
    public bool SpansNodes => _otherNodes is not null;

    /// <summary>Hands every change published here to <paramref name="otherNodes"/> too (the backplane's relay).</summary>
    public void ShareWith(Action<LiveChange> otherNodes) => _otherNodes = otherNodes;

    /// <summary>A change made here: read by this process's subscribers and, when nodes share their feeds, by every other node's.</summary>
    public void Publish(LiveChange change)
    {
        Deliver(change);
        _otherNodes?.Invoke(change);
    }

    /// <summary>A change, made here or relayed from another node, to this process's subscribers only.</summary>
    public void Deliver(LiveChange change)
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

    /// <summary>The newest figures of every machine whose agent sent any.</summary>
    public IReadOnlyCollection<GuestMetrics> AllLatestMetrics => [.. _latestMetrics.Values];

    /// <summary>The newest figures of a machine, if its agent sent any.</summary>
    public GuestMetrics? LatestMetrics(Guid machineId) => _latestMetrics.TryGetValue(machineId, out var m) ? m : null;
}

/// <summary>One subscriber's changes since it subscribed (<see cref="LiveFeed.Subscribe"/>); dispose to leave.</summary>
public sealed class LiveSubscription(ChannelReader<LiveChange> reader, Action leave) : IDisposable
{
    /// <summary>The changes as they come, until <paramref name="cancellationToken"/> is cancelled.</summary>
    public IAsyncEnumerable<LiveChange> ReadAllAsync(CancellationToken cancellationToken) => reader.ReadAllAsync(cancellationToken);

    /// <summary>
    /// The changes in batches: each waits for one change, then takes what else is already waiting, up
    /// to <paramref name="max"/>. A reader that writes per change can see a burst (a host's agent
    /// reporting thousands of machines at once) as one.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<LiveChange>> ReadBatchesAsync(int max, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var batch = new List<LiveChange>();
            while (batch.Count < max && reader.TryRead(out var change))
            {
                batch.Add(change);
            }

            if (batch.Count > 0)
            {
                yield return batch;
            }
        }
    }

    public void Dispose() => leave();
}
