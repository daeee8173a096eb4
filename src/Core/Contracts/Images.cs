using System.Text.Json.Serialization;

namespace Ringmaster.Core.Contracts;

/// <summary>An imported image: a container root filesystem or a VM image, kept by the server with its checksum.</summary>
public sealed record ImageView(string Name, MachineKind Kind, string Source, string? Sha256, long SizeBytes, DateTimeOffset CreatedAt);

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
