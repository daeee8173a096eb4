using System.Net;
using System.Net.Http.Json;
using Ringmaster.Shared;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>An uploaded image used by the embedded agent: fetched from the server, checked, imported, run.</summary>
public sealed class ImageImportAgentTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new() { Embedded = true };
    private ApiClient _api = null!;

    public async Task InitializeAsync()
    {
        _api = new ApiClient(_factory.StartKestrel());
        await HttpJson.EventuallyAsync(
            () => _api.GetAsync("/api/v1/hosts"),
            page => page.GetProperty("items").EnumerateArray().Any(h => h.GetProperty("online").GetBoolean()),
            TimeSpan.FromSeconds(60), "the embedded host online");
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task UploadedBusyboxRootfs_TemplateThenContainer_ConsoleEchoWorks()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var image = "bb-" + suffix;
        var uploaded = await _api.Http.PostAsync("/api/v1/images", ImageTarballs.Upload(image, "container", ImageTarballs.BusyboxRootfs(gzip: true), "busybox-rootfs.tar.gz"));
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        var template = await _api.Http.PostAsJsonAsync("/api/v1/templates", new { name = image, image });
        Assert.Equal(HttpStatusCode.Created, template.StatusCode);

        var name = "imp-" + suffix;
        var machine = await _api.CreateMachineAsync(new { name, template = image }, TimeSpan.FromMinutes(3));

        Assert.Equal("Running", machine.GetProperty("state").GetString());
        Assert.Equal(image, machine.GetProperty("template").GetString());
        await using (var console = await _api.OpenConsoleAsync(name))
        {
            await console.WaitReadyAsync();
            await console.TypeAsync("echo imported-$((6*7))\n");
            await console.ReadUntilAsync(_ => console.Lines.Contains("imported-42"), TimeSpan.FromSeconds(20));
            Assert.True(console.Lines.Contains("imported-42"), $"the console never printed 'imported-42'; it showed: {console.Seen}");
        }

        await _api.WaitSucceededAsync(await _api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{name}"), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task UploadedVmImage_TemplateThenVm_AgentFetchesItAndTheVmStarts()
    {
        var folder = Path.Combine(SourceCheckout.Root!, "images", "default");
        using var tarball = new MemoryStream();
        using (var tar = new System.Formats.Tar.TarWriter(tarball, leaveOpen: true))
        {
            foreach (var file in new[] { "fw_dynamic.bin", "Image.gz", "initramfs.cpio.gz", "manifest.json" })
            {
                await tar.WriteEntryAsync(Path.Combine(folder, file), file);
            }
        }

        var suffix = Guid.NewGuid().ToString("N")[..8];
        var image = "vm-" + suffix;
        var uploaded = await _api.Http.PostAsync("/api/v1/images", ImageTarballs.Upload(image, "vm", tarball.ToArray(), "default-image.tar"));
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _api.Http.PostAsJsonAsync("/api/v1/templates", new { name = image, image, memoryMiB = 128 })).StatusCode);

        var name = "impvm-" + suffix;
        var machine = await _api.CreateMachineAsync(new { name, template = image }, TimeSpan.FromMinutes(3));

        Assert.Equal("Running", machine.GetProperty("state").GetString());
        Assert.Equal("vm", machine.GetProperty("kind").GetString());
        await _api.WaitSucceededAsync(await _api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{name}"), TimeSpan.FromMinutes(1));
    }
}
