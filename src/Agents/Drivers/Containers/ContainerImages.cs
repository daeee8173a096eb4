using System.Diagnostics;
using System.Formats.Tar;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>Images on the engine for new containers: present, the built-in busybox imported from the host, or pulled.</summary>
public sealed class ContainerImages(ContainerEngineClient guests, ILogger<ContainerImages> logger) : IDisposable
{
    /// <summary>The built-in image, made on first use from the host's static busybox.</summary>
    public const string BuiltInImage = "localhost/ringmaster/busybox:latest";

    private static readonly string[] s_builtInAliases =
        ["busybox", "busybox:latest", "ringmaster/busybox", "ringmaster/busybox:latest", "localhost/ringmaster/busybox", "localhost/ringmaster/busybox:latest"];

    private readonly SemaphoreSlim _imageLock = new(1, 1);

    /// <summary>The reference to create from, and whether it is a busybox (whose default command is <c>sh</c>).</summary>
    internal readonly record struct ResolvedImage(string Reference, bool BuiltIn);

    internal static bool IsBuiltIn(string image) => s_builtInAliases.Contains(image.Trim(), StringComparer.Ordinal);

    /// <summary>
    /// Makes sure the image is on the engine: present as asked; the built-in busybox imported from the host
    /// when asked for and absent; anything else pulled, failing plainly when no registry answers.
    /// </summary>
    internal async Task<ResolvedImage> EnsureImageAsync(string image, IProgress<int> progress, CancellationToken cancellationToken)
    {
        image = image.Trim();
        var builtIn = IsBuiltIn(image);
        if (await guests.ImageExistsAsync(image, cancellationToken))
        {
            progress.Report(100);
            return new ResolvedImage(image, builtIn);
        }

        if (builtIn)
        {
            await _imageLock.WaitAsync(cancellationToken);
            try
            {
                if (!await guests.ImageExistsAsync(BuiltInImage, cancellationToken))
                {
                    await ImportBusyboxAsync(progress, cancellationToken);
                }
            }
            finally
            {
                _imageLock.Release();
            }

            progress.Report(100);
            return new ResolvedImage(BuiltInImage, true);
        }

        await PullAsync(image, progress, cancellationToken);
        progress.Report(100);
        return new ResolvedImage(image, false);
    }

    /// <summary>Builds a root filesystem of the host's static busybox and its applet links, and imports it as <see cref="BuiltInImage"/>.</summary>
    private async Task ImportBusyboxAsync(IProgress<int> progress, CancellationToken cancellationToken)
    {
        var busybox = guests.Options.BusyboxPath;
        if (!File.Exists(busybox))
        {
            throw new GuestException(
                $"Image '{BuiltInImage}' is made from the host's static busybox, but {busybox} is missing: install busybox-static (scripts/setup-podman.sh does).");
        }

        logger.LogInformation("Importing {Image} from {Busybox}", BuiltInImage, busybox);
        progress.Report(10);
        var applets = await ListAppletsAsync(busybox, cancellationToken);
        progress.Report(30);

        using var rootfs = new MemoryStream();
        using (var tar = new TarWriter(rootfs, TarEntryFormat.Pax, leaveOpen: true))
        {
            var directories = new SortedSet<string>(StringComparer.Ordinal) { "bin", "dev", "etc", "proc", "root", "sys", "tmp", "var", "usr/bin", "usr/sbin", "sbin" };
            foreach (var applet in applets)
            {
                for (var dir = Path.GetDirectoryName(applet); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
                {
                    directories.Add(dir);
                }
            }

            foreach (var dir in directories.OrderBy(d => d.Count(c => c == '/')).ThenBy(d => d, StringComparer.Ordinal))
            {
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, dir + "/")
                {
                    Mode = dir == "tmp" ? (UnixFileMode)0b1_111_111_111 : (UnixFileMode)0b111_101_101,
                }, cancellationToken);
            }

            await using (var binary = File.OpenRead(busybox))
            {
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox")
                {
                    Mode = (UnixFileMode)0b111_101_101,
                    DataStream = binary,
                }, cancellationToken);
            }

