using System.Buffers.Binary;
using System.Formats.Tar;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Ringmaster.Shared;

/// <summary>The formats of a VM disk imported from another hypervisor, by the name <c>qemu-img -f</c> takes.</summary>
public enum DiskImageFormat
{
    /// <summary>A whole disk byte for byte (an MBR or GPT boot signature 0x55AA at byte 510).</summary>
    Raw,

    /// <summary>QEMU's own (<c>QFI\xfb</c>).</summary>
    Qcow2,

    /// <summary>VMware's sparse VMDK (<c>KDMV</c>): monolithicSparse or streamOptimized, one file.</summary>
    Vmdk,

    /// <summary>VirtualBox's VDI (signature 0xbeda107f at 0x40).</summary>
    Vdi,

    /// <summary>Hyper-V's and Xen's VHD (a <c>conectix</c> footer at the end, and its copy at the start of a dynamic disk); qemu-img calls it vpc.</summary>
    Vpc,

    /// <summary>Hyper-V's VHDX (<c>vhdxfile</c>).</summary>
    Vhdx,

    /// <summary>An OVA: a tar holding an OVF descriptor and its VMDK disks.</summary>
    Ova,
}

/// <summary>What an OVF descriptor says about its machine: vCPUs, memory, and the files of its disks in order.</summary>
public sealed record OvfMachine(int? Vcpus, int? MemoryMiB, IReadOnlyList<string> DiskFiles);

/// <summary>What the content of a disk file is: its format, or why it is refused.</summary>
public sealed record DiskImageCheck(DiskImageFormat? Format, string? Problem)
{
    public static DiskImageCheck Refused(string problem) => new(null, problem);
}

/// <summary>
/// Tells a disk image's format from its content (magic bytes), never from its file name, and refuses
/// what no machine should boot from an upload: an image layered on another file (a qcow2 backing file,
/// a differencing VHD or VDI), a VMDK descriptor naming its data in other files, and anything that
/// is no disk image at all. Reads OVA archives and their OVF descriptors.
/// </summary>
public static partial class DiskImages
{
    /// <summary>Where an ISO 9660 image has its first volume descriptor's signature: sector 16 (2048-byte sectors), after its type byte.</summary>
    public const int IsoSignatureOffset = 32769;

    /// <summary>Whether the file at <paramref name="path"/> is an ISO 9660 image (<c>CD001</c> at <see cref="IsoSignatureOffset"/>).</summary>
    public static async Task<bool> IsIsoAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
        if (file.Length < IsoSignatureOffset + 5)
        {
            return false;
        }

