using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Services.Scaling;

namespace Ringmaster.Browser.Tests;

public sealed partial class DashboardTests
{
    private const int PhoneWidth = 390;

    /// <summary>What is wider than the screen, named so a failure says where to look.</summary>
    private const string OverflowScript = """
        (width) => {
          const wide = [];
          for (const e of document.querySelectorAll('body *')) {
            const r = e.getBoundingClientRect();
            if (r.width > 0 && r.right > width + 1 && getComputedStyle(e).position !== 'fixed') {
              const inner = Array.from(e.children).some(c => c.getBoundingClientRect().right > width + 1);
              if (!inner) wide.push(`${e.tagName.toLowerCase()}.${(e.className?.baseVal ?? e.className ?? '').toString().trim().replace(/\s+/g, '.')} right=${Math.round(r.right)}`);
            }
          }
          return { scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 8).join('\n') };
        }
        """;

    [Fact]
    public async Task EveryPage_PhoneViewport_IsNoWiderThanTheScreen_AndItsActionsAreOnIt()
    {
        var name = "phone-" + Guid.NewGuid().ToString("N")[..6];
        var id = await CreateRunningContainerAsync(name);
        var groupName = "phone-group-" + Guid.NewGuid().ToString("N")[..6];
        using (var scope = App.Services.CreateScope())
        {
            var group = await scope.ServiceProvider.GetRequiredService<ScalingService>().CreateAsync(new CreateScalingGroupRequest(groupName, "busybox", 0, 2, 0), "browser-test");
            Assert.True(group.Kind == ResultKind.Ok, group.Message);
        }

        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = PhoneWidth, Height = 844 },
            DeviceScaleFactor = 3,
            IsMobile = true,
            HasTouch = true,
            StorageState = App.StorageState,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);

        await App.GotoAsync(page, $"/machines/{id}");
        await Expect(page.GetByTestId("machine-title")).ToHaveTextAsync(name);
        var operation = await page.Locator("[data-test=machine-operations] a[href^='/operations/']").First.GetAttributeAsync("href");

        var paths = new[]
        {
            "/", "/machines", $"/machines/{id}", "/hosts", "/hosts/browser-test-host", "/catalog", "/operations", operation!, "/scaling", $"/scaling/{groupName}",
            "/schedules", "/tokens", "/users", "/projects", "/projects/default", "/agents", "/audit", "/no/such/page",
        };
        var failures = new List<string>();
        foreach (var path in paths)
        {
            await App.GotoAsync(page, path);
            // The page has its data (a heading, a grid or a paper), not only its spinner.
            await page.Locator(".mud-main-content :is(h1,h2,h3,h4,h5,h6)").First.WaitForAsync();
            await page.WaitForFunctionAsync("() => !document.querySelector('.mud-main-content .mud-progress-circular')");
            var measured = await page.EvaluateAsync<Overflow>(OverflowScript, PhoneWidth);
            await BrowserFixture.ScreenshotAsync(page, "phone" + (path == "/" ? "-overview" : path.Replace('/', '-')[..Math.Min(path.Length, 24)]));
            if (measured.Scroll > PhoneWidth)
            {
                failures.Add($"{path} is {measured.Scroll} px wide:\n{measured.Wide}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));

        // The main actions are on the screen, not cut off beyond its edge.
        await App.GotoAsync(page, $"/machines/{id}");
        foreach (var action in new[] { "action-start", "action-stop", "action-force-stop", "action-restart", "action-pause", "action-resume", "action-migrate", "action-delete", "theme-toggle" })
        {
            await AssertOnScreenAsync(page.GetByTestId(action), action);
        }

        await App.GotoAsync(page, "/hosts");
        await AssertOnScreenAsync(page.GetByTestId("host-evacuate").First, "Evacuate");
        await context.CloseAsync();
    }

    private static async Task AssertOnScreenAsync(ILocator locator, string what)
    {
        await Expect(locator).ToBeVisibleAsync();
        var box = (await locator.BoundingBoxAsync())!;
        Assert.True(box.X >= 0 && box.X + box.Width <= PhoneWidth, $"{what} is at {box.X}..{box.X + box.Width}, off a {PhoneWidth} px screen");
        // Squeezed into less room than its label needs, a button cuts its own label off.
        var clipped = await locator.EvaluateAsync<string?>("e => [e, ...e.querySelectorAll('*')].filter(x => x.scrollWidth > x.clientWidth + 1 && getComputedStyle(x).overflow !== 'visible').map(x => x.className).join(', ') || null");
        Assert.True(clipped is null, $"{what} cuts off its content ({clipped})");
    }

    private sealed class Overflow
    {
        public int Scroll { get; set; }
        public string Wide { get; set; } = "";
    }
}
