using System.Collections.Concurrent;
using System.Security.Cryptography;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>The SHA-256 of the images' boot files, for migration's pre-flight (cached by file time and length).</summary>
public sealed class ImageHashes
{
    private readonly ConcurrentDictionary<string, (DateTime Stamp, long Length, string Sha)> _hashes = new();

    /// <summary>The image's boot files with their SHA-256.</summary>
    public async Task<ImageManifest> ManifestAsync(GuestImage image, CancellationToken cancellationToken)
    {
        var files = new List<ImageFileHash>();
        foreach (var path in Files(image))
        {
            var info = new FileInfo(path);
            if (!_hashes.TryGetValue(path, out var cached) || cached.Stamp != info.LastWriteTimeUtc || cached.Length != info.Length)
            {
                await using var stream = File.OpenRead(path);
                var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
                cached = (info.LastWriteTimeUtc, info.Length, sha);
                _hashes[path] = cached;
            }

            files.Add(new ImageFileHash(Path.GetFileName(path), info.Length, cached.Sha));
        }

        return new ImageManifest(image.Name, files);
    }

    /// <summary>Whether two manifests name the same files with the same checksums.</summary>
    public static bool Same(ImageManifest a, ImageManifest b) =>
        a.Files.Count == b.Files.Count && a.Files.All(f => b.Files.Any(g => g.Name == f.Name && g.Sha256 == f.Sha256));

    /// <summary>The files an image boots from, and its manifest when it has one.</summary>
    public static IEnumerable<string> Files(GuestImage image)
    {
        yield return image.Firmware;
        yield return image.Kernel;
        if (image.Initrd is not null)
        {
            yield return image.Initrd;
        }

        var manifest = Path.Combine(image.Directory, "manifest.json");
        if (File.Exists(manifest))
        {
            yield return manifest;
        }
    }
}
