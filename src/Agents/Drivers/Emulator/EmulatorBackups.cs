using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;
using Ringmaster.Contracts;
using Ringmaster.Emulator;
using Ringmaster.Emulator.Devices;
using static Ringmaster.Agents.Drivers.Emulator.EmulatorFiles;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>
/// Backups. One archive per backup (<c>ID.rmbak</c>, a zip) in the backup store: <c>machine.json</c>
/// (the definition with its spec), the disk as a block map (<c>disk.map</c>: index and hash of every
/// non-zero 4 KiB block) plus the blocks this backup stores (<c>disk.data</c>), the same for memory
/// pages when the guest ran (<c>memory.*</c>), and <c>manifest.json</c> with the SHA-256 of every
/// entry. An incremental backup stores only the blocks and pages whose hash differs from the previous
/// backup's map; a restore of any point takes each block from the newest archive of the chain that
/// holds it with the right hash.
/// </summary>
public sealed class EmulatorBackups(EmulatorGuests guests, EmulatorLayers layers, GuestImages images, EmulatorDriverOptions options, ILogger<EmulatorBackups> logger) : IGuestBackups
{
    private const int FormatVersion = 1;
    private const int Block = CowLayer.BlockSize;

    private sealed record BackupManifest(
        int Format,
        Guid Id,
        Guid MachineId,
        string MachineName,
        GuestDefinition Definition,
        DateTimeOffset CreatedAt,
        Guid? PreviousBackupId,
        long DiskLength,
        long MemoryBytes,
        bool IncludesMemory,
        long DiskBlocksStored,
        long MemoryPagesStored,
        Dictionary<string, string> Checksums);

    public async Task<BackupInfo> BackupAsync(Guid id, BackupRequest request, BackupStore store, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        store.Ensure();
        BackupManifest? previous = null;
        Dictionary<int, UInt128>? previousDisk = null, previousMemory = null;
        if (request.PreviousBackupId is { } previousId && File.Exists(store.ArchiveOf(previousId)))
        {
            using var archive = ZipFile.OpenRead(store.ArchiveOf(previousId));
            previous = ReadManifest(archive);
            previousDisk = ReadMap(archive, "disk.map");
            previousMemory = previous.IncludesMemory ? ReadMap(archive, "memory.map") : null;
        }

        DiskChain chain;
        MachineStateCapture? capture = null;
        await layers.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (vm.Runner is not null)
            {
                var state = layers.EnsureLayered(vm);
                (_, capture, _, state) = layers.FreezeDisk(vm, state, request.IncludeMemory);
                chain = layers.OpenChain(vm, includeTop: false);
            }
            else
            {
                chain = layers.OpenChain(vm, includeTop: true);
            }
        }
        finally
        {
            layers.Lock.Release();
        }

        var file = store.ArchiveOf(request.BackupId);
        var temp = file + ".tmp";
        long diskStored, memoryStored;
        var diskLength = chain.Length;
        var checksums = new Dictionary<string, string>();
        try
        {
            using (chain)
            {
                await using var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                using var archive = new ZipArchive(output, ZipArchiveMode.Create);
                ChecksummedZip.WriteEntry(archive, "machine.json", checksums, s => s.Write(JsonSerializer.SerializeToUtf8Bytes(vm.Definition, Json)));
                diskStored = await Task.Run(() => WriteBlocks(archive, "disk", checksums, chain.AllocatedBlocks(), chain.BlockCount, (i, buffer) => chain.ReadBlock(i, buffer), previousDisk, p => progress.Report(5 + (int)(p * (capture is null ? 90 : 60)))), cancellationToken).ConfigureAwait(false);
                memoryStored = 0;
                if (capture is not null)
                {
                    ChecksummedZip.WriteEntry(archive, "memory.prefix", checksums, s => s.Write(capture.Prefix));
                    ChecksummedZip.WriteEntry(archive, "memory.rom", checksums, s => s.Write(capture.Rom));
                    ChecksummedZip.WriteEntry(archive, "memory.suffix", checksums, s => s.Write(capture.Suffix));
                    var pages = capture.Ram.Length / Block;
                    memoryStored = await Task.Run(() => WriteBlocks(archive, "memory", checksums, Enumerable.Range(0, pages), pages, (i, buffer) => capture.Ram.AsSpan(i * Block, Block).CopyTo(buffer), previousMemory, p => progress.Report(65 + (int)(p * 30))), cancellationToken).ConfigureAwait(false);
                    capture.Dispose();
                }

                var manifest = new BackupManifest(FormatVersion, request.BackupId, vm.Definition.Id, vm.Definition.Name, vm.Definition, DateTimeOffset.UtcNow,
                    previous?.Id, diskLength, capture?.Ram.LongLength ?? 0, capture is not null, diskStored, memoryStored, checksums);
                var entry = archive.CreateEntry("manifest.json", CompressionLevel.Fastest);
                await using (var s = entry.Open())
                {
                    await s.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(manifest, Json), cancellationToken).ConfigureAwait(false);
                }
            }

