using Microsoft.AspNetCore.Components;
using Ringmaster.Core.Services;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components;

/// <summary>
/// A component that shows live data: it takes a snapshot, then applies the stream of changes from
/// the server's live view until it is closed (cancelled, then awaited, in <see cref="DisposeAsync"/>).
/// Changes that need a new snapshot (a new row in a sorted page) are coalesced so a burst of them
/// costs one query; so does a storm that outran the page (<see cref="ChangesMissed"/>).
/// </summary>
public abstract class LiveComponentBase : ComponentBase, IAsyncDisposable
{
    private readonly CancellationTokenSource _closed = new();
    private Task? _watch;
    private int _reloadPending;
    private List<LiveChange>? _duringReload;

    [Inject] public required IDashboardData Data { get; init; }

    /// <summary>Cancelled when the component is closed.</summary>
    protected CancellationToken Closed => _closed.Token;

    /// <summary>How long a burst of changes is gathered before one new snapshot is taken.</summary>
    protected virtual TimeSpan ReloadCoalescing => TimeSpan.FromMilliseconds(250);

    protected override async Task OnInitializedAsync()
    {
        // Subscribe before the snapshot so nothing that happens while it loads is missed.
        var changes = Data.WatchAsync(_closed.Token).GetAsyncEnumerator(_closed.Token);
        var first = changes.MoveNextAsync();
        await LoadAsync(_closed.Token);
        _watch = WatchAsync(changes, first);
    }

    /// <summary>Takes the snapshot.</summary>
    protected abstract Task LoadAsync(CancellationToken cancellationToken);

    /// <summary>Applies one change; returns true when the page should render.</summary>
    protected abstract bool Apply(LiveChange change);

    /// <summary>Asks for a new snapshot soon; many requests in a burst make one reload.</summary>
    protected void RequestReload()
    {
        if (Interlocked.Exchange(ref _reloadPending, 1) == 1)
        {
            return;
        }

        _ = ReloadSoonAsync();
    }

    private async Task ReloadSoonAsync()
    {
        try
        {
            await Task.Delay(ReloadCoalescing, _closed.Token);
            Volatile.Write(ref _reloadPending, 0);
            await InvokeAsync(async () =>
            {
                // Changes that arrive while the snapshot loads may be older in it than on screen:
                // they are applied again once it is in.
                _duringReload = [];
                try
                {
                    await LoadAsync(_closed.Token);
                    foreach (var change in _duringReload)
                    {
                        Apply(change);
                    }
                }
                finally
                {
                    _duringReload = null;
                }

                StateHasChanged();
            });
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task WatchAsync(IAsyncEnumerator<LiveChange> changes, ValueTask<bool> first)
    {
        try
        {
            await using (changes)
            {
                var next = first;
                while (await next)
                {
                    var change = changes.Current;
                    if (change is ChangesMissed)
                    {
                        // The feed went faster than this page read it: what it shows may be stale.
                        RequestReload();
                        next = changes.MoveNextAsync();
                        continue;
                    }

                    await InvokeAsync(() =>
                    {
                        _duringReload?.Add(change);
                        if (Apply(change))
                        {
                            StateHasChanged();
                        }
                    });
                    next = changes.MoveNextAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        await _closed.CancelAsync();
        if (_watch is not null)
        {
            await _watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _closed.Dispose();
        GC.SuppressFinalize(this);
    }
}
