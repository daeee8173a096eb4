using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Ringmaster.Agents.Drivers.Common;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>
/// Container backups: one archive per backup (<c>ID.rmctr</c>, a zip) with the container's
/// settings (<c>settings.json</c>: definition, command, environment, working directory, user),
/// an export of its filesystem (<c>rootfs.tar</c>) and <c>manifest.json</c> with their SHA-256. A
/// restore imports the filesystem as an image and makes the container from it with the settings.
/// Always full: the engine's export has no notion of changed blocks.
/// </summary>
public sealed class ContainerBackups(ContainerEngineClient guests, ContainerLifecycle lifecycle, ILogger<ContainerBackups> logger) : IGuestBackups
{
    private sealed record ContainerSettings(GuestDefinition Definition, IList<string>? Cmd, IList<string>? Entrypoint, IList<string>? Env, string? WorkingDir, string? User, bool Tty);

    private sealed record ContainerBackupManifest(int Format, Guid Id, Guid MachineId, string MachineName, DateTimeOffset CreatedAt, Dictionary<string, string> Checksums);

    public async Task<BackupInfo> BackupAsync(Guid id, BackupRequest request, BackupStore store, IProgress<int> progress, CancellationToken cancellationToken)
    {
        if (request.IncludeMemory)
        {
            throw new GuestException("Backing a container up with its memory needs CRIU checkpointing, which this host's kernel does not support; back it up without memory.");
        }

        var container = await guests.GetAsync(id, cancellationToken);
        var info = ContainerEngineClient.ToInfo(container);
        var inspect = await guests.CallAsync("Could not inspect the container", client => client.Containers.InspectContainerAsync(container.ID, cancellationToken), cancellationToken);
        var definition = new GuestDefinition(id, info.Name, MachineKind.Container, info.Image, [], info.Spec, info.Labels);
        var settings = new ContainerSettings(definition, inspect.Config?.Cmd, inspect.Config?.Entrypoint, inspect.Config?.Env, inspect.Config?.WorkingDir, inspect.Config?.User, inspect.Config?.Tty ?? true);
        store.Ensure();
        var file = store.ContainerArchiveOf(request.BackupId);
        var temp = file + ".tmp";
        var checksums = new Dictionary<string, string>();
        try
        {
            await using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            using (var archive = new ZipArchive(output, ZipArchiveMode.Create))
            {
                await ChecksummedZip.WriteEntryAsync(archive, "settings.json", checksums, s => s.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(settings, GuestLabels.Json), cancellationToken).AsTask());
                progress.Report(10);
                await using var export = await guests.CallAsync($"Could not export container '{info.Name}'", client => client.Containers.ExportContainerAsync(container.ID, cancellationToken), cancellationToken);
                await ChecksummedZip.WriteEntryAsync(archive, "rootfs.tar", checksums, s => export.CopyToAsync(s, cancellationToken));
                progress.Report(90);
                var manifest = new ContainerBackupManifest(1, request.BackupId, id, info.Name, DateTimeOffset.UtcNow, checksums);
                await using var m = archive.CreateEntry("manifest.json", CompressionLevel.Fastest).Open();
                await m.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(manifest, GuestLabels.Json), cancellationToken);
            }

            File.Move(temp, file, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        var size = new FileInfo(file).Length;
        logger.LogInformation("Backed container {Name} up to {File} ({Size} bytes)", info.Name, file, size);
        return new BackupInfo(request.BackupId, id, info.Name, MachineKind.Container, null, false, DateTimeOffset.UtcNow, size, size, 0, file);
    }

