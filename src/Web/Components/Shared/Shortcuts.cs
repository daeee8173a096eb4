namespace Ringmaster.Web.Components.Shared;

/// <summary>A keyboard shortcut: its keys (any one of them), what it does and where it works.</summary>
public sealed record Shortcut(IReadOnlyList<string> Keys, string What, string Where);

/// <summary>
/// Every keyboard shortcut of the dashboard, as the <c>?</c> dialog lists them: the page-wide ones
/// (js/shortcuts.js), the search box's, and the console's (js/console.js).
/// </summary>
public static class Shortcuts
{
    public static IReadOnlyList<Shortcut> All { get; } =
    [
        new(["Ctrl+K", "/"], "Search machines, hosts, operations, images and snapshots", "Any page (\"/\" outside a text field or console)"),
        new(["↓", "↑"], "Move between the search results", "Search box"),
        new(["Enter"], "Open the chosen search result (the first one unless you moved)", "Search box"),
        new(["Esc"], "Close the search", "Search box"),
        new(["?"], "List these keyboard shortcuts", "Any page, outside a text field or console"),
        new(["Ctrl+V"], "Paste into the console (as Ctrl+Shift+V does)", "A machine's console"),
        new(["Enter"], "Send the typed line", "A machine's plain text console"),
        new(["Esc"], "Close this list", "This list"),
    ];
}
