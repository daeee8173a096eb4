using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>A driver that can take in an image imported into the server (fetched and checked by the agent).</summary>
public interface IGuestImageImporter : IGuestCapability
{
    /// <summary>The image name to create from when this host already holds <paramref name="source"/>, else null.</summary>
    Task<string?> FindImportedAsync(ImageSource source, CancellationToken cancellationToken);

    /// <summary>Imports the verified file (a tarball, plain or gzip) and returns the image name to create from.</summary>
    Task<string> ImportAsync(ImageSource source, string verifiedFile, CancellationToken cancellationToken);
}