        file.Position = IsoSignatureOffset;
        var signature = new byte[5];
        await file.ReadExactlyAsync(signature, cancellationToken).ConfigureAwait(false);
        return signature.AsSpan().SequenceEqual("CD001"u8);
    }

    private static readonly byte[] s_qcow2Magic = [(byte)'Q', (byte)'F', (byte)'I', 0xfb];

    /// <summary>The qemu-img name of a format (<c>-f</c>); an OVA has none (its VMDK has).</summary>
    public static string QemuName(this DiskImageFormat format) => format switch
    {
        DiskImageFormat.Raw => "raw",
        DiskImageFormat.Qcow2 => "qcow2",
        DiskImageFormat.Vmdk => "vmdk",
        DiskImageFormat.Vdi => "vdi",
        DiskImageFormat.Vpc => "vpc",
        DiskImageFormat.Vhdx => "vhdx",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "An OVA is an archive; its disks have a format."),
    };

    public const string Accepted = "qcow2, VMDK (VMware), VDI (VirtualBox), VHD and VHDX (Hyper-V, Xen), an OVA, or a raw disk with a boot signature";

    /// <summary>The format of the disk image in <paramref name="path"/>, or why it is not one a machine may be made from.</summary>
    public static DiskImageCheck Detect(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
        return Detect(file);
    }

    /// <summary>The format of the disk image <paramref name="content"/> (a seekable stream), or why it is not one.</summary>
    public static DiskImageCheck Detect(Stream content)
    {
        var length = content.Length;
        var head = new byte[(int)Math.Min(length, 1024)];
        content.Position = 0;
        content.ReadExactly(head);
        ReadOnlySpan<byte> h = head;
        if (h.StartsWith(s_qcow2Magic))
        {
            return h.Length >= 16 && BinaryPrimitives.ReadUInt64BigEndian(h[8..16]) != 0
                ? DiskImageCheck.Refused("This qcow2 image is layered on a backing file; import the whole disk (qemu-img convert -O qcow2 makes one).")
                : new(DiskImageFormat.Qcow2, null);
        }

        if (h.StartsWith("KDMV"u8))
        {
            return new(DiskImageFormat.Vmdk, null);
        }

        if (h.StartsWith("# Disk DescriptorFile"u8))
        {
            return DiskImageCheck.Refused("This VMDK is a descriptor only: its data is in other files (extents). Import a single-file VMDK (monolithicSparse or streamOptimized) or an OVA.");
        }

        if (h.Length >= 0x50 && BinaryPrimitives.ReadUInt32LittleEndian(h[0x40..0x44]) == 0xbeda107f)
        {
            // image type at 0x4c: 1 dynamic, 2 fixed, 3 undo, 4 differencing
            return BinaryPrimitives.ReadUInt32LittleEndian(h[0x4c..0x50]) is 3 or 4
                ? DiskImageCheck.Refused("This VDI is a differencing image of another disk; import the whole disk (VBoxManage clonemedium makes one).")
                : new(DiskImageFormat.Vdi, null);
        }

        if (h.StartsWith("vhdxfile"u8))
        {
            return new(DiskImageFormat.Vhdx, null);
        }

        if (VhdFooter(content, h) is { } footer)
        {
            // disk type at footer offset 60: 2 fixed, 3 dynamic, 4 differencing
            return BinaryPrimitives.ReadUInt32BigEndian(footer.AsSpan(60, 4)) == 4
                ? DiskImageCheck.Refused("This VHD is a differencing disk of another one; import the whole disk.")
                : new(DiskImageFormat.Vpc, null);
        }

        if (h.Length >= 512 && h[257..262].SequenceEqual("ustar"u8))
        {
            return CheckOva(content);
        }

        if (h.Length >= 512 && h[510] == 0x55 && h[511] == 0xaa)
        {
            return length % 512 == 0
                ? new(DiskImageFormat.Raw, null)
                : DiskImageCheck.Refused($"This looks like a raw disk (a boot signature at byte 510), but its {length} bytes are not whole 512-byte sectors.");
        }

        return DiskImageCheck.Refused($"This file is no disk image: its content is none of {Accepted}.");
    }

    private static byte[]? VhdFooter(Stream content, ReadOnlySpan<byte> head)
    {
        if (head.Length >= 512 && head.StartsWith("conectix"u8))
        {
            return head[..512].ToArray();
        }

        if (content.Length < 1024)
        {
            return null;
        }

        var footer = new byte[512];
        content.Position = content.Length - 512;
        content.ReadExactly(footer);
        return footer.AsSpan().StartsWith("conectix"u8) ? footer : null;
    }

    /// <summary>An OVA: its OVF descriptor parses, and its first disk is a sparse VMDK inside the archive.</summary>
    private static DiskImageCheck CheckOva(Stream content)
    {
        try
        {
            var (ovf, machine) = ReadOva(content);
            if (ovf is null || machine is null)
            {
                return DiskImageCheck.Refused("This tar archive holds no OVF descriptor (.ovf); an OVA has one beside its disks.");
            }

            if (machine.DiskFiles.Count == 0)
            {
                return DiskImageCheck.Refused($"The OVF descriptor {ovf} names no disk.");
            }

            content.Position = 0;
            using var tar = new TarReader(content, leaveOpen: true);
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.Name == machine.DiskFiles[0])
                {
                    var magic = new byte[4];
                    return entry.DataStream is { } data && data.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.AsSpan().SequenceEqual("KDMV"u8)
                        ? new(DiskImageFormat.Ova, null)
                        : DiskImageCheck.Refused($"The OVA's disk {InputText.Clip(entry.Name, 64)} is not a sparse VMDK.");
                }
            }

            return DiskImageCheck.Refused($"The OVA lacks the disk {InputText.Clip(machine.DiskFiles[0], 64)} its OVF descriptor names.");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or XmlException or ArgumentException)
        {
            return DiskImageCheck.Refused($"This tar archive is not a readable OVA: {e.Message}");
        }
    }

    /// <summary>The name of an OVA's OVF descriptor and what it says, or nulls when the archive holds none.</summary>
    public static (string? Name, OvfMachine? Machine) ReadOva(Stream content)
    {
        content.Position = 0;
        using var tar = new TarReader(content, leaveOpen: true);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name.EndsWith(".ovf", StringComparison.OrdinalIgnoreCase) && entry.DataStream is { } data)
            {
                if (entry.Length > 4 << 20)
                {
                    throw new InvalidDataException("its OVF descriptor is larger than 4 MiB.");
                }

                using var reader = new StreamReader(data);
                return (entry.Name, ParseOvf(reader.ReadToEnd()));
            }
        }

        return (null, null);
    }

    /// <summary>The OVF descriptor of the OVA at <paramref name="path"/>, or null when it is none.</summary>
    public static OvfMachine? ReadOva(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920);
        try
        {
            return ReadOva(file).Machine;
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or XmlException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^\s*byte\s*(\*\s*2\s*\^\s*(?<power>\d{1,2}))?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BytePower();

    /// <summary>
    /// Reads an OVF descriptor: vCPUs (the hardware item of ResourceType 3, its VirtualQuantity),
    /// memory (ResourceType 4, in its AllocationUnits: <c>byte * 2^20</c> is MiB), and the files of its
    /// disks (DiskSection's disks, by their fileRef, in the References' hrefs). Elements are matched by
    /// local name, whatever prefixes the exporter chose; DTDs are refused.
    /// </summary>
    public static OvfMachine ParseOvf(string xml)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        using var text = new StringReader(xml);
        using var reader = XmlReader.Create(text, settings);
        var document = XDocument.Load(reader);
        int? vcpus = null;
        int? memoryMiB = null;
        foreach (var item in document.Descendants().Where(e => e.Name.LocalName == "Item"))
        {
            var type = Child(item, "ResourceType");
            var quantity = Child(item, "VirtualQuantity");
            if (!long.TryParse(quantity, NumberStyles.Integer, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
            {
                continue;
            }

            if (type == "3")
            {
                vcpus = (int)Math.Min(amount, int.MaxValue);
            }
            else if (type == "4")
            {
                memoryMiB = MemoryMiB(amount, Child(item, "AllocationUnits"));
            }
        }

        var files = document.Descendants().Where(e => e.Name.LocalName == "File")
            .Select(f => (Id: Attribute(f, "id"), Href: Attribute(f, "href")))
            .Where(f => f.Id is not null && f.Href is not null)
            .GroupBy(f => f.Id!).ToDictionary(g => g.Key, g => g.First().Href!, StringComparer.Ordinal);
        var disks = document.Descendants().Where(e => e.Name.LocalName == "Disk")
            .Select(d => Attribute(d, "fileRef") is { } fileRef && files.TryGetValue(fileRef, out var href) ? href : null)
            .OfType<string>().ToList();
        return new OvfMachine(vcpus, memoryMiB, disks);
    }

    /// <summary>An amount of memory in OVF's units, in MiB: <c>byte * 2^N</c>, or MB/GB words; MiB when none is given.</summary>
    internal static int? MemoryMiB(long amount, string? units)
    {
        double bytes;
        if (string.IsNullOrWhiteSpace(units))
        {
            bytes = amount * (double)(1 << 20);
        }
        else if (BytePower().Match(units) is { Success: true } match)
        {
            var power = match.Groups["power"].Success ? int.Parse(match.Groups["power"].Value, CultureInfo.InvariantCulture) : 0;
            bytes = amount * Math.Pow(2, power);
        }
        else
        {
            bytes = units.Trim().ToLowerInvariant() switch
            {
                "kilobytes" or "kb" => amount * 1024d,
                "megabytes" or "mb" => amount * (double)(1 << 20),
                "gigabytes" or "gb" => amount * (double)(1 << 30),
                _ => double.NaN,
            };
        }

        return double.IsNaN(bytes) ? null : (int)Math.Min(Math.Ceiling(bytes / (1 << 20)), int.MaxValue);
    }

    private static string? Child(XElement item, string name) =>
        item.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value.Trim();

    private static string? Attribute(XElement element, string name) =>
        element.Attributes().FirstOrDefault(a => a.Name.LocalName == name)?.Value;
}
