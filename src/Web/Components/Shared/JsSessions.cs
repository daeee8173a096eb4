using Microsoft.JSInterop;

namespace Ringmaster.Web.Components.Shared;

/// <summary>A browser-side session (a console's or a display's socket) opened from a JS module.</summary>
internal static class JsSessions
{
    /// <summary>Closes the session in the page, then lets go of it and of its module; a browser already gone is fine.</summary>
    public static async ValueTask CloseAsync(IJSObjectReference? session, IJSObjectReference? module)
    {
        try
        {
            if (session is not null)
            {
                await session.InvokeVoidAsync("dispose");
                await session.DisposeAsync();
            }

            if (module is not null)
            {
                await module.DisposeAsync();
            }
        }
        catch (JSDisconnectedException)
        {
        }
    }
}
