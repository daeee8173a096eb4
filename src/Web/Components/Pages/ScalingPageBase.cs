using Microsoft.AspNetCore.Components;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Pages;

/// <summary>
/// A scaling page: a snapshot, then a new one every <see cref="IScalingData.RefreshInterval"/> while it is open
/// (group counts and the chart move with the controller's rounds), stopped and awaited on close.
/// </summary>
public abstract class ScalingPageBase : ComponentBase, IAsyncDisposable
{
    private readonly CancellationTokenSource _closed = new();
    private Task? _refresh;

    [Inject] public required IScalingData ScalingData { get; init; }

    protected CancellationToken Closed => _closed.Token;

    protected abstract Task LoadAsync(CancellationToken cancellationToken);

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync(_closed.Token);
        _refresh = RefreshAsync();
    }

    private async Task RefreshAsync()
    {
        using var timer = new PeriodicTimer(ScalingData.RefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_closed.Token))
            {
                await InvokeAsync(async () =>
                {
                    await LoadAsync(_closed.Token);
                    StateHasChanged();
                });
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
        if (_refresh is not null)
        {
            await _refresh.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _closed.Dispose();
        GC.SuppressFinalize(this);
    }
}
