using Ringmaster.Cli.Tests.Infrastructure;

namespace Ringmaster.Cli.Tests;

/// <summary><c>ringmaster images import|list</c> and <c>machines create --disk-image</c> against a real server.</summary>
public sealed class ImagesCliTests(CliServerFixture server) : IClassFixture<CliServerFixture>, IDisposable
{
    private readonly CliRunner _cli = CliRunner.For(server.Client);
    private readonly string _folder = Directory.CreateTempSubdirectory("ringmaster-cli-images-").FullName;

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task ImportDisk_RawDisk_ShownAsDiskAndListed_ThenRefusedForAContainerTemplate()
    {
        var name = $"cli-disk-{Guid.NewGuid():N}"[..16];
        var disk = new byte[1 << 20];
        disk[510] = 0x55;
        disk[511] = 0xAA;
        var path = Path.Combine(_folder, "exported.img");
        await File.WriteAllBytesAsync(path, disk);

        var imported = await _cli.RunAsync("images", "import", name, path);

        Assert.True(imported.ExitCode == 0, imported.ToString());
        Assert.Contains("Kind:", imported.Out);
        Assert.Contains("disk", imported.Out.Split('\n').Single(l => l.StartsWith("Kind:", StringComparison.Ordinal)));
        var row = (await _cli.RunAsync("images", "list")).Out.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.Contains(" disk ", row);

        var create = await _cli.RunAsync("machines", "create", "cli-v2v", "--template", "busybox", "--disk-image", name, "--devices", "emulated");
        Assert.Equal(1, create.ExitCode);
        Assert.Contains("a disk from another hypervisor becomes a QEMU VM.", create.Error);
        Assert.Contains("virtio or emulated devices are a choice for QEMU VMs.", create.Error);
    }

    [Fact]
    public async Task ImportDisk_TextFile_RefusedSayingItIsNoDiskImage()
    {
        var path = Path.Combine(_folder, "notes.vmdk");
        await File.WriteAllTextAsync(path, string.Concat(Enumerable.Repeat("This is a text file, not a disk.\n", 100)));

        var result = await _cli.RunAsync("images", "import", "cli-not-a-disk", path, "--kind", "disk");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("file: This file is no disk image", result.Error);
    }
}
