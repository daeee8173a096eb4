using Microsoft.Playwright;

namespace Ringmaster.Browser.Tests;

public sealed partial class DashboardTests
{
    [Fact]
    public async Task Search_CtrlKThenAMachinesName_EnterOpensItsPage()
    {
        var name = "found-" + Guid.NewGuid().ToString("N")[..6];
        var id = await CreateRunningContainerAsync(name);
        var page = await fixture.NewPageAsync();
        await App.GotoAsync(page, "/");
        // The page's shortcuts are listened for once the search box has its script.
        await Expect(page.GetByTestId("search")).ToHaveAttributeAsync("data-shortcuts", "on");

        await page.Keyboard.PressAsync("Control+K");
        var input = page.GetByTestId("search-input");
        await Expect(input).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(name);

        var result = page.Locator("[data-test=search-result][data-kind=machine]");
        await Expect(result).ToHaveCountAsync(1);
        await Expect(result).ToContainTextAsync(name);
        await Expect(result).ToHaveAttributeAsync("href", $"/machines/{id}");
        await BrowserFixture.ScreenshotAsync(page, "search-results");

        await page.Keyboard.PressAsync("Enter");
        // The router moves within the page (no load event to wait for): the address is polled.
        await Assertions.Expect(page).ToHaveURLAsync(new Uri(App.Address, $"machines/{id}").ToString());
        await Expect(page.GetByTestId("machine-title")).ToHaveTextAsync(name);
        await Expect(page.GetByTestId("search-results")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }
}
