using System.Collections.Concurrent;
using System.Threading.Channels;
using Ringmaster.Contracts;

namespace Ringmaster.Core.Services;

/// <summary>A change to the live view: pushed to every open page and to API event streams.</summary>
public abstract record LiveChange(DateTimeOffset At);

public sealed record HostChanged(HostView Host) : LiveChange(DateTimeOffset.UtcNow);

public sealed record MachineChanged(MachineView Machine) : LiveChange(DateTimeOffset.UtcNow);

public sealed record MachineRemoved(Guid MachineId, string Name) : LiveChange(DateTimeOffset.UtcNow);

public sealed record OperationChanged(OperationView Operation) : LiveChange(DateTimeOffset.UtcNow);

public sealed record MetricsChanged(Guid HostId, IReadOnlyList<GuestMetrics> Metrics) : LiveChange(DateTimeOffset.UtcNow);

/// <summary>
/// Stands in one subscription's stream for the changes it lost because it read too slowly (a storm
/// of thousands of changes at once): what it shows may be stale, so it reads the state again. Never
/// published; each subscription makes its own.
/// </summary>
public sealed record ChangesMissed() : LiveChange(DateTimeOffset.UtcNow);

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
        LiveSubscription? subscription = null;
        var channel = Channel.CreateBounded<LiveChange>(new BoundedChannelOptions(Capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, _ => subscription?.Missed());
        subscription = new LiveSubscription(channel.Reader, () => _subscribers.TryRemove(channel, out _));
        _subscribers[channel] = 0;
        return subscription;
    }

    /// <summary>How many changes a subscription keeps unread before it loses the oldest (and reads <see cref="ChangesMissed"/> in their place).</summary>
    public const int Capacity = 4096;

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
    private int _missed;

    /// <summary>The oldest unread change was dropped to make room.</summary>
    internal void Missed() => Volatile.Write(ref _missed, 1);

    /// <summary>Whether changes were lost since this was last asked; asking clears it.</summary>
    private bool TakeMissed() => Interlocked.Exchange(ref _missed, 0) == 1;

    /// <summary>
    /// The changes as they come, until <paramref name="cancellationToken"/> is cancelled; a
    /// <see cref="ChangesMissed"/> comes where changes were lost.
    /// </summary>
    public async IAsyncEnumerable<LiveChange> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var change))
            {
                if (TakeMissed())
                {
                    yield return new ChangesMissed();
                }

                yield return change;
            }
        }
    }

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
                if (TakeMissed())
                {
                    batch.Add(new ChangesMissed());
                }

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
