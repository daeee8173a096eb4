using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Ringmaster.Browser.Tests;

/// <summary>
/// The real app on a free Kestrel port with its own data folder and the embedded agent, and
/// Debian's Chromium driven by Playwright against it.
/// </summary>
public sealed class RingmasterApp : WebApplicationFactory<Program>
{
    public static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    public string DataPath { get; } = Directory.CreateTempSubdirectory("ringmaster-browser-").FullName;
    public string JoinToken { get; } = "browser-test-" + Guid.NewGuid().ToString("N");
    public Uri Address { get; private set; } = null!;

    /// <summary>The first admin's password in this app.</summary>
    public const string AdminPassword = "browser-admin-password";

    /// <summary>The signed-in admin's cookies (Playwright storage state), once <see cref="SignInAsync"/> ran.</summary>
    public string? StorageState { get; private set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSolutionRelativeContentRoot("src/Web", "Console.sln");
        builder.UseSetting("Ringmaster:Data", DataPath);
        builder.UseSetting("Agent:Embedded", "true");
        builder.UseSetting("Agent:JoinToken", JoinToken);
        builder.UseSetting("Agent:Name", "browser-test-host");
        builder.UseSetting("Access:AdminPassword", AdminPassword);
        builder.UseSetting("Agent:MetricsSeconds", "1");
        builder.UseSetting("DetailedErrors", "false");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    /// <summary>Serves on a free loopback port and waits until the embedded agent is connected.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        UseKestrel(0);
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Address = new Uri(addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        using var http = new HttpClient { BaseAddress = Address };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var ready = await http.GetAsync("/readyz");
            if (ready.IsSuccessStatusCode)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The app did not become ready within {timeout.TotalSeconds:0} s: {await ready.Content.ReadAsStringAsync()}");
            }

            await Task.Delay(200);
        }
    }

    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright)
    {
        // The dashboard marks what tests (and the benchmark) look for with data-test.
        playwright.Selectors.SetTestIdAttribute("data-test");
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("RINGMASTER_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    /// <summary>Signs in as admin through the login page, as a person would, and keeps the cookie for <see cref="NewContextAsync"/>.</summary>
    public async Task SignInAsync(IBrowser browser)
    {
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(new Uri(Address, "/login").ToString());
        await page.GetByTestId("login-user").FillAsync("admin");
        await page.GetByTestId("login-password").FillAsync(AdminPassword);
        await page.GetByTestId("login-submit").ClickAsync();
        await WaitInteractiveAsync(page);
        StorageState = await context.StorageStateAsync();
    }

    /// <summary>A browser context signed in as admin (after <see cref="SignInAsync"/>).</summary>
    public Task<IBrowserContext> NewContextAsync(IBrowser browser) =>
        browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
            StorageState = StorageState ?? throw new InvalidOperationException("Sign in first."),
        });

    /// <summary>Opens <paramref name="path"/> and waits until the Blazor circuit is up and the page interactive.</summary>
    public async Task GotoAsync(IPage page, string path)
    {
        await page.GotoAsync(new Uri(Address, path).ToString());
        await WaitInteractiveAsync(page);
    }

    public static async Task WaitInteractiveAsync(IPage page)
    {
        await page.WaitForFunctionAsync("() => window.Blazor !== undefined");
        await page.Locator("[data-ringmaster-ready=true]").WaitForAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
