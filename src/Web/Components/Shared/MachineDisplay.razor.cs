using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

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
    private string? _paste;

    [Parameter, EditorRequired] public Guid MachineId { get; set; }

    /// <summary>Whether to offer opening the display in a window of its own (not in that window itself).</summary>
    [Parameter] public bool ShowPopOut { get; set; } = true;

    [Inject] public required IJSRuntime Js { get; init; }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        try
        {
            _module = await Js.InvokeAsync<IJSObjectReference>("import", "./js/vnc.js");
            _session = await _module.InvokeAsync<IJSObjectReference>("open", _screen, $"/api/v1/machines/{MachineId}/vnc", _status);
        }
        catch (JSException ex)
        {
            _failed = "The display could not be opened in this browser: " + ex.Message;
            StateHasChanged();
        }
        catch (JSDisconnectedException)
        {
        }
    }

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