            foreach (var applet in applets.Where(a => a != "bin/busybox"))
            {
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, applet) { LinkName = "/bin/busybox" }, cancellationToken);
            }

            await WriteTextAsync(tar, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", cancellationToken);
            await WriteTextAsync(tar, "etc/group", "root:x:0:\n", cancellationToken);
        }

        rootfs.Position = 0;
        progress.Report(50);

        string? error = null;
        await guests.CallAsync(
            $"Could not import the built-in image '{BuiltInImage}'",
            client => client.Images.CreateImageAsync(
                new ImagesCreateParameters
                {
                    FromSrc = "-",
                    Repo = "localhost/ringmaster/busybox",
                    Tag = "latest",
                    Message = "Ringmaster's built-in image: Debian's busybox-static",
                    Changes = ["CMD [\"sh\"]", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                },
                rootfs,
                null,
                new SynchronousProgress<JSONMessage>(m => error ??= m.Error?.Message ?? m.ErrorMessage),
                cancellationToken),
            cancellationToken);

        if (!await guests.ImageExistsAsync(BuiltInImage, cancellationToken))
        {
            throw new GuestException($"Could not import the built-in image '{BuiltInImage}': {error ?? "the engine reported no image"}");
        }

        progress.Report(90);
    }

    private static async Task WriteTextAsync(TarWriter tar, string path, string text, CancellationToken cancellationToken)
    {
        using var data = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, path) { Mode = (UnixFileMode)0b110_100_100, DataStream = data }, cancellationToken);
    }

    /// <summary>The applets of the busybox binary, as paths (<c>bin/sh</c>, <c>usr/bin/awk</c>…).</summary>
    private static async Task<List<string>> ListAppletsAsync(string busybox, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(busybox) { ArgumentList = { "--list-full" }, RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start) ?? throw new GuestException($"Could not run {busybox}.");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var applets = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(a => a.TrimStart('/'))
            .Where(a => a.Length > 0 && !a.Contains(".."))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (process.ExitCode != 0 || !applets.Contains("bin/sh"))
        {
            throw new GuestException($"{busybox} is not a busybox with a shell (its --list-full gave no bin/sh).");
        }

        return applets;
    }

    private async Task PullAsync(string image, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var (repository, tag) = SplitReference(image);
        var client = await guests.ClientAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(guests.Options.PullTimeout);
        string? error = null;
        var messages = 0;
        try
        {
            await client.Images.CreateImageAsync(
                new ImagesCreateParameters { FromImage = repository, Tag = tag },
                null,
                new SynchronousProgress<JSONMessage>(m =>
                {
                    error ??= m.Error?.Message ?? m.ErrorMessage;
                    progress.Report(Math.Min(90, 10 + (Interlocked.Increment(ref messages) * 5)));
                }),
                timeout.Token);
        }
        catch (DockerApiException e)
        {
            error = ContainerEngineClient.EngineMessage(e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"the pull did not finish within {guests.Options.PullTimeout.TotalSeconds:0} s";
        }
        catch (Exception e) when (ContainerEngineClient.IsUnreachable(e))
        {
            throw new GuestException($"Container engine not reachable at {(await guests.EngineAsync(cancellationToken)).Info.Endpoint}: {e.GetBaseException().Message}", e);
        }

        if (!await guests.ImageExistsAsync(image, cancellationToken))
        {
            throw new GuestException($"Image '{image}' not found and no registry is reachable: {error ?? "the engine pulled nothing"}");
        }
    }

    /// <summary>Splits <c>repo[:tag]</c> (a registry port is not a tag); a digest stays in the repository part.</summary>
    internal static (string Repository, string? Tag) SplitReference(string image)
    {
        if (image.Contains('@'))
        {
            return (image, null);
        }

        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon > slash ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
    }

    public void Dispose() => _imageLock.Dispose();
}
