using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Shared;

/// <summary>
/// A QEMU VM's graphical console: noVNC in the page (a small JS module) on the machine's display
/// WebSocket, scaled to fit, with Ctrl-Alt-Del, paste as typed text, full screen and a pop-out window.
/// </summary>
public partial class MachineDisplay
{
    private ElementReference _screen;
    private ElementReference _status;
    private IJSObjectReference? _module;
    private IJSObjectReference? _session;
    private string? _failed;
    private bool _canRetry;
    private int _attempt;
    private string? _paste;

    [Parameter, EditorRequired] public Guid MachineId { get; set; }

    /// <summary>Whether to offer opening the display in a window of its own (not in that window itself).</summary>
    [Parameter] public bool ShowPopOut { get; set; } = true;

    [Inject] public required IJSRuntime Js { get; init; }
    [Inject] public required ClientLibraries Libraries { get; init; }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            await OpenAsync();
        }
    }

    /// <summary>
    /// Loads the display module and noVNC, then opens the display. A browser that follows the HTML
    /// standard's older rule keeps a failed module import for its address, so each retry asks for
    /// the modules at an address of its own (<c>?retry=N</c>); in such a browser, Retry without it
    /// would only repeat the first failure.
    /// </summary>
    private async Task OpenAsync()
    {
        _attempt++;
        _failed = null;
        _canRetry = false;
        try
        {
            _module ??= await Js.InvokeAsync<IJSObjectReference>("import", _attempt == 1 ? "./js/vnc.js" : $"./js/vnc.js?retry={_attempt}");
            await _module.InvokeVoidAsync("load", _attempt);
        }
        catch (JSException ex)
        {
            // The server knows whether the files are there: missing is a build without npm (a retry
            // cannot help); present means they failed on the way (a network failure, a server under load).
            _canRetry = Libraries.NoVnc;
            _failed = _canRetry
                ? $"The display viewer (noVNC) could not be loaded: {FirstLine(ex.Message)}. Its files are on the server, so this was a failure on the way; Retry loads them again."
                : "noVNC is not built in (npm was missing when the web was built): the graphical console cannot be shown. Build the web with Node.js and npm installed.";
            StateHasChanged();
            return;
        }
        catch (JSDisconnectedException)
        {
            return;
        }

        try
        {
            _session = await _module.InvokeAsync<IJSObjectReference>("open", _screen, $"/api/v1/machines/{MachineId}/vnc", _status);
        }
        catch (JSException ex)
        {
            _failed = "The display could not be opened in this browser: " + ex.Message;
        }
        catch (JSDisconnectedException)
        {
            return;
        }

        StateHasChanged();
    }

    private Task RetryAsync() => OpenAsync();

    /// <summary>A script error's message without the stack the browser appends after it.</summary>
    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private Task CtrlAltDelAsync() => CallAsync("ctrlAltDel");

    private Task FullScreenAsync() => CallAsync("fullScreen");

    private Task ReconnectAsync() => CallAsync("reconnect");

    private async Task TypeAsync()
    {
        if (string.IsNullOrEmpty(_paste) || _session is null)
        {
            return;
        }

        try
        {
            if (await _session.InvokeAsync<bool>("type", _paste))
            {
                _paste = null;
            }
        }
        catch (JSDisconnectedException)
        {
        }
    }

    private async Task PopOutAsync()
    {
        if (_module is null)
        {
            return;
        }

        try
        {
            await _module.InvokeVoidAsync("popOut", $"/machines/{MachineId}/display", $"display-{MachineId:N}");
        }
        catch (JSDisconnectedException)
        {
        }
    }

    private async Task CallAsync(string method)
    {
        if (_session is null)
        {
            return;
        }

        try
        {
            await _session.InvokeVoidAsync(method);
        }
        catch (JSDisconnectedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await JsSessions.CloseAsync(_session, _module);
        GC.SuppressFinalize(this);
    }
}
