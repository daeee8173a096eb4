using System.Formats.Tar;
using Microsoft.Playwright;
using Ringmaster.Web.Components;
using static Microsoft.Playwright.Assertions;

namespace Ringmaster.Browser.Tests;

/// <summary>The Images page in Chromium: an admin uploads a container root filesystem through the file picker, then deletes it.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ImagesTests(BrowserFixture fixture)
{
    private RingmasterApp App => fixture.App;

    [Fact]
    public async Task Images_AdminUploadsARootfsThenDeletesIt_TheListFollows()
    {
        var name = "rootfs-" + Guid.NewGuid().ToString("N")[..6];
        var tar = RootfsTar();
        var page = await fixture.NewPageAsync();
        await App.GotoAsync(page, "/images");
        await Expect(page.GetByTestId("upload-form")).ToBeVisibleAsync();

        // The picker's input is hidden behind its "Choose file…" button; Playwright hands it the file as the picker would.
        await page.Locator("input#image-file").SetInputFilesAsync(new FilePayload { Name = name + ".tar", MimeType = "application/x-tar", Buffer = tar });
        await Expect(page.GetByTestId("image-chosen")).ToContainTextAsync($"{name}.tar · {Display.Bytes(tar.Length)}");
        await Expect(page.Locator("[data-test=image-name] input, input[data-test=image-name]").First).ToHaveValueAsync(name);

        await page.GetByTestId("image-upload").ClickAsync();

        await Expect(page.GetByTestId("image-message")).ToContainTextAsync($"Image {name} imported: container root filesystem, {Display.Bytes(tar.Length)}.");
        var row = page.Locator("tr", new() { Has = page.Locator($"[data-test=image-row][data-image='{name}']") });
        await Expect(row.GetByTestId("image-kind-cell")).ToHaveTextAsync("container root filesystem");
        await Expect(row.GetByTestId("image-size")).ToHaveTextAsync(Display.Bytes(tar.Length));
        await Expect(row.GetByTestId("image-used-by")).ToHaveTextAsync("nothing");
        await BrowserFixture.ScreenshotAsync(page, "images-uploaded");

        // Delete asks first; Cancel keeps the image.
        await row.GetByTestId("image-delete").ClickAsync();
        var dialog = page.Locator(".mud-dialog");
        await Expect(dialog).ToContainTextAsync($"Delete image {name}?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(row).ToHaveCountAsync(1);

        await row.GetByTestId("image-delete").ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();

        await Expect(page.GetByTestId("image-message")).ToHaveTextAsync($"Image {name} deleted.");
        await Expect(row).ToHaveCountAsync(0);
        await page.ReloadAsync();
        await RingmasterApp.WaitInteractiveAsync(page);
        await Expect(page.GetByTestId("upload-form")).ToBeVisibleAsync();
        await Expect(page.Locator($"[data-test=image-row][data-image='{name}']")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    /// <summary>A root filesystem tarball: <c>etc/hostname</c> and a 64 KiB file.</summary>
    private static byte[] RootfsTar()
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "etc/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/hostname") { DataStream = new MemoryStream("browser\n"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "var/blob") { DataStream = new MemoryStream(new byte[64 * 1024]) });
        }

        return tar.ToArray();
    }
}
