using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Agents.Drivers.Common;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>Takes in root filesystem tarballs imported into the server as engine images.</summary>
public sealed class ContainerImageImport(ContainerEngineClient guests, ILogger<ContainerImageImport> logger) : IGuestImageImporter
{
    /// <summary>The engine's name for an imported image: its name, tagged with the start of its SHA-256.</summary>
    internal static string ImportedReference(ImageSource source) => $"localhost/ringmaster-images/{source.Name}:{source.Sha256[..12]}";

    public async Task<string?> FindImportedAsync(ImageSource source, CancellationToken cancellationToken)
    {
        var reference = ImportedReference(source);
        return await guests.ImageExistsAsync(reference, cancellationToken) ? reference : null;
    }

    /// <summary>Imports a root filesystem tarball as an image (the engine's image import, as <c>docker import</c>).</summary>
    public async Task<string> ImportAsync(ImageSource source, string verifiedFile, CancellationToken cancellationToken)
    {
        var reference = ImportedReference(source);
        string? error = null;
        await using (var file = File.OpenRead(verifiedFile))
        {
            await guests.CallAsync(
                $"Could not import image '{source.Name}'",
                client => client.Images.CreateImageAsync(
                    new ImagesCreateParameters
                    {
                        FromSrc = "-",
                        // The tag goes in the repository: Podman ignores a separate tag on import (Docker accepts both).
                        Repo = reference,
                        Message = $"Ringmaster image {source.Name} (sha256 {source.Sha256})",
                        Changes = ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                    },
                    file,
                    null,
                    new SynchronousProgress<JSONMessage>(m => error ??= m.Error?.Message ?? m.ErrorMessage),
                    cancellationToken),
                cancellationToken);
        }

        if (!await guests.ImageExistsAsync(reference, cancellationToken))
        {
            throw new GuestException($"Could not import image '{source.Name}': {error ?? "the engine reported no image"}");
        }

        logger.LogInformation("Imported image {Name} as {Reference}", source.Name, reference);
        return reference;
    }
}
