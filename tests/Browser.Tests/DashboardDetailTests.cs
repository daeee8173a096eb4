using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Ringmaster.Browser.Tests;

/// <summary>The smaller things a first walkthrough found: every asset loads, an unknown address is a page, labels keep apart from their values, secrets copy.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class DashboardDetailTests(BrowserFixture fixture)
{
    private RingmasterApp App => fixture.App;

    [Fact]
    public async Task EveryPage_LoadsAllItsStylesheetsAndScripts()
    {
        var page = await fixture.NewPageAsync();
        var failed = new List<string>();
        page.Response += (_, response) =>
        {
            if (response.Status >= 400 && response.Request.ResourceType is "stylesheet" or "script" or "font" or "image")
            {
                lock (failed)
                {
                    failed.Add($"{response.Status} {response.Url}");
                }
            }
        };

        foreach (var path in new[] { "/", "/hosts", "/machines", "/catalog", "/operations", "/tokens" })
        {
            await App.GotoAsync(page, path);
        }

        Assert.Empty(failed);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task UnknownAddress_ShowsTheDashboardsNotFoundPage_ApiStillAnswersProblemDetails()
    {
        var page = await fixture.NewPageAsync();
        var response = await page.GotoAsync(new Uri(App.Address, "/no/such/page").ToString());
        Assert.Equal(404, response!.Status);
        await RingmasterApp.WaitInteractiveAsync(page);
        await Expect(page.GetByTestId("status-page")).ToContainTextAsync("Nothing here");
        // The page has the dashboard around it: the menu is there to go on from.
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Machines" }).First).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "not-found");

        var api = await page.APIRequest.GetAsync(new Uri(App.Address, "/api/v1/no-such-thing").ToString());
        Assert.Equal(404, api.Status);
        Assert.StartsWith("application/problem+json", api.Headers["content-type"], StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Overview_NarrowWindow_UsageLabelsKeepApartFromTheirValues()
    {
        var page = await fixture.NewPageAsync();
        await page.SetViewportSizeAsync(700, 900);
        await App.GotoAsync(page, "/");
        var rows = page.Locator("[data-test=capacity-host] [data-test^=usage-]:has([data-test=usage-label])");
        await Expect(rows.First).ToBeVisibleAsync();
        Assert.True(await rows.CountAsync() >= 4);

        foreach (var row in await rows.AllAsync())
        {
            var label = (await row.GetByTestId("usage-label").BoundingBoxAsync())!;
            var value = (await row.GetByTestId("usage-value").BoundingBoxAsync())!;
            var sameLine = value.Y < label.Y + label.Height;
            // On one line there is room between them; otherwise the value wrapped under the label.
            Assert.True(!sameLine || value.X >= label.X + label.Width + 8,
                $"'{await row.GetByTestId("usage-label").InnerTextAsync()}' runs into '{await row.GetByTestId("usage-value").InnerTextAsync()}': label ends at {label.X + label.Width}, value starts at {value.X}");
        }

        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TokensPage_NewToken_CopyButtonPutsTheSecretOnTheClipboard()
    {
        var page = await fixture.NewPageAsync();
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = App.Address.GetLeftPart(UriPartial.Authority) });
        await App.GotoAsync(page, "/tokens");
        await page.Locator("[data-test=token-name] input, input[data-test=token-name]").First.FillAsync("copy-" + Guid.NewGuid().ToString("N")[..6]);
        await page.GetByTestId("token-create").ClickAsync();
        var secret = page.GetByTestId("token-secret");
        await Expect(secret).ToHaveTextAsync(SecretPattern());

        await page.GetByTestId("token-copy").ClickAsync();
        await Expect(page.GetByTestId("token-copy-note")).ToHaveTextAsync("Copied");
        Assert.Equal(await secret.InnerTextAsync(), await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await page.Context.CloseAsync();
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [GeneratedRegex("^rmt_")]
    private static partial Regex SecretPattern();
}