    public async Task<GuestInfo> RestoreAsync(RestoreRequest request, BackupStore store, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var file = store.ContainerArchiveOf(request.BackupId);
        if (!File.Exists(file))
        {
            throw new BackupMissingException($"The backup store of this host ({store.Path}) does not hold backup {request.BackupId}.");
        }

        var definition = request.Definition;
        if (await guests.FindAsync(definition.Id, cancellationToken) is not null)
        {
            // Restoring over the machine: it goes first (its snapshots' images with it).
            await lifecycle.DeleteAsync(definition.Id, cancellationToken);
        }

        ContainerSettings settings;
        var image = $"{ContainerEngineClient.RestoreRepository}/{definition.Id:N}:latest";
        using (var archive = ZipFile.OpenRead(file))
        {
            settings = JsonSerializer.Deserialize<ContainerSettings>(await ChecksummedZip.ReadAllAsync(archive, "settings.json", cancellationToken), GuestLabels.Json)
                ?? throw new GuestException("The backup's settings are empty.");
            var entry = archive.GetEntry("rootfs.tar") ?? throw new GuestException("The backup has no filesystem.");

            // The engine wants a body of known length: unpack the filesystem to a scratch file first,
            // in the store under a temporary name (what a crash leaves there is removed at start).
            var scratch = Path.Combine(store.Ensure(), $"{request.BackupId:N}.restore-{Guid.NewGuid():N}.tmp");
            try
            {
                await using var unpacked = new FileStream(scratch, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                await using var packed = entry.Open();
                await packed.CopyToAsync(unpacked, cancellationToken);
            }
            catch
            {
                File.Delete(scratch);
                throw;
            }

            await using var rootfs = new FileStream(scratch, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.DeleteOnClose);
            string? error = null;
            await guests.CallAsync("Could not import the backup's filesystem",
                client => client.Images.CreateImageAsync(new ImagesCreateParameters { FromSrc = "-", Repo = $"{ContainerEngineClient.RestoreRepository}/{definition.Id:N}", Tag = "latest", Message = $"Ringmaster restore of {settings.Definition.Name}" },
                    rootfs, null, new SynchronousProgress<JSONMessage>(m => error ??= m.Error?.Message ?? m.ErrorMessage), cancellationToken), cancellationToken);
            if (!await guests.ImageExistsAsync(image, cancellationToken))
            {
                throw new GuestException($"Could not import the backup's filesystem: {error ?? "the engine reported no image"}");
            }
        }

        progress.Report(60);
        await guests.EnsureNameFreeAsync(definition.Name, cancellationToken);
        var labels = GuestLabels.For(definition with { Kind = MachineKind.Container }, guests.Options.Owner, settings.Definition.Image,
            definition.Labels.Count > 0 ? definition.Labels : settings.Definition.Labels);
        await guests.CallAsync($"Could not create container '{definition.Name}'",
            client => client.Containers.CreateContainerAsync(new CreateContainerParameters
            {
                Name = definition.Name,
                Image = image,
                Cmd = settings.Cmd,
                Entrypoint = settings.Entrypoint,
                Env = settings.Env,
                WorkingDir = settings.WorkingDir,
                User = settings.User,
                Labels = labels,
                Tty = settings.Tty,
                OpenStdin = true,
                AttachStdin = true,
                AttachStdout = true,
                AttachStderr = true,
                HostConfig = new HostConfig { NanoCPUs = definition.Spec.Vcpus * 1_000_000_000L, Memory = definition.Spec.MemoryMiB * 1024L * 1024L },
            }, cancellationToken), cancellationToken);
        progress.Report(90);
        return request.Start ? await lifecycle.StartAsync(definition.Id, cancellationToken) : await guests.InfoAsync(definition.Id, cancellationToken);
    }

    public async Task<VerifyReport> VerifyAsync(VerifyRequest request, BackupStore store, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var file = store.ContainerArchiveOf(request.BackupId);
        if (!File.Exists(file))
        {
            return new VerifyReport(false, [$"The backup store of this host ({store.Path}) does not hold backup {request.BackupId}."], null);
        }

        try
        {
            using var archive = ZipFile.OpenRead(file);
            var manifest = JsonSerializer.Deserialize<ContainerBackupManifest>(await ChecksummedZip.ReadAllAsync(archive, "manifest.json", cancellationToken), GuestLabels.Json)
                ?? throw new GuestException("The backup's manifest is empty.");
            foreach (var (name, expected) in manifest.Checksums)
            {
                var entry = archive.GetEntry(name) ?? throw new GuestException($"The entry {name} is missing.");
                await using var s = entry.Open();
                if (Convert.ToHexStringLower(await SHA256.HashDataAsync(s, cancellationToken)) != expected)
                {
                    return new VerifyReport(false, [$"{name} does not match its checksum."], null);
                }
            }

            return new VerifyReport(true, [$"{manifest.Checksums.Count} entries match their SHA-256 checksums.", request.TestBoot ? "A container backup's test boot is its restore: restore it under a new name to try it." : "No test boot asked."], null);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or JsonException or GuestException)
        {
            return new VerifyReport(false, [$"The backup cannot be read: {ex.Message}"], null);
        }
    }

    public async Task<IReadOnlyList<HeldBackup>> ListBackupsAsync(BackupStore store, CancellationToken cancellationToken)
    {
        var held = new List<HeldBackup>();
        foreach (var file in Directory.EnumerateFiles(store.Path, "*.rmctr"))
        {
            try
            {
                using var archive = ZipFile.OpenRead(file);
                var manifest = JsonSerializer.Deserialize<ContainerBackupManifest>(await ChecksummedZip.ReadAllAsync(archive, "manifest.json", cancellationToken), GuestLabels.Json)
                    ?? throw new GuestException("The backup's manifest is empty.");
                var settings = JsonSerializer.Deserialize<ContainerSettings>(await ChecksummedZip.ReadAllAsync(archive, "settings.json", cancellationToken), GuestLabels.Json)
                    ?? throw new GuestException("The backup's settings are empty.");
                var size = new FileInfo(file).Length;
                var info = new BackupInfo(manifest.Id, manifest.MachineId, manifest.MachineName, MachineKind.Container, null, false, manifest.CreatedAt, size, size, 0, file);
                held.Add(new HeldBackup(info, settings.Definition.Spec, settings.Definition.Image));
            }
            catch (Exception ex) when (ex is InvalidDataException or JsonException or GuestException)
            {
                logger.LogWarning("The backup archive {File} cannot be read: {Reason}", file, ex.Message);
            }
        }

        return held;
    }
}
