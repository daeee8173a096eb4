using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Browser.Tests;

/// <summary>The graphical console of a QEMU VM (noVNC on the machine page).</summary>
public sealed partial class DashboardTests
{
    /// <summary>What noVNC's canvas shows: its size and how many pixels are lit (not black).</summary>
    private sealed class Screen
    {
        public int Width { get; set; }
        public int Height { get; set; }
        public int Lit { get; set; }
    }

    [Fact]
    public async Task MachinePage_QemuVmDisplay_ShowsTheScreenAndKeysTypedInItReachTheGuest()
    {
        var name = "display-" + Guid.NewGuid().ToString("N")[..6];
        var id = await CreateRunningQemuVmAsync(name);
        var page = await fixture.NewPageAsync();
        await App.GotoAsync(page, $"/machines/{id}");

        // x86-small's shell is on the serial console; one started from there on tty1 (the VGA
        // screen), in a session of its own so that it does not stop as a background job of the
        // serial shell, answers what is typed in the display.
        var console = page.GetByTestId("console");
        await Expect(console).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 30_000 });
        await WaitForConsoleAsync(page, text => text.Contains("~ #", StringComparison.Ordinal), TimeSpan.FromMinutes(3));
        await TypeInConsoleAsync(page, "setsid sh -i </dev/tty1 >/dev/tty1 2>&1 &");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Display" }).ClickAsync();
        var status = page.GetByTestId("display-status");
        await Expect(status).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 30_000 });
        await Expect(status).ToHaveTextAsync("Connected");
        await Expect(console).ToHaveCountAsync(0);

        // The first screen: the guest's VGA text console, with the shell's prompt on it.
        await page.WaitForFunctionAsync($"() => ({ScreenScript})()?.lit > 0", null, new() { Timeout = 60_000 });
        var first = await ScreenAsync(page);
        Assert.True(first.Width >= 640 && first.Height >= 400, $"the canvas is {first.Width}×{first.Height}");
        await BrowserFixture.ScreenshotAsync(page, "machine-display-first-screen");

        // Keys pressed in the canvas go to the guest's keyboard: the shell echoes them and answers
        // with a screenful (a blinking cursor changes a few pixels, a line of echoed text some hundreds).
        await page.GetByTestId("display-screen").Locator("canvas").ClickAsync();
        await page.Keyboard.TypeAsync("cat /proc/cpuinfo");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync($"() => ({ScreenScript})()?.lit > {first.Lit + 3000}", null, new() { Timeout = 60_000 });
        var answered = await ScreenAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "machine-display-after-keys");

        // Paste as typed text: the text goes in as key presses too; "clear" empties the screen.
        await page.Locator("input[data-test=display-paste-text], [data-test=display-paste-text] input").First.FillAsync("clear");
        await page.GetByTestId("display-type").ClickAsync();
        // The field empties once the text went in as keys; Enter goes after it, not before.
        await Expect(page.GetByTestId("display-type")).ToBeDisabledAsync();
        await page.GetByTestId("display-screen").Locator("canvas").PressAsync("Enter");
        await page.WaitForFunctionAsync($"() => ({ScreenScript})()?.lit < {answered.Lit / 4}", null, new() { Timeout = 60_000 });
        await BrowserFixture.ScreenshotAsync(page, "machine-display-after-paste");

        // Pop out: the display alone in a window of its own, connected too.
        var popup = await page.RunAndWaitForPopupAsync(() => page.GetByTestId("display-pop-out").ClickAsync());
        Assert.EndsWith($"/machines/{id}/display", popup.Url, StringComparison.Ordinal);
        await Expect(popup.GetByTestId("display-status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 30_000 });
        await popup.WaitForFunctionAsync($"() => ({ScreenScript})()?.lit > 0", null, new() { Timeout = 30_000 });
        Assert.Equal(0, await popup.Locator(".mud-drawer").CountAsync());
        await BrowserFixture.ScreenshotAsync(popup, "machine-display-pop-out");
        await popup.CloseAsync();

        await page.Context.CloseAsync();
    }

    /// <summary>Counts the lit pixels of noVNC's canvas (null while there is none).</summary>
    private const string ScreenScript = """
        () => {
          const canvas = document.querySelector('[data-test=display-screen] canvas');
          if (!canvas || !canvas.width || !canvas.height) return null;
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let lit = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i] + data[i + 1] + data[i + 2] > 96) lit++;
          }
          return { width: canvas.width, height: canvas.height, lit };
        }
        """;

    private static async Task<Screen> ScreenAsync(IPage page) =>
        await page.EvaluateAsync<Screen?>($"() => ({ScreenScript})()") ?? throw new Xunit.Sdk.XunitException("noVNC shows no canvas.");

    private async Task<Guid> CreateRunningQemuVmAsync(string name)
    {
        using var scope = App.Services.CreateScope();
        var machines = scope.ServiceProvider.GetRequiredService<MachineService>();
        var result = await machines.CreateAsync(new CreateMachineRequest(name, "x86-small", Engine: VmEngine.Qemu), "browser-test");
        Assert.True(result.Kind == ResultKind.Ok, result.Message + " " + string.Join(" ", result.Errors?.SelectMany(e => e.Value) ?? []));
        fixture.Created.Add(result.Value!.Machine!.Id);
        await scope.ServiceProvider.GetRequiredService<OperationService>().WhenIdleAsync();
        var machine = await scope.ServiceProvider.GetRequiredService<Ringmaster.Web.Services.IDashboardData>().GetMachineAsync(result.Value.Machine.Id);
        Assert.True(machine?.State == MachineState.Running, $"the QEMU VM is {machine?.State}: {machine?.Detail}");
        return result.Value.Machine.Id;
    }
}
