using System.Text.Json;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>A bootable guest image: firmware, kernel, initramfs and the kernel command line.</summary>
public sealed record GuestImage(string Name, string Directory, string Firmware, string Kernel, string? Initrd, string Bootargs);

/// <summary>Finds guest images by name in the image folders.</summary>
public sealed class GuestImages(EmulatorDriverOptions options)
{
    public IEnumerable<string> SearchPaths()
    {
        if (options.VmsPath is { Length: > 0 } vms)
        {
            // Images received from other hosts with a migrated VM.
            yield return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(vms))!, "images");
        }

        if (options.ImagesPath is { Length: > 0 } configured)
        {
            yield return configured;
        }

        if (Environment.GetEnvironmentVariable("RINGMASTER_IMAGES") is { Length: > 0 } env)
        {
            yield return env;
        }

        if (options.VmsPath is { Length: > 0 })
        {
            yield return ImportedPath(options);
        }

        yield return Path.Combine(AppContext.BaseDirectory, "images");
        if (Core.SourceCheckout.Root is { } root)
        {
            yield return Path.Combine(root, "images");
            yield return Path.Combine(root, ".state", "images");
        }
    }

    /// <summary>Where the agent keeps images it fetched from the server (beside its VMs' folder).</summary>
    public static string ImportedPath(EmulatorDriverOptions options) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.VmsPath ?? "vms"))!, "imported-images");

    /// <summary>The image, or a <see cref="GuestException"/> that says how to get it.</summary>
    public GuestImage Find(string name)
    {
        if (name.Length is 0 or > 64 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || name.StartsWith('.'))
        {
            throw new GuestException($"'{name}' is not a valid image name.");
        }

        foreach (var root in SearchPaths())
        {
            if (FindIn(name, Path.Combine(root, name)) is { } image)
            {
                return image;
            }
        }

        throw new GuestException(name == "default"
            ? "The built-in image 'default' is missing from this agent's images folder; rebuild it with scripts/build-images.sh default."
            : $"Image '{name}' is not on this host; build it with scripts/build-images.sh {name} (or set RINGMASTER_IMAGES).");
    }

    /// <summary>The image in <paramref name="dir"/>, or null when its boot files are not there.</summary>
    public GuestImage? FindIn(string name, string dir)
    {
        var firmware = Path.Combine(dir, "fw_dynamic.bin");
        var kernel = new[] { "Image.gz", "Image", "vmlinuz" }.Select(k => Path.Combine(dir, k)).FirstOrDefault(File.Exists);
        if (kernel is null || !File.Exists(firmware))
        {
            return null;
        }

        var initrd = Path.Combine(dir, "initramfs.cpio.gz");
        return new GuestImage(name, dir, firmware, kernel, File.Exists(initrd) ? initrd : null, Bootargs(dir) ?? options.DefaultBootargs);
    }

    private static string? Bootargs(string dir)
    {
        var manifest = Path.Combine(dir, "manifest.json");
        if (!File.Exists(manifest))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
            return doc.RootElement.TryGetProperty("bootargs", out var args) && args.ValueKind == JsonValueKind.String ? args.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
