using Microsoft.Playwright;

namespace Ringmaster.Browser.Tests;

public sealed partial class DashboardTests
{
    [Fact]
    public async Task MachineConsole_Xterm_RowsHaveRoomForUnderscores_FillTheSpace_GoFullScreen_AndCtrlVPastes()
    {
        var name = "console-fit-" + Guid.NewGuid().ToString("N")[..6];
        var id = await CreateRunningContainerAsync(name);
        var page = await fixture.NewPageAsync();
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = App.Address.GetLeftPart(UriPartial.Authority) });
        await App.GotoAsync(page, $"/machines/{id}");
        var console = page.GetByTestId("console");
        await Expect(console).ToHaveAttributeAsync("data-console", "xterm");
        await Expect(console).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 30_000 });
        await page.Locator("[data-test=console] .xterm-rows > div").First.WaitForAsync();

        // A row is taller than the font's own glyph box: the underscore below the baseline is drawn, not clipped.
        var (row, glyph) = await RowAndGlyphHeightAsync(page);
        Assert.True(row >= glyph * 1.15, $"a row is {row} px for a {glyph} px glyph: no room for the underscore");

        // The console fills the height the window leaves, and its last row is whole.
        await AssertFitsAsync(page, minimumShare: 0.6);

        // Full screen: the frame takes the screen and the terminal more rows.
        var rowsBefore = await page.Locator("[data-test=console] .xterm-rows > div").CountAsync();
        await page.GetByTestId("console-fullscreen").ClickAsync();
        await page.WaitForFunctionAsync("() => document.fullscreenElement?.dataset.test === 'console-frame'");
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('[data-test=console] .xterm-rows > div').length > {rowsBefore}");
        await AssertFitsAsync(page, minimumShare: 0.9);
        await BrowserFixture.ScreenshotAsync(page, "machine-console-fullscreen");
        await page.EvaluateAsync("() => document.exitFullscreen()");
        await page.WaitForFunctionAsync("() => !document.fullscreenElement");

        // Ctrl+V pastes (as Ctrl+Shift+V does) instead of sending ^V.
        await page.EvaluateAsync("() => navigator.clipboard.writeText('echo pasted-$((6*7))')");
        await console.ClickAsync();
        await page.Keyboard.PressAsync("Control+V");
        await page.Keyboard.PressAsync("Enter");
        await WaitForConsoleAsync(page, text => text.Contains("pasted-42", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        await page.Context.CloseAsync();
    }

    private static async Task<(double Row, double Glyph)> RowAndGlyphHeightAsync(IPage page)
    {
        var heights = await page.EvaluateAsync<double[]>("""
            () => {
              const c = document.querySelector('[data-test=console]');
              const row = c.querySelector('.xterm-rows > div').getBoundingClientRect().height;
              const measure = c.querySelector('.xterm-char-measure-element');
              return [row, measure.getBoundingClientRect().height];
            }
            """);
        return (heights[0], heights[1]);
    }

    /// <summary>The terminal's rows end inside the console's box, with less than a row left unused, and the console is tall.</summary>
    private static async Task AssertFitsAsync(IPage page, double minimumShare)
    {
        var m = await page.EvaluateAsync<double[]>("""
            () => {
              const c = document.querySelector('[data-test=console]');
              const box = c.getBoundingClientRect();
              const style = getComputedStyle(c);
              const contentBottom = box.bottom - parseFloat(style.paddingBottom);
              const rows = c.querySelectorAll('.xterm-rows > div');
              const last = rows[rows.length - 1].getBoundingClientRect();
              return [contentBottom, last.bottom, last.height, box.height, window.innerHeight];
            }
            """);
        var (contentBottom, lastBottom, rowHeight, height, window) = (m[0], m[1], m[2], m[3], m[4]);
        Assert.True(lastBottom <= contentBottom + 0.5, $"the last row ends at {lastBottom}, below the console's room ({contentBottom}): it is cut");
        Assert.True(contentBottom - lastBottom < rowHeight + 1, $"{contentBottom - lastBottom} px are left under the last row of {rowHeight} px");
        Assert.True(height >= window * minimumShare, $"the console is {height} px high in a {window} px window");
    }
}
