using System.Text.Json;
using Ringmaster.Shared;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// An x86_64 guest image made by <c>scripts/build-images.sh</c>: a kernel booted directly, with either
/// an initramfs that is the whole system (<c>x86-small</c>) or a root disk to layer VMs on (<c>debian-12</c>).
/// </summary>
/// <param name="Disk">The base disk new VMs get a copy-on-write layer of; null when the initramfs is the system.</param>
/// <param name="DiskFormat">The base disk's format.</param>
public sealed record QemuImage(string Name, string Directory, string Kernel, string? Initrd, string Bootargs, string? Disk, QemuDiskFormat DiskFormat = QemuDiskFormat.Qcow2);

/// <summary>Finds x86_64 guest images by name in the folders <see cref="QemuDriverOptions.ImagesPath"/> says.</summary>
public sealed class QemuImages(QemuDriverOptions options)
{
    public IEnumerable<string> SearchPaths()
    {
        if (options.ImagesPath is { Length: > 0 } configured)
        {
            yield return configured;
        }

        if (Environment.GetEnvironmentVariable("RINGMASTER_IMAGES") is { Length: > 0 } fromEnvironment)
        {
            yield return fromEnvironment;
        }

        if (options.VmsPath is { Length: > 0 } vms)
        {
            yield return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(vms))!, "images");
        }

        if (SourceCheckout.Root is { } root)
        {
            yield return Path.Combine(root, ".state", "images");
        }
    }

    /// <summary>The names of the x86_64 images this host has, for the host report (placement reads it).</summary>
    public IReadOnlyList<string> Present()
    {
        var present = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var root in SearchPaths().Where(Directory.Exists))
        {
            foreach (var directory in Directory.EnumerateDirectories(root))
            {
                try
                {
                    if (Read(Path.GetFileName(directory), directory) is not null)
                    {
                        present.Add(Path.GetFileName(directory));
                    }
                }
                catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
                {
                    // An unreadable manifest is not an image.
                }
            }
        }

        return [.. present];
    }

    /// <summary>The image called <paramref name="name"/>; a <see cref="GuestException"/> that says where it looked when there is none.</summary>
    public QemuImage Find(string name)
    {
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || name.StartsWith('.'))
        {
            throw new GuestException($"'{name}' is not an image name: use letters, digits, '-', '_' and '.'.");
        }

        foreach (var root in SearchPaths())
        {
            if (Read(name, Path.Combine(root, name)) is { } image)
            {
                return image;
            }
        }

        throw new GuestException(
            $"There is no x86_64 image '{name}' on this host (looked in {string.Join(", ", SearchPaths())}); make it with `scripts/build-images.sh {name}`.");
    }

    /// <summary>The image in <paramref name="directory"/>, or null when it holds no x86_64 kernel.</summary>
    private static QemuImage? Read(string name, string directory)
    {
        var manifestPath = Path.Combine(directory, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            return null;
        }

        using var manifest = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        var root = manifest.RootElement;
        if (root.TryGetProperty("arch", out var arch) && arch.GetString() != "x86_64")
        {
            return null;
        }

        var kernel = Path.Combine(directory, FileOf(root, "kernel") ?? "vmlinuz");
        if (!File.Exists(kernel))
        {
            return null;
        }

        var initrd = (FileOf(root, "initrd") ?? FileOf(root, "initramfs")) is { } initrdFile ? Path.Combine(directory, initrdFile) : null;
        var disk = FileOf(root, "disk") is { } diskFile ? Path.Combine(directory, diskFile) : null;
        var format = root.TryGetProperty("disk", out var d) && d.TryGetProperty("format", out var f) && f.GetString() == "raw" ? QemuDiskFormat.Raw : QemuDiskFormat.Qcow2;
        var bootargs = root.TryGetProperty("bootargs", out var args) && args.ValueKind == JsonValueKind.String ? args.GetString()! : "console=ttyS0";
        return new QemuImage(name, directory, kernel, initrd is not null && File.Exists(initrd) ? initrd : null, bootargs,
            disk is not null && File.Exists(disk) ? disk : null, format);
    }

    private static string? FileOf(JsonElement root, string part) =>
        root.TryGetProperty(part, out var element) && element.ValueKind == JsonValueKind.Object && element.TryGetProperty("file", out var file)
            ? file.GetString()
            : null;
}
