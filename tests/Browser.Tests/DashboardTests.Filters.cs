using Microsoft.Playwright;

namespace Ringmaster.Browser.Tests;

public sealed partial class DashboardTests
{
    [Fact]
    public async Task Machines_FilterThenReload_TheAddressKeepsTheFilter()
    {
        var name = "kept-filter-" + Guid.NewGuid().ToString("N")[..6];
        await CreateRunningContainerAsync(name);
        var page = await fixture.NewPageAsync();
        await App.GotoAsync(page, "/machines");

        await FilterByNameAsync(page, name);
        await page.WaitForURLAsync(url => new Uri(url).Query.Contains($"name={name}", StringComparison.Ordinal));

        await page.ReloadAsync();
        await RingmasterApp.WaitInteractiveAsync(page);
        await Expect(page.Locator("input[data-test=filter-name], [data-test=filter-name] input").First).ToHaveValueAsync(name);
        await Expect(page.GetByTestId("grid-total")).ToHaveAttributeAsync("data-name-filter", name);
        await Expect(page.Locator("[data-test=machines-grid] tbody tr")).ToHaveCountAsync(1);
        await Expect(State(page, name)).ToHaveTextAsync("running");

        // A state filter is kept as well, and clearing the name takes it out of the address.
        await App.GotoAsync(page, $"/machines?name={name}&state=stopped");
        await Expect(page.GetByTestId("no-match")).ToBeVisibleAsync();
        await page.Locator("input[data-test=filter-name], [data-test=filter-name] input").First.FillAsync("");
        await page.WaitForURLAsync(url => !new Uri(url).Query.Contains("name=", StringComparison.Ordinal) && new Uri(url).Query.Contains("state=stopped", StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }
}
