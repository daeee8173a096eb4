using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Ringmaster.Core.Services;

namespace Ringmaster.Browser.Tests;

/// <summary>One app and one browser, signed in as admin through the login page, for the tests of a collection (they run one after another).</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public RingmasterApp App { get; } = new();
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The machines the tests made; deleted (with their containers) at the end.</summary>
    public ConcurrentBag<Guid> Created { get; } = [];

    /// <summary>Where screenshots go: artifacts/screenshots at the repository root.</summary>
    public static string ScreenshotFolder { get; } = FindScreenshotFolder();

    public async Task InitializeAsync()
    {
        await App.StartAsync(TimeSpan.FromSeconds(60));
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await RingmasterApp.LaunchChromiumAsync(Playwright);
        await App.SignInAsync(Browser);
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await App.NewContextAsync(Browser);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        return page;
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });

    /// <summary>QEMU outlives the agent on purpose: a QEMU VM a failed test left behind is ended by its pidfile.</summary>
    private void KillQemus()
    {
        foreach (var pidFile in Directory.GetFiles(App.DataPath, "qemu.pid", SearchOption.AllDirectories))
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture, out var pid))
            {
                try
                {
                    using var qemu = System.Diagnostics.Process.GetProcessById(pid);
                    if (qemu.ProcessName.StartsWith("qemu", StringComparison.Ordinal))
                    {
                        qemu.Kill();
                    }
                }
                catch (ArgumentException)
                {
                    // already gone
                }
            }
        }
    }

    private static string FindScreenshotFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Console.sln")))
        {
            dir = dir.Parent;
        }

        var folder = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "artifacts", "screenshots");
        Directory.CreateDirectory(folder);
        return folder;
    }

    public async Task DisposeAsync()
    {
        var machines = App.Services.GetRequiredService<MachineService>();
        var operations = App.Services.GetRequiredService<OperationService>();
        await operations.WhenIdleAsync();
        foreach (var id in Created)
        {
            await machines.DeleteAsync(id, "browser-test");
        }

        await operations.WhenIdleAsync();
        KillQemus();
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await App.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
