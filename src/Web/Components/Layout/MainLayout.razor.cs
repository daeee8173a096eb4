using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;
using MudBlazor;

namespace Ringmaster.Web.Components.Layout;

public partial class MainLayout
{
    /// <summary>The theme, shared with the sign-in pages.</summary>
    public static MudTheme Theme => s_theme;

    private static readonly MudTheme s_theme = new()
    {
        PaletteLight = new PaletteLight { Primary = "#5b3cc4", AppbarBackground = "#2d1b69" },
        PaletteDark = new PaletteDark { Primary = "#9d84ff" },
    };

    private bool _drawerOpen = true;
    private bool _dark;
    private bool _interactive;
    private ErrorBoundary? _errors;

    private void Recover() => _errors?.Recover();

    protected override void OnParametersSet() => _errors?.Recover();

    private void ToggleDrawer() => _drawerOpen = !_drawerOpen;

    private const string ThemeKey = "ringmaster.theme";

    [Inject] public required IJSRuntime Js { get; init; }

    private async Task ToggleTheme()
    {
        _dark = !_dark;
        try
        {
            await Js.InvokeVoidAsync("localStorage.setItem", ThemeKey, _dark ? "dark" : "light");
        }
        catch (JSException)
        {
            // Storage refused (private mode): the choice lasts for this page only.
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
            _dark = await Js.InvokeAsync<string?>("localStorage.getItem", ThemeKey) == "dark";
        }
        catch (JSException)
        {
        }

        // Marks the page as interactive (the circuit is up): browser tests wait for it.
        _interactive = true;
        StateHasChanged();
    }
}
