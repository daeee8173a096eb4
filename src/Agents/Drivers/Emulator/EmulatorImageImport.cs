using System.Formats.Tar;
using System.IO.Compression;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>Takes in VM images imported into the server: their boot files, unpacked into the agent's imported images.</summary>
public sealed class EmulatorImageImport(EmulatorDriverOptions options, GuestImages images, ILogger<EmulatorImageImport> logger) : IGuestImageImporter
{
    private static readonly HashSet<string> s_imageFiles = ["fw_dynamic.bin", "Image.gz", "Image", "vmlinuz", "initramfs.cpio.gz", "manifest.json"];

    /// <summary>The folder name of an imported image: its name and the start of its SHA-256.</summary>
    internal static string ImportedFolderName(ImageSource source) => $"{source.Name}-{source.Sha256[..12]}";

    public Task<string?> FindImportedAsync(ImageSource source, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(GuestImages.ImportedPath(options), ImportedFolderName(source));
        return Task.FromResult<string?>(File.Exists(Path.Combine(folder, ".complete")) ? ImportedFolderName(source) : null);
    }

    /// <summary>Unpacks the image's files (firmware, kernel, initramfs, manifest; nothing else) into the agent's imported images.</summary>
    public async Task<string> ImportAsync(ImageSource source, string verifiedFile, CancellationToken cancellationToken)
    {
        var root = GuestImages.ImportedPath(options);
        var name = ImportedFolderName(source);
        var target = Path.Combine(root, name);
        var temp = Path.Combine(root, ".incoming-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(temp);
        try
        {
            await using (var file = File.OpenRead(verifiedFile))
            {
                var magic = new byte[2];
                var gzip = await file.ReadAsync(magic, cancellationToken).ConfigureAwait(false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
                file.Position = 0;
                await using Stream data = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
                await using var tar = new TarReader(data);
                while (await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    var entryName = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                    if (entryName is "" or "." || entry.EntryType == TarEntryType.Directory)
                    {
                        continue;
                    }

                    if (!s_imageFiles.Contains(entryName) || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                    {
                        throw new GuestException($"Image '{source.Name}' holds '{entry.Name}', which is not a VM image file.");
                    }

                    await using var output = File.Create(Path.Combine(temp, entryName));
                    await entry.DataStream.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                }
            }

            await File.WriteAllTextAsync(Path.Combine(temp, ".complete"), source.Sha256, cancellationToken).ConfigureAwait(false);
            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }

            Directory.Move(temp, target);
            images.Find(name);
            logger.LogInformation("Imported VM image {Name} into {Folder}", source.Name, target);
            return name;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new GuestException($"Could not unpack image '{source.Name}': {e.Message}", e);
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }
}
