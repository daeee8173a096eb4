using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using static Microsoft.Playwright.Assertions;

namespace Ringmaster.Browser.Tests;

/// <summary>The graphical console's viewer (noVNC) failing to load on the way, in Chromium: what the page says, and a Retry that loads it.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class DisplayLoadTests(BrowserFixture fixture)
{
    [Fact]
    public async Task DisplayWindow_NoVncImportFailsOnce_SaysItCouldNotBeLoaded_AndRetryLoadsIt()
    {
        // A QEMU VM the store says runs, on no host: enough for the display window to load the viewer,
        // whose connection then ends (what matters here is that the viewer loaded and tried).
        var dbFactory = fixture.App.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>();
        var id = Guid.NewGuid();
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            db.Machines.Add(new MachineEntity
            {
                Id = id,
                Name = "display-load-" + id.ToString("N")[..6],
                Kind = MachineKind.Vm,
                Engine = VmEngine.Qemu,
                Template = "x86-small",
                Image = "x86-small",
                Spec = new MachineSpec(1, 256, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]),
                State = MachineState.Running,
                CreatedAt = DateTime.UtcNow,
                UpdatedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        try
        {
            var page = await fixture.NewPageAsync();
            // The network drops noVNC's module at its plain address, as a failure under load would.
            await page.RouteAsync("**/lib/novnc/core/rfb.js", route => route.AbortAsync("failed"));
            // The window's own layout has no ready marker: the failure, shown once the circuit runs, is waited for.
            await page.GotoAsync(new Uri(fixture.App.Address, $"/machines/{id}/display").ToString());

            var failed = page.GetByTestId("display-failed");
            await Expect(failed).ToContainTextAsync("The display viewer (noVNC) could not be loaded");
            await Expect(failed).Not.ToContainTextAsync("not built in");
            await BrowserFixture.ScreenshotAsync(page, "display-load-failed");

            // The network is back: Retry loads the viewer (at ?retry=2, for browsers that keep a failed import) and it runs.
            await page.UnrouteAsync("**/lib/novnc/core/rfb.js");
            var retried = page.WaitForRequestAsync(RetryAddress());
            await page.GetByTestId("display-retry").ClickAsync();
            await retried;

            await Expect(failed).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("display-status")).ToHaveAttributeAsync("data-state", SessionState());
            await page.Context.CloseAsync();
        }
        finally
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            await db.Machines.Where(m => m.Id == id).ExecuteDeleteAsync();
        }
    }

    [GeneratedRegex(@"/lib/novnc/core/rfb\.js\?retry=2$")]
    private static partial Regex RetryAddress();

    /// <summary>A state only noVNC's session sets: the viewer loaded and ran.</summary>
    [GeneratedRegex("^(connecting|connected|disconnected)$")]
    private static partial Regex SessionState();
}
