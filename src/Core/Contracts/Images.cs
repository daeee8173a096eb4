using System.Text.Json.Serialization;

namespace Ringmaster.Core.Contracts;

/// <summary>What an imported image is: a container root filesystem, an emulator VM image, or an ISO 9660 image (an installer CD for QEMU VMs).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ImageKind>))]
public enum ImageKind
{
    [JsonStringEnumMemberName("vm")] Vm,
    [JsonStringEnumMemberName("container")] Container,

    /// <summary>An ISO 9660 image, attached as a CD-ROM to a QEMU VM installed from it (never a template's image).</summary>
    [JsonStringEnumMemberName("iso")] Iso,
}

/// <summary>An imported image: a container root filesystem, a VM image or an ISO, kept by the server with its checksum.</summary>
public sealed record ImageView(string Name, ImageKind Kind, string Source, string? Sha256, long SizeBytes, DateTimeOffset CreatedAt);

/// <summary>The JSON body of <c>POST /api/v1/images</c> for a file already on the server, under its import folder.</summary>
public sealed record ImportImageRequest(string? Name, string? Kind, string? Path);

/// <summary>
/// Where an agent fetches an imported image it lacks: the server's path for its bytes, their
/// SHA-256 and size, checked by the agent before it uses them.
/// </summary>
public sealed record ImageSource(
    string Name,
    [property: JsonPropertyName("sha256")] string Sha256,
    long SizeBytes,
    string ContentPath);

/// <summary>The body of <c>POST /api/v1/templates</c>: a template for an existing image.</summary>
public sealed record CreateTemplateRequest(
    string? Name,
    string? Image,
    string? Description = null,
    int? Vcpus = null,
    int? MemoryMiB = null,
    int? DiskGiB = null,
    IReadOnlyList<string>? Command = null);
