using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Shared;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// Takes in ISO images imported into the server (kind <c>iso</c>) for QEMU VMs installed from them:
/// each verified file is kept once per name and checksum under the agent's <c>isos</c> folder, beside
/// the VMs' folders, and attached read-only as a VM's CD-ROM.
/// </summary>
/// <remarks>Disks imported from other hypervisors (kind <c>disk</c>) come in through here too, and go to <see cref="QemuDiskImport"/>.</remarks>
public sealed class QemuIsoImport(QemuDriverOptions options, QemuDiskImport disks, ILogger<QemuIsoImport> logger) : IGuestImageImporter
{
    /// <summary>The folder of the host's ISOs: <c>isos</c> beside the VMs' folder.</summary>
    internal static string IsosPath(QemuDriverOptions options) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.VmsPath ?? throw new InvalidOperationException("The QEMU driver has no VM folder.")))!, "isos");

    /// <summary>Where the ISO <paramref name="source"/> is kept on this host: its name and the start of its SHA-256.</summary>
    internal static string PathOf(QemuDriverOptions options, ImageSource source) =>
        Path.Combine(IsosPath(options), $"{source.Name}-{source.Sha256[..12]}.iso");

    public Task<string?> FindImportedAsync(ImageSource source, CancellationToken cancellationToken)
    {
        if (source.Kind == ImageKind.Disk)
        {
            return Task.FromResult(disks.FindImported(source));
        }

        var path = PathOf(options, source);
        return Task.FromResult(File.Exists(path) && new FileInfo(path).Length == source.SizeBytes ? Path.GetFileName(path) : null);
    }

    /// <summary>Keeps the verified file as the host's copy of the ISO, once it is seen to be one.</summary>
    public async Task<string> ImportAsync(ImageSource source, string verifiedFile, CancellationToken cancellationToken)
    {
        if (source.Kind == ImageKind.Disk)
        {
            return await disks.ImportAsync(source, verifiedFile, cancellationToken).ConfigureAwait(false);
        }

        if (!await DiskImages.IsIsoAsync(verifiedFile, cancellationToken).ConfigureAwait(false))
        {
            throw new GuestException($"Image '{source.Name}' is not an ISO image; a QEMU VM's CD-ROM takes only those.");
        }

        var target = PathOf(options, source);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(verifiedFile, target, overwrite: true);
        logger.LogInformation("Imported ISO {Name} into {Path}", source.Name, target);
        return Path.GetFileName(target);
    }
}
