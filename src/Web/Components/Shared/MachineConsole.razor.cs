using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using Ringmaster.Contracts;

namespace Ringmaster.Web.Components.Shared;

/// <summary>
/// A machine's console, in the page. The browser talks to the console WebSocket directly (a small
/// JS module): keystrokes and paste go up as bytes, output comes down as bytes, scrollback first.
/// </summary>
public partial class MachineConsole
{
    private ElementReference _frame;
    private ElementReference _terminal;
    private ElementReference _status;
    private IJSObjectReference? _module;
    private IJSObjectReference? _session;
    private string? _failed;
    private bool _toldStopped;

    [Parameter, EditorRequired] public Guid MachineId { get; set; }

    /// <summary>The machine's name, for what the console says about it.</summary>
    [Parameter] public string? MachineName { get; set; }

    /// <summary>
    /// The machine's state: while it is stopped the console does not claim to be connected; it says
    /// the machine is stopped, keeps what it showed, and connects again when it starts.
    /// </summary>
    [Parameter] public MachineState State { get; set; } = MachineState.Running;

    [Inject] public required IJSRuntime Js { get; init; }

    private bool Stopped => State == MachineState.Stopped;

    private string StoppedText => $"{MachineName ?? "The machine"} is stopped: the console is disconnected and connects again when it starts.";

    protected override Task OnParametersSetAsync() => TellStateAsync();

    /// <summary>Tells the open console when the machine stopped or started since it was last told.</summary>
    private async Task TellStateAsync()
    {
        if (_session is null || Stopped == _toldStopped)
        {
            return;
        }

        _toldStopped = Stopped;
        try
        {
            if (Stopped)
            {
                await _session.InvokeVoidAsync("stopped", StoppedText);
            }
            else
            {
                await _session.InvokeVoidAsync("started");
            }
        }
        catch (JSDisconnectedException)
        {
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        try
        {
            _module = await Js.InvokeAsync<IJSObjectReference>("import", "./js/console.js");
            _toldStopped = Stopped;
            _session = await _module.InvokeAsync<IJSObjectReference>("open", _terminal, $"/api/v1/machines/{MachineId}/console", _status, Stopped ? StoppedText : null);
            // The state may have changed while the console was opening.
            await TellStateAsync();
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

    /// <summary>Puts the console (with its status line) on the whole screen; the terminal fits itself to it.</summary>
    private async Task FullScreenAsync()
    {
        if (_session is null)
        {
            return;
        }

        try
        {
            await _session.InvokeVoidAsync("fullScreen", _frame);
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
