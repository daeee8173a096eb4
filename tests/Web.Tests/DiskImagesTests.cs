using System.Text;
using Ringmaster.Core.Services;
using Ringmaster.Shared;

namespace Ringmaster.Web.Tests;

/// <summary>A disk image's format told from its content (<see cref="DiskImages"/>): real images made by qemu-img, and made-up headers for what is refused.</summary>
public sealed class DiskImagesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ringmaster-disk-formats-").FullName;

    [Theory]
    [InlineData("qcow2", DiskImageFormat.Qcow2)]
    [InlineData("vmdk", DiskImageFormat.Vmdk)]
    [InlineData("vdi", DiskImageFormat.Vdi)]
    [InlineData("vpc", DiskImageFormat.Vpc)]
    [InlineData("vhdx", DiskImageFormat.Vhdx)]
    public async Task Detect_ImageMadeByQemuImg_ItsFormat(string format, DiskImageFormat expected)
    {
        var path = await V2vDisks.ConvertAsync(_folder, format);
        // the file name says nothing: the content does
        var renamed = Path.Combine(_folder, "upload.bin");
        File.Move(path, renamed);
        Assert.Equal(new DiskImageCheck(expected, null), DiskImages.Detect(renamed));
    }

    [Theory]
    [InlineData("subformat=streamOptimized", DiskImageFormat.Vmdk)]
    [InlineData("subformat=fixed", DiskImageFormat.Vpc)]
    [InlineData("static=on", DiskImageFormat.Vdi)]
    public async Task Detect_OtherSubformats_TheirFormat(string option, DiskImageFormat expected)
    {
        var path = await V2vDisks.ConvertAsync(_folder, expected.QemuName(), option);
        Assert.Equal(expected, DiskImages.Detect(path).Format);
    }

    [Fact]
    public void Detect_RawDiskWithBootSignature_Raw()
    {
        Assert.Equal(DiskImageFormat.Raw, Detect(V2vDisks.BootableRaw()).Format);
    }

    [Fact]
    public void Detect_TextFile_RefusedAsNoDiskImage()
    {
        var check = Detect(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("This is a text file, not a disk.\n", 200))));
        Assert.Null(check.Format);
        Assert.StartsWith("This file is no disk image", check.Problem);
    }

    [Fact]
    public async Task Detect_Qcow2WithBackingFile_Refused()
    {
        var base_ = await V2vDisks.ConvertAsync(_folder, "qcow2");
        var layer = Path.Combine(_folder, "layer.qcow2");
        await V2vDisks.QemuImgAsync("create", "-q", "-f", "qcow2", "-b", base_, "-F", "qcow2", layer);
        var check = DiskImages.Detect(layer);
        Assert.Null(check.Format);
        Assert.Contains("backing file", check.Problem);
    }

    [Fact]
    public void Detect_VmdkDescriptorOnly_RefusedSayingItsDataIsElsewhere()
    {
        var check = Detect(Encoding.ASCII.GetBytes("# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\nRW 16384 FLAT \"/etc/shadow\" 0\n"));
        Assert.Null(check.Format);
        Assert.Contains("descriptor only", check.Problem);
    }

    [Fact]
    public async Task Detect_DifferencingVhd_Refused()
    {
        var vhd = await File.ReadAllBytesAsync(await V2vDisks.ConvertAsync(_folder, "vpc", "subformat=fixed"));
        vhd[vhd.Length - 512 + 63] = 4; // the footer's disk type: differencing
        var check = Detect(vhd);
        Assert.Null(check.Format);
        Assert.Contains("differencing", check.Problem);
    }

    [Fact]
    public async Task Detect_OvaWithStreamOptimizedVmdk_Ova()
    {
        var vmdk = await V2vDisks.ConvertAsync(_folder, "vmdk", "subformat=streamOptimized");
        Assert.Equal(DiskImageFormat.Ova, Detect(V2vDisks.Ova(V2vDisks.Ovf(2, 768, "byte * 2^20"), vmdk)).Format);
    }

    [Fact]
    public async Task Detect_OvaWhoseOvfNamesAMissingDisk_Refused()
    {
        var vmdk = await V2vDisks.ConvertAsync(_folder, "vmdk");
        var check = Detect(V2vDisks.Ova(V2vDisks.Ovf(2, 768, "byte * 2^20", diskFile: "other.vmdk"), vmdk));
        Assert.Null(check.Format);
        Assert.Contains("lacks the disk other.vmdk", check.Problem);
    }

    [Fact]
    public void Detect_TarWithoutOvf_Refused()
    {
        var check = Detect(ImageTarballs.BusyboxRootfs(gzip: false));
        Assert.Null(check.Format);
        Assert.Contains("no OVF descriptor", check.Problem);
    }

    [Theory]
    [InlineData("byte * 2^20", 2048, 2048)]
    [InlineData("byte * 2^30", 3, 3072)]
    [InlineData("byte*2^10", 524288, 512)]
    [InlineData("MegaBytes", 1024, 1024)]
    [InlineData("", 256, 256)]
    public void ParseOvf_VcpusMemoryAndDisk(string units, int quantity, int expectedMiB)
    {
        var ovf = DiskImages.ParseOvf(V2vDisks.Ovf(4, quantity, units));
        Assert.Equal((4, expectedMiB), (ovf.Vcpus, ovf.MemoryMiB));
        Assert.Equal(["disk1.vmdk"], ovf.DiskFiles);
    }

    [Fact]
    public void ParseOvf_Dtd_Refused()
    {
        Assert.ThrowsAny<System.Xml.XmlException>(() => DiskImages.ParseOvf("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Envelope>&e;</Envelope>"));
    }

    private DiskImageCheck Detect(byte[] content)
    {
        var path = Path.Combine(_folder, Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, content);
        return DiskImages.Detect(path);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
