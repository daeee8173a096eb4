using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;
using Ringmaster.Contracts;
using Ringmaster.Shared;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>What <c>qemu-img info</c> says of an imported disk: its format (told by content) and its virtual size.</summary>
public sealed record QemuImportedDisk(string Path, DiskImageFormat Format, long VirtualSizeBytes);

/// <summary>
/// VM disks imported into the server from other hypervisors (kind <c>disk</c>): each verified file is
/// kept once per name and checksum under the agent's <c>disks</c> folder (an OVA's first VMDK taken
/// out of it), after <c>qemu-img info</c> read it with the format its content shows (never probed)
/// and found no backing file. A VM made from one gets a qcow2 copy of its own (<see cref="ConvertAsync"/>).
/// </summary>
public sealed partial class QemuDiskImport(QemuDriverOptions options, ILogger<QemuDiskImport> logger)
{
    /// <summary>The folder of the host's imported disks: <c>disks</c> beside the VMs' folder.</summary>
    internal string DisksPath =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.VmsPath ?? throw new InvalidOperationException("The QEMU driver has no VM folder.")))!, "disks");

    /// <summary>Where the disk <paramref name="source"/> is kept on this host: its name and the start of its SHA-256.</summary>
    internal string PathOf(ImageSource source) => Path.Combine(DisksPath, $"{source.Name}-{source.Sha256[..12]}.disk");

    public string? FindImported(ImageSource source) => File.Exists(PathOf(source)) ? Path.GetFileName(PathOf(source)) : null;

    /// <summary>Checks the verified file and keeps it (an OVA's disk, taken out) as the host's copy of the disk; its local name.</summary>
    public async Task<string> ImportAsync(ImageSource source, string verifiedFile, CancellationToken cancellationToken)
    {
        var check = DiskImages.Detect(verifiedFile);
        if (check.Format is not { } format)
        {
            throw new GuestException($"Image '{source.Name}' is not a disk a VM can be made from: {check.Problem}");
        }

        var target = PathOf(source);
        Directory.CreateDirectory(DisksPath);
        var temp = target + ".part";
        try
        {
            if (format == DiskImageFormat.Ova)
            {
                await ExtractOvaDiskAsync(source, verifiedFile, temp, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                File.Move(verifiedFile, temp, overwrite: true);
            }

            var disk = await InspectAsync(temp, cancellationToken).ConfigureAwait(false);
            File.Move(temp, target, overwrite: true);
            logger.LogInformation("Imported disk {Name} ({Format}, {Size} bytes virtual) into {Path}", source.Name, disk.Format.QemuName(), disk.VirtualSizeBytes, target);
            return Path.GetFileName(target);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>The first disk the OVA's OVF descriptor names, written to <paramref name="target"/>.</summary>
    private static async Task ExtractOvaDiskAsync(ImageSource source, string ova, string target, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(ova, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        var (_, machine) = DiskImages.ReadOva(file);
        var wanted = machine?.DiskFiles.FirstOrDefault() ?? throw new GuestException($"The OVA '{source.Name}' names no disk in its OVF descriptor.");
        file.Position = 0;
        await using var tar = new TarReader(file, leaveOpen: true);
        while (await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (entry.Name == wanted && entry.DataStream is { } data)
            {
                await using var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true);
                await data.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        throw new GuestException($"The OVA '{source.Name}' lacks the disk {wanted} its OVF descriptor names.");
    }

    /// <summary>
    /// The disk's format (from its content) and virtual size as <c>qemu-img info -f FORMAT</c> reads it;
    /// refuses one with a backing file or, for a VMDK, data in files other than itself.
    /// </summary>
    public async Task<QemuImportedDisk> InspectAsync(string path, CancellationToken cancellationToken)
    {
        var check = DiskImages.Detect(path);
        if (check.Format is not { } format || format == DiskImageFormat.Ova)
        {
            throw new GuestException(check.Problem ?? "An OVA's disk is itself an OVA; that is not a disk.");
        }

        string output;
        try
        {
            output = await QemuImg.RunAsync(cancellationToken, "info", "--output=json", "-f", format.QemuName(), path).ConfigureAwait(false);
        }
        catch (GuestException e)
        {
            throw new GuestException($"qemu-img cannot read this {format.QemuName()} disk: {e.Message}", e);
        }

        using var info = JsonDocument.Parse(output);
        var root = info.RootElement;
        if (root.TryGetProperty("backing-filename", out var backing))
        {
            throw new GuestException($"This {format.QemuName()} disk is layered on another file ({backing.GetString()}); a disk from another host is imported whole, never with a backing file.");
        }

        var specific = root.TryGetProperty("format-specific", out var f) && f.TryGetProperty("data", out var d) ? d : default;
        if (specific.ValueKind == JsonValueKind.Object && specific.TryGetProperty("data-file", out var dataFile))
        {
            throw new GuestException($"This qcow2 disk keeps its data in another file ({dataFile.GetString()}); import the whole disk.");
        }

        if (format == DiskImageFormat.Vmdk && specific.ValueKind == JsonValueKind.Object && specific.TryGetProperty("extents", out var extents))
        {
            foreach (var extent in extents.EnumerateArray())
            {
                if (extent.TryGetProperty("filename", out var name) && Path.GetFullPath(name.GetString() ?? "") != Path.GetFullPath(path))
                {
                    throw new GuestException("This VMDK keeps its data in another file; import a single-file VMDK or an OVA.");
                }
            }
        }

        var size = root.GetProperty("virtual-size").GetInt64();
        return size <= 0 ? throw new GuestException("This disk has no size.") : new QemuImportedDisk(path, format, size);
    }

    [GeneratedRegex(@"\((?<percent>\d{1,3}(?:\.\d+)?)/100%\)", RegexOptions.CultureInvariant)]
    private static partial Regex ProgressPattern();

    /// <summary>
    /// Copies <paramref name="disk"/> into a new qcow2 at <paramref name="target"/> (<c>qemu-img convert -p -f FORMAT -O qcow2</c>),
    /// reporting qemu-img's own percentage as it goes.
    /// </summary>
    public async Task ConvertAsync(QemuImportedDisk disk, string target, Action<double> progress, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("qemu-img") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "convert", "-p", "-f", disk.Format.QemuName(), "-O", "qcow2", disk.Path, target })
        {
            info.ArgumentList.Add(argument);
        }

        InheritedDescriptors.MarkCloseOnExec();
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new GuestException("qemu-img did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new GuestException($"qemu-img could not be started ({e.Message}); is Debian's qemu-utils package installed?", e);
        }

        using (process)
        {
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                // -p writes "    (12.34/100%)\r" as it goes
                var buffer = new char[256];
                var line = new StringBuilder();
                int read;
                while ((read = await process.StandardOutput.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    foreach (var c in buffer.AsSpan(0, read))
                    {
                        if (c is '\r' or '\n')
                        {
                            if (ProgressPattern().Match(line.ToString()) is { Success: true } match)
                            {
                                progress(double.Parse(match.Groups["percent"].Value, CultureInfo.InvariantCulture));
                            }

                            line.Clear();
                        }
                        else if (line.Length < 200)
                        {
                            line.Append(c);
                        }
                    }
                }

                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw;
            }

            if (process.ExitCode != 0)
            {
                throw new GuestException($"qemu-img convert failed: {(await error.ConfigureAwait(false)).Trim()}");
            }
        }
    }
}
