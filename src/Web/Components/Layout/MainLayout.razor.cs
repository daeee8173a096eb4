using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace Ringmaster.Web.Components.Layout;

public partial class MainLayout
{
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

    private void ToggleTheme() => _dark = !_dark;

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            // Marks the page as interactive (the circuit is up): browser tests wait for it.
            _interactive = true;
            StateHasChanged();
        }
    }
}