            File.Move(temp, file, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            guests.TryDeleteFile(temp);
            throw new GuestException($"Could not write the backup to {store.Path}: {ex.Message}", ex);
        }
        catch
        {
            guests.TryDeleteFile(temp);
            throw;
        }

        await layers.CollectLayersAsync().ConfigureAwait(false);
        var size = new FileInfo(file).Length;
        logger.LogInformation("Backed VM {Name} up to {File}: {Kind}, {Blocks} disk blocks, {Pages} memory pages, {Size} bytes", vm.Definition.Name, file, previous is null ? "full" : "incremental", diskStored, memoryStored, size);
        return new BackupInfo(request.BackupId, vm.Definition.Id, vm.Definition.Name, MachineKind.Vm, previous?.Id, capture is not null, DateTimeOffset.UtcNow, size, diskLength, diskStored, file);
    }

    public async Task<GuestInfo> RestoreAsync(RestoreRequest request, BackupStore store, IProgress<int> progress, CancellationToken cancellationToken)
    {
        await guests.LoadAsync(cancellationToken).ConfigureAwait(false);
        var definition = request.Definition;
        if (guests.Vms.Any(v => v.Definition.Name == definition.Name && v.Definition.Id != definition.Id))
        {
            throw new GuestException($"A VM named '{definition.Name}' already exists on this host.");
        }

        var staging = Path.Combine(guests.VmsPath, $".restore-{definition.Id:N}");
        guests.TryDeleteFolder(staging);
        Directory.CreateDirectory(staging);
        BackupManifest manifest;
        try
        {
            manifest = await Task.Run(() => Reconstruct(store, request.BackupId, staging, p => progress.Report(5 + (int)(p * 80))), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            guests.TryDeleteFolder(staging);
            throw;
        }

        if (guests.Contains(definition.Id))
        {
            await guests.DeleteAsync(definition.Id, cancellationToken).ConfigureAwait(false);
        }

        var folder = guests.FolderOf(definition.Id);
        Directory.Move(staging, folder);
        var vm = new EmulatorVm(definition with { Kind = MachineKind.Vm, Image = manifest.Definition.Image }, folder);
        await EmulatorGuests.SaveDefinitionAsync(vm, cancellationToken).ConfigureAwait(false);
        guests.Add(vm);
        progress.Report(90);
        logger.LogInformation("Restored backup {Backup} of {Source} as VM {Name}", request.BackupId, manifest.MachineName, definition.Name);
        return request.Start || manifest.IncludesMemory ? await guests.StartAsync(definition.Id, cancellationToken).ConfigureAwait(false) : vm.Info();
    }

    public async Task<VerifyReport> VerifyAsync(VerifyRequest request, BackupStore store, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var checks = new List<string>();
        var scratch = Directory.CreateTempSubdirectory("ringmaster-verify-").FullName;
        try
        {
            var chainIds = ArchiveChain(store, request.BackupId);
            foreach (var backupId in chainIds)
            {
                using var archive = ZipFile.OpenRead(store.ArchiveOf(backupId));
                var manifest = ReadManifest(archive);
                foreach (var (name, expected) in manifest.Checksums)
                {
                    var entry = archive.GetEntry(name) ?? throw new GuestException($"Backup {backupId}: the entry {name} is missing.");
                    using var s = entry.Open();
                    var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(s, cancellationToken).ConfigureAwait(false));
                    if (actual != expected)
                    {
                        return new VerifyReport(false, [.. checks, $"Backup {backupId}: {name} does not match its checksum."], null);
                    }
                }

                checks.Add($"Backup {backupId}: {manifest.Checksums.Count} entries match their SHA-256 checksums.");
            }

            progress.Report(30);
            var restored = await Task.Run(() => Reconstruct(store, request.BackupId, scratch, p => progress.Report(30 + (int)(p * 30))), cancellationToken).ConfigureAwait(false);
            checks.Add($"Every disk block{(restored.IncludesMemory ? " and memory page" : "")} of the chain of {chainIds.Count} archive(s) matches its hash.");
            string? output = null;
            if (request.TestBoot)
            {
                progress.Report(60);
                output = await TestBootAsync(restored, scratch, cancellationToken).ConfigureAwait(false);
                checks.Add(restored.IncludesMemory ? "The restored machine resumed from its memory and answered at the console prompt." : "The restored disk booted to the console prompt.");
            }

            return new VerifyReport(true, checks, output);
        }
        catch (GuestException ex)
        {
            return new VerifyReport(false, [.. checks, ex.Message], null);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or JsonException)
        {
            return new VerifyReport(false, [.. checks, $"The backup cannot be read: {ex.Message}"], null);
        }
        finally
        {
            guests.TryDeleteFolder(scratch);
        }
    }

    public Task<IReadOnlyList<HeldBackup>> ListBackupsAsync(BackupStore store, CancellationToken cancellationToken)
    {
        var held = new List<HeldBackup>();
        foreach (var file in Directory.EnumerateFiles(store.Path, "*.rmbak"))
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var archive = ZipFile.OpenRead(file);
                var m = ReadManifest(archive);
                var info = new BackupInfo(m.Id, m.MachineId, m.MachineName, MachineKind.Vm, m.PreviousBackupId, m.IncludesMemory, m.CreatedAt,
                    new FileInfo(file).Length, m.DiskLength, m.DiskBlocksStored, file);
                held.Add(new HeldBackup(info, m.Definition.Spec, m.Definition.Image));
            }
            catch (Exception ex) when (ex is InvalidDataException or JsonException or GuestException)
            {
                logger.LogWarning("The backup archive {File} cannot be read: {Reason}", file, ex.Message);
            }
        }

        return Task.FromResult<IReadOnlyList<HeldBackup>>(held);
    }

    /// <summary>Boots the restored copy in the scratch folder (never the original) until its shell prompt answers.</summary>
    private async Task<string> TestBootAsync(BackupManifest manifest, string folder, CancellationToken cancellationToken)
    {
        var image = images.Find(manifest.Definition.Image);
        var config = new MachineConfig
        {
            MemoryMiB = manifest.Definition.Spec.MemoryMiB,
            Harts = manifest.Definition.Spec.Vcpus,
            FirmwarePath = image.Firmware,
            KernelPath = image.Kernel,
            InitrdPath = image.Initrd,
            Bootargs = image.Bootargs,
            DiskPath = Path.Combine(folder, DiskFile),
            // The same devices as the VM (a memory image holds their state), the NIC unplugged so the copy never meets the original.
            Network = EmulatorNetwork.Unplugged(manifest.Definition),
        };
        var scratchVm = new EmulatorVm(manifest.Definition, folder);
        RiscVMachine machine;
        try
        {
            machine = EmulatorLayers.BootOrResume(scratchVm, config);
        }
        catch (MachineConfigurationException ex)
        {
            throw new GuestException($"The restored machine does not start: {ex.Message}", ex);
        }

        var seen = new StringBuilder();
        var prompt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var runner = new MachineRunner(machine, options.SliceBudget);
        runner.ConsoleOutput += data =>
        {
            lock (seen)
            {
                seen.Append(Encoding.UTF8.GetString(data.Span));
                if (seen.ToString().Contains("# ", StringComparison.Ordinal))
                {
                    prompt.TrySetResult();
                }
            }
        };
        runner.Start();
        try
        {
            if (manifest.IncludesMemory)
            {
                machine.WriteConsoleInput("\n"u8);
            }

            await prompt.Task.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new GuestException("The restored machine did not reach the console prompt within 5 minutes.");
        }
        finally
        {
            runner.Stop();
            machine.Dispose();
        }

        lock (seen)
        {
            var text = seen.ToString();
            return text.Length > 4000 ? text[^4000..] : text;
        }
    }

    /// <summary>The backups from <paramref name="backupId"/> back to its full backup, newest first; all must be in the store.</summary>
    private static List<Guid> ArchiveChain(BackupStore store, Guid backupId)
    {
        var chain = new List<Guid>();
        for (Guid? at = backupId; at is { } current;)
        {
            if (chain.Contains(current))
            {
                throw new GuestException($"The backup chain of {backupId} loops.");
            }

            var file = store.ArchiveOf(current);
            if (!File.Exists(file))
            {
                throw new BackupMissingException(current == backupId
                    ? $"The backup store of this host ({store.Path}) does not hold backup {current}."
                    : $"Backup {backupId} is incremental to backup {current}, which the backup store of this host ({store.Path}) does not hold.");
            }

            chain.Add(current);
            using var archive = ZipFile.OpenRead(file);
            at = ReadManifest(archive).PreviousBackupId;
        }

        return chain;
    }

    /// <summary>Writes the disk (<c>disk.img</c>) and, with memory, <c>resume.state</c> of a backup point into a folder.</summary>
    private static BackupManifest Reconstruct(BackupStore store, Guid backupId, string folder, Action<double> progress)
    {
        var chain = ArchiveChain(store, backupId);
        ZipArchive? newest = null;
        try
        {
            newest = ZipFile.OpenRead(store.ArchiveOf(backupId));
            var manifest = ReadManifest(newest);
            var diskMap = ReadMap(newest, "disk.map");
            using (var disk = new FileStream(Path.Combine(folder, DiskFile), FileMode.CreateNew, FileAccess.Write))
            {
                disk.SetLength(manifest.DiskLength);
                Fill(store, chain, "disk", diskMap, (i, block) => RandomAccess.Write(disk.SafeFileHandle, block, (long)i * Block), p => progress(p * 0.7));
                disk.Flush(true);
            }

            if (manifest.IncludesMemory)
            {
                var ram = new byte[manifest.MemoryBytes];
                var memoryMap = ReadMap(newest, "memory.map");
                Fill(store, chain, "memory", memoryMap, (i, block) => block.CopyTo(ram.AsSpan(i * Block)), p => progress(0.7 + p * 0.3));
                var capture = new MachineStateCapture(ChecksummedZip.ReadAll(newest, "memory.prefix"), ChecksummedZip.ReadAll(newest, "memory.rom"), ram, ChecksummedZip.ReadAll(newest, "memory.suffix"));
                using var state = new FileStream(Path.Combine(folder, ResumeStateFile), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
                capture.WriteTo(state);
            }

            return manifest;
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException or EndOfStreamException)
        {
            throw new GuestException($"Backup {backupId} cannot be read: {ex.Message}", ex);
        }
        finally
        {
            newest?.Dispose();
        }
    }

    /// <summary>Puts every block of <paramref name="map"/> in place, taking each from the newest archive of the chain that holds it with the right hash.</summary>
    private static void Fill(BackupStore store, List<Guid> chain, string prefix, Dictionary<int, UInt128> map, Action<int, byte[]> write, Action<double> progress)
    {
        var remaining = new HashSet<int>(map.Keys);
        var total = Math.Max(1, remaining.Count);
        var block = new byte[Block];
        var header = new byte[4];
        foreach (var backupId in chain)
        {
            if (remaining.Count == 0)
            {
                break;
            }

            using var archive = ZipFile.OpenRead(store.ArchiveOf(backupId));
            var entry = archive.GetEntry(prefix + ".data") ?? throw new GuestException($"Backup {backupId} has no {prefix}.data.");
            using var data = new BufferedStream(entry.Open(), 1 << 20);
            while (remaining.Count > 0 && data.ReadAtLeast(header, 4, throwOnEndOfStream: false) == 4)
            {
                var index = BinaryPrimitives.ReadInt32LittleEndian(header);
                data.ReadExactly(block);
                if (remaining.Contains(index) && Hash(block) == map[index])
                {
                    write(index, block);
                    remaining.Remove(index);
                    if (remaining.Count % 4096 == 0)
                    {
                        progress(1 - (double)remaining.Count / total);
                    }
                }
            }
        }

        if (remaining.Count > 0)
        {
            throw new GuestException($"The backup chain lacks {remaining.Count} {prefix} block(s) with the recorded hashes: an archive is damaged.");
        }
    }

    /// <summary>Writes the block map of every non-zero block and the blocks that changed since <paramref name="previous"/>; returns how many it stored.</summary>
    private static long WriteBlocks(ZipArchive archive, string prefix, Dictionary<string, string> checksums, IEnumerable<int> blocks, int count, Action<int, byte[]> read, Dictionary<int, UInt128>? previous, Action<double> progress)
    {
        var map = new MemoryStream();
        long stored = 0;
        var buffer = new byte[Block];
        var record = new byte[20];
        var dataEntry = archive.CreateEntry(prefix + ".data", CompressionLevel.Fastest);
        using (var raw = dataEntry.Open())
        using (var hashing = new HashingWriteStream(raw))
        {
            var header = new byte[4];
            foreach (var i in blocks)
            {
                read(i, buffer);
                if (buffer.AsSpan().IndexOfAnyExcept((byte)0) < 0)
                {
                    continue;
                }

                var hash = Hash(buffer);
                BinaryPrimitives.WriteInt32LittleEndian(record, i);
                BinaryPrimitives.WriteUInt128LittleEndian(record.AsSpan(4), hash);
                map.Write(record);
                if (previous is null || !previous.TryGetValue(i, out var old) || old != hash)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(header, i);
                    hashing.Write(header);
                    hashing.Write(buffer);
                    stored++;
                }

                if (i % 8192 == 0)
                {
                    progress((double)i / Math.Max(1, count));
                }
            }

            hashing.Flush();
            checksums[prefix + ".data"] = hashing.Checksum();
        }

        ChecksummedZip.WriteEntry(archive, prefix + ".map", checksums, s => s.Write(map.GetBuffer().AsSpan(0, (int)map.Length)));
        return stored;
    }

    private static UInt128 Hash(ReadOnlySpan<byte> block)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(block, digest);
        return BinaryPrimitives.ReadUInt128LittleEndian(digest);
    }

    private static BackupManifest ReadManifest(ZipArchive archive)
    {
        var bytes = ChecksummedZip.ReadAll(archive, "manifest.json");
        var manifest = JsonSerializer.Deserialize<BackupManifest>(bytes, Json) ?? throw new GuestException("The backup's manifest is empty.");
        return manifest.Format == FormatVersion ? manifest : throw new GuestException($"The backup has format {manifest.Format}; this agent reads format {FormatVersion}.");
    }

    private static Dictionary<int, UInt128> ReadMap(ZipArchive archive, string name)
    {
        var bytes = ChecksummedZip.ReadAll(archive, name);
        var map = new Dictionary<int, UInt128>(bytes.Length / 20);
        for (var off = 0; off + 20 <= bytes.Length; off += 20)
        {
            map[BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(off))] = BinaryPrimitives.ReadUInt128LittleEndian(bytes.AsSpan(off + 4));
        }

        return map;
    }
}
