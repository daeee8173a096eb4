using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// V2V through the API of the product with its embedded agent (QEMU under TCG here): disks from other
/// hypervisors (VMDK, VDI, VHD, VHDX, an OVA), made by qemu-img from a tiny bootable raw disk, imported
/// as kind disk, each made into a QEMU VM with its own qcow2. One VM boots (the VMDK's, emulated
/// devices) and prints its boot sector's marker; the others are shown identical to the source disk.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class QemuV2vImportTests(QemuV2vImportTests.Product product) : IClassFixture<QemuV2vImportTests.Product>
{
    private ApiClient Api => product.Api;

    [Fact]
    public async Task ImportVmdk_CreateFromIt_BootsItsDiskOnEmulatedDevices()
    {
        var vmdk = await V2vDisks.ConvertAsync(product.Disks, "vmdk");
        // the file's name says "img": its content says VMDK
        var image = await product.UploadAsync("from-vmware", await File.ReadAllBytesAsync(vmdk), "exported.img");
        Assert.Equal("disk", image.GetProperty("kind").GetString());

        var operationId = await Api.StartOperationAsync(HttpMethod.Post, "/api/v1/machines", new { name = "v2v-vmdk", template = "x86-small", disk = "from-vmware", diskGiB = 1 });
        var operation = await Api.WaitSucceededAsync(operationId, TimeSpan.FromMinutes(5));
        Assert.Contains("Converting the vmdk disk to qcow2", operation.GetProperty("log").GetString());
        var vm = await Api.MachineAsync("v2v-vmdk");
        Assert.Equal(("Running", "qemu", "emulated", 1), (vm.GetProperty("state").GetString(), vm.GetProperty("engine").GetString(),
            vm.GetProperty("spec").GetProperty("devices").GetString(), vm.GetProperty("spec").GetProperty("disks")[0].GetProperty("sizeGiB").GetInt32()));

        // SeaBIOS boots the imported disk from the emulated IDE disk; its boot sector prints the marker on the serial console
        await using (var console = await Api.OpenConsoleAsync("v2v-vmdk"))
        {
            await console.ReadUntilAsync(seen => seen.Contains(V2vDisks.Marker, StringComparison.Ordinal), TimeSpan.FromMinutes(3));
            Assert.True(console.Seen.Contains(V2vDisks.Marker, StringComparison.Ordinal), $"the imported disk's boot sector never printed its marker; the console showed: {console.Seen}");
        }

        var folder = await product.VmFolderAsync("v2v-vmdk");
        var commandLine = await File.ReadAllTextAsync($"/proc/{(await File.ReadAllTextAsync(Path.Combine(folder, "qemu.pid"))).Trim()}/cmdline");
        Assert.Contains("ide-hd", commandLine);
        Assert.Contains("e1000", commandLine);
        Assert.DoesNotContain("virtio-blk", commandLine);

        var stop = await Api.StartOperationAsync(HttpMethod.Post, "/api/v1/machines/v2v-vmdk/force-stop");
        await Api.WaitSucceededAsync(stop, TimeSpan.FromMinutes(2));
        await AssertOwnCopyAsync(folder, expectedGiB: 1);
    }

    [Theory]
    [InlineData("vdi", null)]
    [InlineData("vpc", null)]
    [InlineData("vpc", "subformat=fixed")]
    [InlineData("vhdx", null)]
    public async Task ImportOtherFormats_CreateWithVirtio_DiskIdenticalToTheSource(string format, string? option)
    {
        var file = await V2vDisks.ConvertAsync(product.Disks, format, option is null ? [] : [option]);
        var name = $"from-{format}{(option is null ? "" : "-fixed")}";
        await product.UploadAsync(name, await File.ReadAllBytesAsync(file), "disk.bin");

        var vm = await Api.CreateMachineAsync(new { name = $"v2v-{name}", template = "x86-small", disk = name, diskGiB = 2, devices = "virtio", start = false }, TimeSpan.FromMinutes(5));
        Assert.Equal(("Stopped", "virtio", 2), (vm.GetProperty("state").GetString(), vm.GetProperty("spec").GetProperty("devices").GetString(),
            vm.GetProperty("spec").GetProperty("disks")[0].GetProperty("sizeGiB").GetInt32()));
        await AssertOwnCopyAsync(await product.VmFolderAsync($"v2v-{name}"), expectedGiB: 2);
    }

    [Fact]
    public async Task ImportDiskLargerThanAsked_CreateFromIt_VmKeepsTheDisksOwnSize()
    {
        var large = Path.Combine(product.Disks, "large.qcow2");
        await V2vDisks.QemuImgAsync("create", "-q", "-f", "qcow2", large, "1536M");
        await product.UploadAsync("from-large", await File.ReadAllBytesAsync(large), "large.qcow2");

        var vm = await Api.CreateMachineAsync(new { name = "v2v-large", template = "x86-small", disk = "from-large", diskGiB = 1, start = false }, TimeSpan.FromMinutes(5));

        Assert.Equal(2, vm.GetProperty("spec").GetProperty("disks")[0].GetProperty("sizeGiB").GetInt32());
        Assert.Equal(2, (await Api.MachineAsync("v2v-large")).GetProperty("spec").GetProperty("disks")[0].GetProperty("sizeGiB").GetInt32());
        var info = JsonDocument.Parse(await V2vDisks.QemuImgAsync("info", "--output=json", "-U", Path.Combine(await product.VmFolderAsync("v2v-large"), "disk.qcow2"))).RootElement;
        Assert.Equal(2L << 30, info.GetProperty("virtual-size").GetInt64());
    }

    [Fact]
    public async Task ImportOva_CreateFromIt_TakesTheOvfsVcpusAndMemoryUnlessOverridden()
    {
        var vmdk = await V2vDisks.ConvertAsync(product.Disks, "vmdk", "subformat=streamOptimized");
        var image = await product.UploadAsync("from-ova", V2vDisks.Ova(V2vDisks.Ovf(3, 768, "byte * 2^20"), vmdk), "appliance.ova");
        Assert.Equal("disk", image.GetProperty("kind").GetString());

        var vm = await Api.CreateMachineAsync(new { name = "v2v-ova", template = "x86-small", disk = "from-ova", start = false }, TimeSpan.FromMinutes(5));
        Assert.Equal((3, 768, "emulated"), (vm.GetProperty("spec").GetProperty("vcpus").GetInt32(), vm.GetProperty("spec").GetProperty("memoryMiB").GetInt32(),
            vm.GetProperty("spec").GetProperty("devices").GetString()));
        await AssertOwnCopyAsync(await product.VmFolderAsync("v2v-ova"), expectedGiB: 1);

        var overridden = await Api.CreateMachineAsync(new { name = "v2v-ova-small", template = "x86-small", disk = "from-ova", vcpus = 1, start = false }, TimeSpan.FromMinutes(5));
        Assert.Equal((1, 768), (overridden.GetProperty("spec").GetProperty("vcpus").GetInt32(), overridden.GetProperty("spec").GetProperty("memoryMiB").GetInt32()));
    }

    [Fact]
    public async Task ImportAndCreate_BadInput_ClearProblemsAndNothingMade()
    {
        var machines = (await Api.GetAsync("/api/v1/machines")).GetProperty("items").GetArrayLength();

        // A text file uploaded as a disk
        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("This is a text file, not a disk.\n", 100)));
        var upload = await Api.Http.PostAsync("/api/v1/images", ImageTarballs.Upload("not-a-disk", "disk", text, "disk.vmdk"));
        var uploadText = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.BadRequest, uploadText);
        Assert.Equal("application/problem+json", upload.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("This file is no disk image", JsonDocument.Parse(uploadText).RootElement.GetProperty("errors").GetProperty("file")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Api.Http.GetAsync("/api/v1/images/not-a-disk")).StatusCode);

        // A qcow2 layered on a file of the server's
        var layered = Path.Combine(product.Disks, "layered.qcow2");
        await V2vDisks.QemuImgAsync("create", "-q", "-f", "qcow2", "-b", await V2vDisks.ConvertAsync(product.Disks, "qcow2"), "-F", "qcow2", layered);
        upload = await Api.Http.PostAsync("/api/v1/images", ImageTarballs.Upload("layered", "disk", await File.ReadAllBytesAsync(layered), "layered.qcow2"));
        uploadText = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.BadRequest, uploadText);
        Assert.Contains("layered on a backing file", uploadText);

        // Unknown disks, a disk for an emulator template, and an image that is no disk
        var errors = await RefusedAsync(new { name = "v2v-bad", template = "x86-small", disk = "no-such-disk" });
        Assert.Contains("Unknown image 'no-such-disk'", errors.GetProperty("disk")[0].GetString());
        await product.UploadAsync("for-bad-input", await File.ReadAllBytesAsync(await V2vDisks.ConvertAsync(product.Disks, "vdi")), "disk.vdi");
        errors = await RefusedAsync(new { name = "v2v-bad", template = "default", disk = "for-bad-input" });
        Assert.Contains("a disk from another hypervisor becomes a QEMU VM", errors.GetProperty("disk")[0].GetString());
        errors = await RefusedAsync(new { name = "v2v-bad", template = "default", devices = "emulated" });
        Assert.Contains("virtio or emulated devices are a choice for QEMU VMs", errors.GetProperty("devices")[0].GetString());

        // A disk image is no template's image
        var template = await Api.Http.PostAsJsonAsync("/api/v1/templates", new { name = "disk-template", image = "for-bad-input" });
        var templateText = await template.Content.ReadAsStringAsync();
        Assert.True(template.StatusCode == HttpStatusCode.BadRequest, templateText);
        Assert.Contains("A disk image is no template's image", templateText);

        Assert.Equal(machines, (await Api.GetAsync("/api/v1/machines")).GetProperty("items").GetArrayLength());
    }

    /// <summary>The VM's disk is a qcow2 of its own (no backing file) of the size asked, with the source disk's bytes.</summary>
    private async Task AssertOwnCopyAsync(string folder, int expectedGiB)
    {
        var disk = Path.Combine(folder, "disk.qcow2");
        var info = JsonDocument.Parse(await V2vDisks.QemuImgAsync("info", "--output=json", "-U", disk)).RootElement;
        Assert.Equal("qcow2", info.GetProperty("format").GetString());
        Assert.False(info.TryGetProperty("backing-filename", out _), $"the VM's disk is its own, without a base: {info}");
        Assert.Equal((long)expectedGiB << 30, info.GetProperty("virtual-size").GetInt64());
        // the source's 8 MiB, then zeros up to the VM's size
        Assert.Contains("Images are identical", await V2vDisks.QemuImgAsync("compare", "-U", "-f", "raw", "-F", "qcow2", Path.Combine(product.Disks, "boot.raw"), disk));
    }

    private async Task<JsonElement> RefusedAsync(object body)
    {
        var response = await Api.Http.PostAsJsonAsync("/api/v1/machines", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("errors").Clone();
    }

    /// <summary>The product with its embedded agent, and a folder for the disks the tests make.</summary>
    public sealed class Product : IAsyncLifetime
    {
        private readonly string _data = Directory.CreateTempSubdirectory("ringmaster-qemu-v2v-").FullName;
        private readonly int _port = RingmasterProcess.FreePort();
        private readonly string _token = "qemu-" + Guid.NewGuid().ToString("N");
        private readonly SemaphoreSlim _diskLock = new(1, 1);

        public RingmasterProcess Web { get; private set; } = null!;

        public ApiClient Api { get; private set; } = null!;

        public string Disks { get; } = Directory.CreateTempSubdirectory("ringmaster-v2v-disks-").FullName;

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

        /// <summary>Uploads a file as an image of kind disk; the image the server answers with (201).</summary>
        public async Task<JsonElement> UploadAsync(string name, byte[] content, string fileName)
        {
            await _diskLock.WaitAsync();
            try
            {
                var response = await Api.Http.PostAsync("/api/v1/images", ImageTarballs.Upload(name, "disk", content, fileName));
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.Created, text);
                return JsonDocument.Parse(text).RootElement.Clone();
            }
            finally
            {
                _diskLock.Release();
            }
        }

        /// <summary>A VM's folder in the embedded agent's data.</summary>
        public async Task<string> VmFolderAsync(string name)
        {
            var id = (await Api.MachineAsync(name)).GetProperty("id").GetGuid().ToString("N");
            return Assert.Single(Directory.GetDirectories(_data, id, SearchOption.AllDirectories));
        }

        public async Task DisposeAsync()
        {
            try
            {
                if (!Web.HasExited)
                {
                    foreach (var machine in (await Api.GetAsync("/api/v1/machines")).GetProperty("items").EnumerateArray())
                    {
                        var delete = await Api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{machine.GetProperty("name").GetString()}");
                        await Api.WaitSucceededAsync(delete, TimeSpan.FromMinutes(1));
                    }
                }
            }
            finally
            {
                await Web.DisposeAsync();
                QemuLeftovers.KillUnder(_data);
                Directory.Delete(_data, recursive: true);
                Directory.Delete(Disks, recursive: true);
                _diskLock.Dispose();
            }
        }
    }
}
