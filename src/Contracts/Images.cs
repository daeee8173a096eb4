using System.Text.Json.Serialization;

namespace Ringmaster.Contracts;

/// <summary>What an imported image is: a container root filesystem, an emulator VM image, an ISO 9660 image (an installer CD for QEMU VMs), or a VM disk from another hypervisor.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ImageKind>))]
public enum ImageKind
{
    [JsonStringEnumMemberName("vm")] Vm,
    [JsonStringEnumMemberName("container")] Container,

    /// <summary>An ISO 9660 image, attached as a CD-ROM to a QEMU VM installed from it (never a template's image).</summary>
    [JsonStringEnumMemberName("iso")] Iso,

    /// <summary>A VM disk from another hypervisor (qcow2, VMDK, VDI, VHD, VHDX, raw, or an OVA), its format told by its content; a QEMU VM is made from a copy of it.</summary>
    [JsonStringEnumMemberName("disk")] Disk,
}

/// <summary>An imported image: a container root filesystem, a VM image or an ISO, kept by the server with its checksum.</summary>
public sealed record ImageView(string Name, ImageKind Kind, string Source, string? Sha256, long SizeBytes, DateTimeOffset CreatedAt);

/// <summary>The JSON body of <c>POST /api/v1/images</c> for a file already on the server, under its import folder.</summary>
public sealed record ImportImageRequest(string? Name, string? Kind, string? Path);

/// <summary>
/// Where an agent fetches an imported image it lacks: the server's path for its bytes, their
/// SHA-256 and size, checked by the agent before it uses them.
/// </summary>
/// <param name="Kind">What the image is, so that an engine that takes several kinds (QEMU: ISOs and disks) keeps each where it belongs; null from an older server.</param>
public sealed record ImageSource(
    string Name,
    [property: JsonPropertyName("sha256")] string Sha256,
    long SizeBytes,
    string ContentPath,
    ImageKind? Kind = null);

/// <summary>The body of <c>POST /api/v1/templates</c>: a template for an existing image.</summary>
public sealed record CreateTemplateRequest(
    string? Name,
    string? Image,
    string? Description = null,
    int? Vcpus = null,
    int? MemoryMiB = null,
    int? DiskGiB = null,
    IReadOnlyList<string>? Command = null);
