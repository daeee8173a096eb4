using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;
using MudBlazor;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Shared;

/// <summary>
/// "Find anything", in the app bar: machines, hosts, operations, images and snapshots whose name holds
/// what is typed, grouped by kind, as the signed-in user may see them. Ctrl+K or "/" focuses it and
/// "?" lists the shortcuts (js/shortcuts.js); in the box the arrow keys move, Enter opens the chosen
/// result (the first unless moved) and Esc closes it.
/// </summary>
public sealed partial class SearchBox : IAsyncDisposable
{
    /// <summary>How long typing pauses before the search runs (Enter does not wait for it).</summary>
    private static readonly TimeSpan s_debounce = TimeSpan.FromMilliseconds(200);

    private ElementReference _input;
    private string _text = "";
    private bool _open;
    private int _active;
    private SearchResults? _results;
    private string? _failed;
    private CancellationTokenSource? _pending;
    private IJSObjectReference? _module;
    private IJSObjectReference? _session;
    private DotNetObjectReference<SearchBox>? _self;

    /// <summary>Whether the page's shortcuts are listened for (shown as data-shortcuts="on").</summary>
    private bool _listening;

    [Inject] public required IDashboardSearch Search { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required IJSRuntime Js { get; init; }

    /// <summary>How many results of each kind are shown.</summary>
    [Parameter] public int PerKind { get; set; } = 5;

    protected override void OnInitialized() => Navigation.LocationChanged += OnLocationChanged;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        try
        {
            _self = DotNetObjectReference.Create(this);
            _module = await Js.InvokeAsync<IJSObjectReference>("import", "./js/shortcuts.js");
            _session = await _module.InvokeAsync<IJSObjectReference>("listen", _self, _input);
            _listening = true;
            StateHasChanged();
        }
        catch (JSException)
        {
            // No shortcuts in this browser; the box and its button still work.
        }
        catch (JSDisconnectedException)
        {
        }
    }

    /// <summary>Ctrl+K or "/": focuses the box (its text selected) and shows what it found.</summary>
    [JSInvokable]
    public async Task OpenSearch()
    {
        _open = true;
        StateHasChanged();
        await CallAsync("focus", _input);
    }

    /// <summary>"?" or the keyboard button: the list of shortcuts.</summary>
    [JSInvokable]
    public async Task ShowShortcuts()
    {
        await Dialogs.ShowAsync<ShortcutsDialog>("Keyboard shortcuts", new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseOnEscapeKey = true, CloseButton = true });
    }

    private void OnFocus() => _open = true;

    private void OnFocusOut() => _open = false;

    private void Close()
    {
        _open = false;
        _active = 0;
    }

    private void OnInput(ChangeEventArgs e)
    {
        _text = e.Value as string ?? "";
        _open = true;
        _active = 0;
        _failed = null;
        var pending = new CancellationTokenSource();
        Interlocked.Exchange(ref _pending, pending)?.Cancel();
        if (_text.Trim().Length == 0)
        {
            _results = null;
            return;
        }

        _ = SearchSoonAsync(_text, pending.Token);
    }

    private async Task SearchSoonAsync(string text, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(s_debounce, cancellationToken);
            await InvokeAsync(async () =>
            {
                await RunAsync(text, cancellationToken);
                StateHasChanged();
            });
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Searches for <paramref name="text"/>; what it found is shown unless the text changed meanwhile.</summary>
    private async Task RunAsync(string text, CancellationToken cancellationToken)
    {
        try
        {
            var results = await Search.SearchAsync(text, PerKind, cancellationToken);
            if (!cancellationToken.IsCancellationRequested && text == _text)
            {
                _results = results;
                _failed = null;
                _active = Math.Min(_active, Math.Max(0, results.Hits.Count - 1));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.Data.Common.DbException)
        {
            _failed = ex.Message;
        }
    }

    private async Task OnKeyDown(KeyboardEventArgs e)
    {
        switch (e.Key)
        {
            case "ArrowDown":
                _open = true;
                _active = Math.Min(_active + 1, Math.Max(0, (_results?.Hits.Count ?? 0) - 1));
                break;
            case "ArrowUp":
                _active = Math.Max(0, _active - 1);
                break;
            case "Escape":
                Close();
                await CallAsync("blur", _input);
                break;
            case "Enter":
                await OpenChosenAsync();
                break;
        }
    }

    /// <summary>Enter: the chosen result's page; when the results are not yet those of the text, it searches first.</summary>
    private async Task OpenChosenAsync()
    {
        if (_text.Trim().Length == 0)
        {
            return;
        }

        if (_results is null || _results.Text != _text.Trim())
        {
            _pending?.Cancel();
            _active = 0;
            await RunAsync(_text, CancellationToken.None);
        }

        if (_results is { Hits.Count: > 0 } results)
        {
            var hit = results.Hits.OrderBy(h => h.Kind).ElementAt(Math.Clamp(_active, 0, results.Hits.Count - 1));
            Close();
            Navigation.NavigateTo(hit.Href);
        }
        else
        {
            _open = true;
        }
    }

    private void OnLocationChanged(object? sender, LocationChangedEventArgs e) => _ = InvokeAsync(() =>
    {
        Close();
        StateHasChanged();
    });

    private async Task CallAsync(string function, ElementReference element)
    {
        if (_module is null)
        {
            return;
        }

        try
        {
            await _module.InvokeVoidAsync(function, element);
        }
        catch (JSException)
        {
        }
        catch (JSDisconnectedException)
        {
        }
    }

    private static string Heading(SearchKind kind) => kind switch
    {
        SearchKind.Machine => "Machines",
        SearchKind.Host => "Hosts",
        SearchKind.Operation => "Operations",
        SearchKind.Image => "Images",
        _ => "Snapshots",
    };

    private static string KindKey(SearchKind kind) => kind.ToString().ToLowerInvariant();

    public async ValueTask DisposeAsync()
    {
        Navigation.LocationChanged -= OnLocationChanged;
        _pending?.Cancel();
        await JsSessions.CloseAsync(_session, _module);
        _self?.Dispose();
    }
}
