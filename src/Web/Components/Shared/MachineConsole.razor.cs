using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace Ringmaster.Web.Components.Shared;

/// <summary>
/// A machine's console, in the page. The browser talks to the console WebSocket directly (a small
/// JS module): keystrokes and paste go up as bytes, output comes down as bytes, scrollback first.
/// </summary>
public partial class MachineConsole
{
    private ElementReference _terminal;
    private ElementReference _status;
    private IJSObjectReference? _module;
    private IJSObjectReference? _session;
    private string? _failed;

    [Parameter, EditorRequired] public Guid MachineId { get; set; }
    [Inject] public required IJSRuntime Js { get; init; }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        try
        {
            _module = await Js.InvokeAsync<IJSObjectReference>("import", "./js/console.js");
            _session = await _module.InvokeAsync<IJSObjectReference>("open", _terminal, $"/api/v1/machines/{MachineId}/console", _status);
        }
        catch (JSException ex)
        {
            _failed = "The console could not be opened in this browser: " + ex.Message;
            StateHasChanged();
        }
        catch (JSDisconnectedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_session is not null)
            {
                await _session.InvokeVoidAsync("dispose");
                await _session.DisposeAsync();
            }

            if (_module is not null)
            {
                await _module.DisposeAsync();
            }
        }
        catch (JSDisconnectedException)
        {
        }

        GC.SuppressFinalize(this);
    }
}
