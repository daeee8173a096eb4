using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ringmaster.Browser.Tests;

/// <summary>Signing in and out through the login page, and the API tokens page, in Chromium.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class SignInTests(BrowserFixture fixture)
{
    private RingmasterApp App => fixture.App;

    [Fact]
    public async Task Login_WrongThenRightPassword_LandsOnThePageAskedFor()
    {
        await using var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);

        await page.GotoAsync(new Uri(App.Address, "/machines").ToString());
        await Expect(page).ToHaveURLAsync(LoginUrl());
        await page.GetByTestId("login-user").FillAsync("admin");
        await page.GetByTestId("login-password").FillAsync("not-the-password");
        await page.GetByTestId("login-submit").ClickAsync();
        await Expect(page.GetByTestId("login-error")).ToContainTextAsync("wrong");
        await BrowserFixture.ScreenshotAsync(page, "login-error");

        await page.GetByTestId("login-user").FillAsync("admin");
        await page.GetByTestId("login-password").FillAsync(RingmasterApp.AdminPassword);
        await page.GetByTestId("login-submit").ClickAsync();
        await RingmasterApp.WaitInteractiveAsync(page);
        Assert.EndsWith("/machines", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal);
        await Expect(page.GetByTestId("signed-in-user")).ToHaveTextAsync("admin");
    }

    [Fact]
    public async Task SignOut_FromTheAppBar_BackToLoginAndPagesClosed()
    {
        await using var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(new Uri(App.Address, "/login").ToString());
        await page.GetByTestId("login-user").FillAsync("admin");
        await page.GetByTestId("login-password").FillAsync(RingmasterApp.AdminPassword);
        await page.GetByTestId("login-submit").ClickAsync();
        await RingmasterApp.WaitInteractiveAsync(page);

        await page.GetByTestId("sign-out").ClickAsync();
        await page.GetByTestId("logout-submit").ClickAsync();
        await Expect(page).ToHaveURLAsync(LoginUrl());

        await page.GotoAsync(new Uri(App.Address, "/hosts").ToString());
        await Expect(page).ToHaveURLAsync(LoginUrl());
    }

    [Fact]
    public async Task TokensPage_CreateThenRevoke_SecretShownOnceStatusRevoked()
    {
        var page = await fixture.NewPageAsync();
        await App.GotoAsync(page, "/tokens");
        var name = "browser-" + Guid.NewGuid().ToString("N")[..6];

        await page.Locator("[data-test=token-name] input, input[data-test=token-name]").First.FillAsync(name);
        await page.GetByTestId("token-create").ClickAsync();
        await Expect(page.GetByTestId("token-secret")).ToHaveTextAsync(new Regex("^rmt_"));
        var row = page.Locator($"tr[data-token='{name}']");
        await Expect(row.GetByTestId("token-status")).ToHaveTextAsync("active");
        await BrowserFixture.ScreenshotAsync(page, "tokens-created");

        await row.GetByTestId("token-revoke").ClickAsync();
        await Expect(row.GetByTestId("token-status")).ToHaveTextAsync("revoked");
        await page.Context.CloseAsync();
    }

    [GeneratedRegex("/login")]
    private static partial Regex LoginUrl();
}
