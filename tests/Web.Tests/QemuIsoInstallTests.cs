using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Installing a QEMU VM from an ISO through the API of the product with its embedded agent (TCG here):
/// Debian's installer made into an ISO (<see cref="InstallerIso"/>), imported as kind iso, booted from
/// the CD onto an empty disk, then ejected. One VM for the class.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class QemuIsoInstallTests(QemuIsoInstallTests.Product product) : IClassFixture<QemuIsoInstallTests.Product>
{
    private ApiClient Api => product.Api;

    [Fact]
    public async Task InstallFromIso_BootsTheInstallerThenEjected_NextStartBootsTheEmptyDisk()
    {
        var image = await product.IsoImageAsync();
        Assert.Equal("iso", image.GetProperty("kind").GetString());
        var listed = (await Api.GetAsync("/api/v1/images")).GetProperty("items").EnumerateArray().Single(i => i.GetProperty("name").GetString() == Product.IsoName);
        Assert.Equal("iso", listed.GetProperty("kind").GetString());

        var vm = await Api.CreateMachineAsync(new { name = Product.VmName, template = "x86-small", iso = Product.IsoName, diskGiB = 2, memoryMiB = 1024 }, TimeSpan.FromMinutes(5));
        Assert.Equal((Product.IsoName, "qemu", 2), (vm.GetProperty("iso").GetString(), vm.GetProperty("engine").GetString(), vm.GetProperty("spec").GetProperty("disks")[0].GetProperty("sizeGiB").GetInt32()));
        var folder = await product.VmFolderAsync();
        var disk = await QemuImgInfoAsync(Path.Combine(folder, "disk.qcow2"));
        Assert.Equal(2L << 30, disk.GetProperty("virtual-size").GetInt64());
        Assert.False(disk.TryGetProperty("backing-filename", out _), $"the disk of a VM installed from an ISO is empty, without a base: {disk}");

        // The installer's first screen on the serial console (about half a minute under TCG on an idle machine).
        await using (var console = await Api.OpenConsoleAsync(Product.VmName))
        {
            await console.ReadUntilAsync(seen => seen.Contains("Select a language", StringComparison.Ordinal), TimeSpan.FromMinutes(10));
            Assert.True(console.Seen.Contains("Select a language", StringComparison.Ordinal), $"the installer's first screen never showed; the console showed: {console.Seen[^Math.Min(console.Seen.Length, 3000)..]}");
        }

        // The ISO in a machine's drive is in use: it cannot be deleted from under it.
        var deleteIso = await Api.Http.DeleteAsync($"/api/v1/images/{Product.IsoName}");
        var deleteIsoText = await deleteIso.Content.ReadAsStringAsync();
        Assert.True(deleteIso.StatusCode == HttpStatusCode.Conflict, deleteIsoText);
        Assert.Contains($"Image '{Product.IsoName}' is in use (1 machine(s))", deleteIsoText);

        var eject = await Api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{Product.VmName}/eject");
        await Api.WaitSucceededAsync(eject, TimeSpan.FromMinutes(2));
        var ejected = await Api.MachineAsync(Product.VmName);
        Assert.Equal("Running", ejected.GetProperty("state").GetString());
        Assert.True(!ejected.TryGetProperty("iso", out var iso) || iso.ValueKind == JsonValueKind.Null, $"the machine still names a CD: {ejected}");
        var machineJson = await File.ReadAllTextAsync(Path.Combine(folder, "machine.json"));
        Assert.DoesNotContain("cdrom", machineJson, StringComparison.OrdinalIgnoreCase);

        var again = await Api.Http.PostAsync($"/api/v1/machines/{Product.VmName}/eject", null);
        var againText = await again.Content.ReadAsStringAsync();
        Assert.True(again.StatusCode == HttpStatusCode.Conflict, againText);
        Assert.Contains("has no CD in its drive", againText);

        var stop = await Api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{Product.VmName}/force-stop");
        await Api.WaitSucceededAsync(stop, TimeSpan.FromMinutes(2));
        var start = await Api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{Product.VmName}/start");
        await Api.WaitSucceededAsync(start, TimeSpan.FromMinutes(2));

        // SeaBIOS finds nothing to boot on the empty disk and says so on its debug port, kept as firmware.log in the VM's folder.
        var firmwareLog = Path.Combine(folder, "firmware.log");
        var log = await HttpJson.EventuallyAsync(
            async () => File.Exists(firmwareLog) ? await File.ReadAllTextAsync(firmwareLog) : "",
            text => text.Contains("No bootable device", StringComparison.Ordinal), TimeSpan.FromMinutes(3), "SeaBIOS to find no bootable device");
        Assert.Contains("Booting from Hard Disk", log);
        Assert.DoesNotContain("Booting from DVD/CD", log);
        Assert.Equal("Running", (await Api.MachineAsync(Product.VmName)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Install_BadInput_400ByFieldAndNothingMade()
    {
        await product.IsoImageAsync();
        var images = (await Api.GetAsync("/api/v1/images")).GetProperty("items").GetArrayLength();
        var machines = (await Api.GetAsync("/api/v1/machines")).GetProperty("items").GetArrayLength();
        var operations = (await Api.GetAsync("/api/v1/operations")).GetProperty("items").GetArrayLength();

        // A file that is not an ISO, imported as one.
        var notIso = new byte[64 * 1024];
        "This is a text file, not a CD.\n"u8.CopyTo(notIso);
        var upload = await Api.Http.PostAsync("/api/v1/images", ImageTarballs.Upload("not-an-iso", "iso", notIso, "disc.iso"));
        var uploadText = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.BadRequest, uploadText);
        Assert.Contains("This file is not an ISO image", JsonDocument.Parse(uploadText).RootElement.GetProperty("errors").GetProperty("file")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Api.Http.GetAsync("/api/v1/images/not-an-iso")).StatusCode);

        // An ISO for an emulator template.
        var errors = await RefusedAsync(new { name = "iso-bad", template = "default", iso = Product.IsoName, diskGiB = 2 });
        Assert.Contains("installing from an ISO is for QEMU VMs", errors.GetProperty("iso")[0].GetString());

        // An image that is not there, and a template's image that is not an ISO.
        errors = await RefusedAsync(new { name = "iso-bad", template = "x86-small", iso = "no-such-iso", diskGiB = 2 });
        Assert.Contains("Unknown image 'no-such-iso'", errors.GetProperty("iso")[0].GetString());

        // A disk larger than the host's free space (the host reports it in its heartbeats).
        var free = (await Api.GetAsync("/api/v1/hosts")).GetProperty("items")[0].GetProperty("capabilities").GetProperty("diskFreeBytes").GetInt64();
        var tooLarge = (int)(free >> 30) + 100;
        Assert.True(tooLarge <= 4096, $"this host has too much free disk for the test: {free} bytes");
        errors = await RefusedAsync(new { name = "iso-bad", template = "x86-small", iso = Product.IsoName, diskGiB = tooLarge });
        Assert.Contains($"A disk of {tooLarge} GiB does not fit", errors.GetProperty("diskGiB")[0].GetString());

        // An ISO is no template's image.
        var template = await Api.Http.PostAsJsonAsync("/api/v1/templates", new { name = "iso-template", image = Product.IsoName });
        var templateText = await template.Content.ReadAsStringAsync();
        Assert.True(template.StatusCode == HttpStatusCode.BadRequest, templateText);
        Assert.Contains("An ISO image is no template's image", templateText);

        Assert.Equal(images, (await Api.GetAsync("/api/v1/images")).GetProperty("items").GetArrayLength());
        Assert.Equal(machines, (await Api.GetAsync("/api/v1/machines")).GetProperty("items").GetArrayLength());
        Assert.Equal(operations, (await Api.GetAsync("/api/v1/operations")).GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await Api.Http.GetAsync("/api/v1/machines/iso-bad")).StatusCode);
    }

    private async Task<JsonElement> RefusedAsync(object body)
    {
        var response = await Api.Http.PostAsJsonAsync("/api/v1/machines", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("errors").Clone();
    }

    private static async Task<JsonElement> QemuImgInfoAsync(string disk)
    {
        var info = new ProcessStartInfo("qemu-img") { ArgumentList = { "info", "--output=json", "-U", disk }, RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"qemu-img info {disk} failed");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    /// <summary>The product with its embedded agent, the installer ISO imported once, and the class's one VM.</summary>
    public sealed class Product : IAsyncLifetime
    {
        public const string VmName = "iso-install-1";
        public const string IsoName = "debian-installer-12";

        private readonly string _data = Directory.CreateTempSubdirectory("ringmaster-qemu-iso-").FullName;
        private readonly int _port = RingmasterProcess.FreePort();
        private readonly string _token = "qemu-" + Guid.NewGuid().ToString("N");
        private readonly SemaphoreSlim _imageLock = new(1, 1);
        private JsonElement? _image;

        public RingmasterProcess Web { get; private set; } = null!;

        public ApiClient Api { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Web = RingmasterProcess.StartWeb(_port, _data, _token, embeddedAgent: true);
            Api = ApiClient.For(_port);
            Api.Http.Timeout = TimeSpan.FromMinutes(2);
            await HttpJson.EventuallyAsync(
                async () => await Api.IsUpAsync() && (await Api.Http.GetAsync("/readyz")).IsSuccessStatusCode,
                ready => ready, TimeSpan.FromSeconds(60), $"the product to be ready; it printed: {Web.Output}");
            await HttpJson.EventuallyAsync(
                () => Api.GetAsync("/api/v1/templates"),
                page => page.GetProperty("items").EnumerateArray().Any(t => t.GetProperty("name").GetString() == "x86-small" && t.GetProperty("available").GetBoolean()),
                TimeSpan.FromSeconds(60), "template x86-small to be available");
        }

        /// <summary>The installer ISO, imported through the API (an upload of kind iso) the first time a test asks.</summary>
        public async Task<JsonElement> IsoImageAsync()
        {
            await _imageLock.WaitAsync();
            try
            {
                if (_image is null)
                {
                    var iso = await InstallerIso.PathAsync();
                    var response = await Api.Http.PostAsync("/api/v1/images", ImageTarballs.Upload(IsoName, "iso", await File.ReadAllBytesAsync(iso), "installer.iso"));
                    var text = await response.Content.ReadAsStringAsync();
                    Assert.True(response.StatusCode == HttpStatusCode.Created, text);
                    _image = JsonDocument.Parse(text).RootElement.Clone();
                }

                return _image.Value;
            }
            finally
            {
                _imageLock.Release();
            }
        }

        /// <summary>The VM's folder in the embedded agent's data.</summary>
        public async Task<string> VmFolderAsync()
        {
            var id = (await Api.MachineAsync(VmName)).GetProperty("id").GetGuid().ToString("N");
            return Assert.Single(Directory.GetDirectories(_data, id, SearchOption.AllDirectories));
        }

        public async Task DisposeAsync()
        {
            try
            {
                if (!Web.HasExited && (await Api.Http.GetAsync($"/api/v1/machines/{VmName}")).IsSuccessStatusCode)
                {
                    var delete = await Api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{VmName}");
                    await Api.WaitSucceededAsync(delete, TimeSpan.FromMinutes(1));
                }
            }
            finally
            {
                await Web.DisposeAsync();

                QemuLeftovers.KillUnder(_data);

                Directory.Delete(_data, recursive: true);
                _imageLock.Dispose();
            }
        }
    }
}
