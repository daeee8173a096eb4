using System.Diagnostics;
using System.Text.Json;
using Ringmaster.Contracts;
using Ringmaster.Shared;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>A bootable guest image: firmware, kernel, initramfs and the kernel command line.</summary>
public sealed record GuestImage(string Name, string Directory, string Firmware, string Kernel, string? Initrd, string Bootargs);

/// <summary>
/// Finds guest images by name in the image folders, and builds those the image script makes from
/// Debian's packages (<see cref="BuildableNames"/>) the first time a VM needs them.
/// </summary>
public sealed partial class GuestImages(EmulatorDriverOptions options)
{
    /// <summary>Images the script builds on demand ('default' ships in the repository).</summary>
    public static readonly IReadOnlyList<string> BuildableNames = ["debian"];

    private readonly SemaphoreSlim _building = new(1, 1);

    /// <summary>Raised when an image was built (the host's images changed).</summary>
    public event Action? Changed;

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
        if (options.SearchSourceCheckout && SourceCheckout.Root is { } root)
        {
            yield return Path.Combine(root, "images");
            yield return Path.Combine(root, ".state", "images");
        }

        yield return BuiltImagesPath;
    }

    /// <summary>Where images built on demand go.</summary>
    public string BuiltImagesPath => options.BuiltImagesPath
        ?? (SourceCheckout.Root is { } root ? Path.Combine(root, ".state", "images")
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.VmsPath ?? "vms"))!, "built-images"));

    private string? BuildScript => options.ImageBuildScript
        ?? (SourceCheckout.Root is { } root ? Path.Combine(root, "scripts", "build-images.sh") : null);

    /// <summary>The images this host has, those it can build, and why it cannot build when it cannot.</summary>
    public HostImages Describe()
    {
        var present = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var root in SearchPaths().Where(Directory.Exists))
        {
            foreach (var dir in Directory.EnumerateDirectories(root))
            {
                var name = Path.GetFileName(dir);
                if (IsValidName(name) && FindIn(name, dir) is not null)
                {
                    present.Add(name);
                }
            }
        }

        var problem = BuildProblem();
        return new HostImages([.. present], problem is null ? BuildableNames : [], problem);
    }

    /// <summary>Why images cannot be built here, or null when they can.</summary>
    public string? BuildProblem()
    {
        if (BuildScript is not { } script || !File.Exists(script))
        {
            return "the image script (scripts/build-images.sh) is not beside this agent";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "the agent does not run as root (the image script installs packages with apt-get)";
        }

        return null;
    }

    /// <summary>
    /// The image; one the script can build is built first (one build at a time, with progress and
    /// what the script says as notes). Otherwise a <see cref="GuestException"/> that says how to get it.
    /// </summary>
    public async Task<GuestImage> FindOrBuildAsync(string name, IProgress<int> progress, CancellationToken cancellationToken)
    {
        if (TryFind(name) is { } image)
        {
            return image;
        }

        if (!BuildableNames.Contains(name) || BuildProblem() is not null)
        {
            return Find(name);
        }

        await _building.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another VM may have built it while this one waited.
            if (TryFind(name) is { } built)
            {
                return built;
            }

            await BuildAsync(name, progress, cancellationToken).ConfigureAwait(false);
            var made = TryFind(name) ?? throw new GuestException($"The image script ran but image '{name}' is still not in {BuiltImagesPath}.");
            Changed?.Invoke();
            return made;
        }
        finally
        {
            _building.Release();
        }
    }

    private async Task BuildAsync(string name, IProgress<int> progress, CancellationToken cancellationToken)
    {
        progress.Report(1, $"Building image '{name}' from Debian's packages (the first VM from it waits for this, about a minute)");
        // With the umask the agent was started with: the script installs host packages with apt-get.
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { "-c", PrivateData.ShellUmask + "exec bash \"$0\" \"$1\"", BuildScript!, name },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["RINGMASTER_IMAGES"] = BuiltImagesPath;
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start) ?? throw new GuestException("The image script could not be started.");
        string? error = null;
        var steps = 0;

        // The script says what it does on stderr, one "[build-images] …" line per step; apt's and
        // dpkg's chatter goes to stdout and is read only so that the pipe never fills.
        var chatter = process.StandardOutput.ReadToEndAsync(cancellationToken);
        try
        {
            while (await process.StandardError.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                var text = StripAnsi(line);
                if (text.StartsWith("[build-images] ERROR: ", StringComparison.Ordinal))
                {
                    error = text["[build-images] ERROR: ".Length..];
                }
                else if (text.StartsWith("[build-images] ", StringComparison.Ordinal))
                {
                    steps++;
                    progress.Report(Math.Min(5 + steps * 6, 50), "Building image: " + text["[build-images] ".Length..]);
                }
            }

            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await chatter.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new GuestException($"Building image '{name}' from Debian's packages failed: {error ?? $"the image script exited with code {process.ExitCode}"}.");
        }
    }

    private static string StripAnsi(string line) => AnsiEscape().Replace(line, "");

    [System.Text.RegularExpressions.GeneratedRegex("\x1b\\[[0-9;]*m")]
    private static partial System.Text.RegularExpressions.Regex AnsiEscape();

    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && !name.StartsWith('.');

    private GuestImage? TryFind(string name)
    {
        if (!IsValidName(name))
        {
            return null;
        }

        foreach (var root in SearchPaths())
        {
            if (FindIn(name, Path.Combine(root, name)) is { } image)
            {
                return image;
            }
        }

        return null;
    }

    /// <summary>Where the agent keeps images it fetched from the server (beside its VMs' folder).</summary>
    public static string ImportedPath(EmulatorDriverOptions options) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.VmsPath ?? "vms"))!, "imported-images");

    /// <summary>The image, or a <see cref="GuestException"/> that says how to get it.</summary>
    public GuestImage Find(string name)
    {
        if (!IsValidName(name))
        {
            throw new GuestException($"'{name}' is not a valid image name.");
        }

        if (TryFind(name) is { } image)
        {
            return image;
        }

        throw new GuestException(name == "default"
            ? "The built-in image 'default' is missing from this agent's images folder; rebuild it with scripts/build-images.sh default."
            : BuildableNames.Contains(name) && BuildProblem() is { } problem
                ? $"Image '{name}' is not on this host, and this host cannot build it: {problem}. Build it with scripts/build-images.sh {name} (or set RINGMASTER_IMAGES)."
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
