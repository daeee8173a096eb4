using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Migration;
using Ringmaster.Contracts;
using Ringmaster.Emulator;
using Ringmaster.Emulator.Devices;
using static Ringmaster.Agents.Drivers.Emulator.EmulatorFiles;
using static Ringmaster.Agents.Drivers.Emulator.EmulatorLayers;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>
/// Moving VMs between hosts. Live: the disk and the non-zero memory pages go while the guest runs,
/// then rounds of the pages (and disk blocks) written meanwhile, until few are left; then the guest
/// pauses, the last pages, disk blocks and the state without RAM go, and the target resumes it. The
/// guest's clock stands still while it is paused, so it continues without a jump. Offline: the disk.
/// </summary>
public sealed class EmulatorMigration(
    EmulatorGuests guests,
    EmulatorLayers layers,
    EmulatorNetwork network,
    GuestImages images,
    ImageHashes hashes,
    MigratedSnapshots migratedSnapshots,
    ILogger<EmulatorMigration> logger) : IMigratableDriver
{
    /// <summary>Dirty pages at or under which the source stops and copies the rest.</summary>
    private const int StopCopyPages = 128;

    private const int MaxRounds = 30;

    public async Task<MigrationProbe> ProbeAsync(MigrationProbeRequest request, CancellationToken cancellationToken)
    {
        await guests.LoadAsync(cancellationToken).ConfigureAwait(false);
        if (request.Manifest is null)
        {
            // Source: the image this VM runs, by checksum.
            try
            {
                return new MigrationProbe(true, true, true, await hashes.ManifestAsync(images.Find(request.Image), cancellationToken).ConfigureAwait(false), null);
            }
            catch (GuestException ex)
            {
                return new MigrationProbe(true, true, false, null, ex.Message);
            }
        }

        var clash = guests.Vms.FirstOrDefault(v => v.Definition.Id == request.MachineId || v.Definition.Name == request.Name);
        var nameFree = clash is null;
        var present = false;
        string? detail = nameFree ? null : $"A VM named '{clash!.Definition.Name}' ({clash.Definition.Id}) is already on this host.";
        try
        {
            var mine = await hashes.ManifestAsync(images.Find(request.Image), cancellationToken).ConfigureAwait(false);
            present = ImageHashes.Same(mine, request.Manifest);
        }
        catch (GuestException)
        {
        }

        return new MigrationProbe(true, nameFree, present, null, detail);
    }

    public async Task<MigrationFigures> SendAsync(Guid id, MigrationOrder order, Transfers.TransferSink output, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        var image = images.Find(vm.Definition.Image);
        var manifest = await hashes.ManifestAsync(image, cancellationToken).ConfigureAwait(false);
        var runner = vm.Runner;
        var live = order.Live && runner is not null;
        if (order.Live && runner is null)
        {
            throw new GuestException($"VM {vm.Definition.Name} is not running: migrate it offline.");
        }

        if (!order.Live && runner is not null)
        {
            throw new GuestException($"VM {vm.Definition.Name} is running: migrate it live, or stop it first.");
        }

        var before = vm.State;
        var wasPaused = before == MachineState.Paused;
        vm.State = MachineState.Migrating;
        var handedOff = false;
        var paused = false;
        long bytes = 0;
        long pages = 0;
        var rounds = 0;
        try
        {
            var diskBytes = await DiskLengthAsync(vm, cancellationToken).ConfigureAwait(false);
            await WriteAsync(Frames.Header(new MigrationHeader(vm.Definition, live, diskBytes, manifest, null, live && !wasPaused))).ConfigureAwait(false);
            if (order.SendImage)
            {
                foreach (var file in ImageHashes.Files(image))
                {
                    bytes += await SendImageFileAsync(file, output, cancellationToken).ConfigureAwait(false);
                }
            }

            bytes += await migratedSnapshots.SendAsync(vm, output, cancellationToken).ConfigureAwait(false);
            progress.Report(10);
            if (!live)
            {
                bytes += await SendDiskAsync(vm, null, Frames.DataChunk, output, cancellationToken).ConfigureAwait(false);
                await WriteAsync(Frames.Simple(FrameKind.End)).ConfigureAwait(false);
                handedOff = true;
                return new MigrationFigures(bytes, 0, 0);
            }

            var machine = runner!.Machine;

            // Round 0: from here on writes are tracked; then everything that holds data goes while the guest runs.
            Pause();
            machine.FlushDisk();
            machine.StartDiskWriteTracking();
            machine.MarkDirtyPages();
            Resume();
            bytes += await SendDiskAsync(vm, null, Frames.DataChunk, output, cancellationToken).ConfigureAwait(false);
            var first = machine.NonZeroPages();
            bytes += await SendPagesAsync(first).ConfigureAwait(false);
            pages += first.Count;
            progress.Report(50);

            // Rounds: what the guest wrote meanwhile, until little is left.
            IReadOnlyList<ulong> dirty;
            List<long> diskBlocks;
            while (true)
            {
                rounds++;

                // What was sent must reach the target first: the last frames must not queue behind it while the guest is paused.
                await output.DrainAsync(Frames.DataChunk, cancellationToken).ConfigureAwait(false);
                Pause();
                dirty = machine.GetDirtyPages();
                diskBlocks = machine.TakeDiskWrites();
                if (dirty.Count <= StopCopyPages || rounds >= MaxRounds)
                {
                    break;
                }

                machine.MarkDirtyPages();
                machine.FlushDisk();
                Resume();
                bytes += await SendDiskBlocksAsync(diskBlocks).ConfigureAwait(false);
                bytes += await SendPagesAsync(dirty).ConfigureAwait(false);
                pages += dirty.Count;
                progress.Report(Math.Min(90, 50 + rounds * 2));
            }

            // Stop and copy: the guest stays paused from here until the target resumes it.
            var pausedAt = DateTime.UtcNow.Ticks;
            var stopCopy = System.Diagnostics.Stopwatch.StartNew();
            machine.FlushDisk();
            bytes += await SendDiskBlocksAsync(diskBlocks).ConfigureAwait(false);
            bytes += await SendPagesAsync(dirty).ConfigureAwait(false);
            pages += dirty.Count;
            using (var state = new MemoryStream())
            {
                state.Write(BitConverter.GetBytes(pausedAt));
                machine.SaveState(state);
                var frame = new byte[1 + state.Length];
                frame[0] = (byte)FrameKind.State;
                state.GetBuffer().AsSpan(0, (int)state.Length).CopyTo(frame.AsSpan(1));
                await WriteAsync(frame).ConfigureAwait(false);
            }

            await WriteAsync(Frames.Simple(FrameKind.End)).ConfigureAwait(false);
            handedOff = true;
            logger.LogInformation("Sent VM {Name} live: {Rounds} rounds, {Pages} pages, {Bytes} bytes; {Final} pages while paused", vm.Definition.Name, rounds, pages, bytes, dirty.Count);
            return new MigrationFigures(bytes, rounds, pages, StopCopyMs: stopCopy.Elapsed.TotalMilliseconds, FinalPages: dirty.Count);
        }
        finally
        {
            if (!handedOff)
            {
                if (paused)
                {
                    runner!.Resume();
                }

                vm.State = before;
            }
        }

        async Task WriteAsync(byte[] frame)
        {
            await output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            bytes += frame.Length;
        }

        Task<long> SendPagesAsync(IReadOnlyList<ulong> list) =>
            Frames.SendPagesAsync(list, RiscVMachine.PageBytes, (a, d) => runner!.Machine.ReadPage(a, d), output, cancellationToken);

        Task<long> SendDiskBlocksAsync(List<long> blocks) => blocks.Count == 0
            ? Task.FromResult(0L)
            : SendDiskAsync(vm, blocks, RiscVMachine.DiskBlockBytes, output, cancellationToken);

        void Pause()
        {
            if (!wasPaused)
            {
                runner!.Pause();
                paused = true;
            }
        }

        void Resume()
        {
            if (!wasPaused)
            {
                runner!.Resume();
                paused = false;
            }
        }
    }

    private static async Task<long> SendImageFileAsync(string path, Transfers.TransferSink output, CancellationToken cancellationToken)
    {
        long bytes = 0;
        var name = Path.GetFileName(path);
        await using var file = File.OpenRead(path);
        var buffer = new byte[Frames.DataChunk];
        long offset = 0;
        int n;
        do
        {
            n = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            var frame = Frames.ImageFile(name, offset, buffer.AsSpan(0, n));
            await output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            bytes += frame.Length;
            offset += n;
        }
        while (n > 0);
        return bytes;
    }

    public async Task<GuestInfo> AbortSendAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (vm.State == MachineState.Migrating)
        {
            if (vm.Runner is { } runner)
            {
                runner.Resume();
                vm.State = MachineState.Running;
            }
            else
            {
                vm.State = MachineState.Stopped;
            }
        }

        return vm.Info();
    }

    public async Task<(GuestInfo Guest, MigrationFigures Figures)> ReceiveAsync(GuestDefinition definition, MigrationOrder order, IAsyncEnumerable<byte[]> input, CancellationToken cancellationToken)
    {
        await guests.LoadAsync(cancellationToken).ConfigureAwait(false);
        if (guests.Contains(definition.Id) || guests.Vms.Any(v => v.Definition.Name == definition.Name))
        {
            throw new GuestException($"A VM named '{definition.Name}' or with id {definition.Id} is already on this host.");
        }

        var folder = guests.FolderOf(definition.Id);
        guests.TryDeleteFolder(folder);
        Directory.CreateDirectory(folder);
        var imageFolder = Path.Combine(guests.ReceivedImagesPath, definition.Image);
        var imageStaging = imageFolder + ".incoming-" + definition.Id.ToString("N");
        RiscVMachine? machine = null;
        MachineRunner? runner = null;
        Microsoft.Win32.SafeHandles.SafeFileHandle? disk = null;
        var imageCopied = false;
        MigrationHeader? header = null;
        long bytes = 0;
        long pages = 0;
        long pausedAt = 0;
        var ended = false;
        var stateLoaded = false;
        System.Diagnostics.Stopwatch? loadClock = null;
        var snapshots = migratedSnapshots.Incoming(folder, definition);
        try
        {
            await foreach (var chunk in input.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                bytes += chunk.Length;
                var payload = chunk.AsMemory(1);
                switch ((FrameKind)chunk[0])
                {
                    case FrameKind.Header:
                        header = Frames.ReadHeader(payload.Span);
                        if (header.Definition.Id != definition.Id)
                        {
                            throw new GuestException("The migration stream is of another guest.");
                        }

                        disk = File.OpenHandle(Path.Combine(folder, DiskFile), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite);
                        RandomAccess.SetLength(disk, header.DiskBytes);

                        // The disk is a layer chain at once, as every started VM's is: the received blocks go into
                        // the raw base through this handle (it follows the file into the layer store) and the
                        // guest writes to a fresh top layer once it runs here.
                        await layers.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
                        try
                        {
                            layers.EnsureLayered(new EmulatorVm(definition, folder));
                        }
                        finally
                        {
                            layers.Lock.Release();
                        }

                        break;
                    case FrameKind.ImageFile:
                    {
                        var (name, offset, data) = Frames.ReadImageFile(payload);
                        if (name.Contains('/') || name.Contains('\\') || name.StartsWith('.'))
                        {
                            throw new GuestException("The migration stream names an image file outside the image.");
                        }

                        Directory.CreateDirectory(imageStaging);
                        await using var file = new FileStream(Path.Combine(imageStaging, name), offset == 0 ? FileMode.Create : FileMode.Open, FileAccess.Write);
                        file.Seek(offset, SeekOrigin.Begin);
                        await file.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                        imageCopied = true;
                        break;
                    }

                    case FrameKind.SnapshotFile:
                    {
                        var (name, offset, data) = Frames.ReadImageFile(payload);
                        snapshots.Accept(name, offset, data.Span);
                        break;
                    }

                    case FrameKind.Disk:
                    {
                        var (offset, data) = Frames.ReadData(payload);
                        RandomAccess.Write(disk ?? throw new GuestException("The migration stream has no header."), data.Span, offset);
                        break;
                    }

                    case FrameKind.Pages:
                        machine ??= await CreateIncomingAsync(header ?? throw new GuestException("The migration stream has no header.")).ConfigureAwait(false);
                        pages += Frames.ReadPages(payload.Span, RiscVMachine.PageBytes, machine.WritePage);
                        break;
                    case FrameKind.State:
                        loadClock = System.Diagnostics.Stopwatch.StartNew();
                        machine ??= await CreateIncomingAsync(header ?? throw new GuestException("The migration stream has no header.")).ConfigureAwait(false);
                        pausedAt = BitConverter.ToInt64(payload.Span);
                        using (var state = new MemoryStream(chunk, 9, chunk.Length - 9, writable: false))
                        {
                            machine.LoadState(state);
                        }

                        stateLoaded = true;
                        break;
                    case FrameKind.End:
                        ended = true;
                        break;
                    default:
                        throw new GuestException($"The migration stream has an unknown frame '{(char)chunk[0]}'.");
                }
            }

            if (!ended || header is null)
            {
                throw new GuestException("The migration stream ended early.");
            }

            if (header.Live && !stateLoaded)
            {
                throw new GuestException("The migration stream has no machine state.");
            }

            disk?.Dispose();
            disk = null;
            await snapshots.FinishAsync(cancellationToken).ConfigureAwait(false);
            var vm = new EmulatorVm(definition with { Image = header.Definition.Image }, folder);
            await EmulatorGuests.SaveDefinitionAsync(vm, cancellationToken).ConfigureAwait(false);
            double? downtime = null;
            double? loadMs = null;
            if (header.Live && machine is not null)
            {
                guests.Run(vm, machine, header.WasRunning ? MachineState.Running : MachineState.Paused);
                runner = vm.Runner;
                downtime = TimeSpan.FromTicks(DateTime.UtcNow.Ticks - pausedAt).TotalMilliseconds;
                loadMs = loadClock?.Elapsed.TotalMilliseconds;
            }
            else
            {
                machine?.Dispose();
                machine = null;
                guests.Add(vm);
            }

            logger.LogInformation("Received VM {Name} ({Id}){Live}: {Bytes} bytes, {Pages} pages, downtime {Downtime} ms",
                definition.Name, definition.Id, header.Live ? " live" : "", bytes, pages, downtime?.ToString("0.0") ?? "-");
            return (vm.Info(), new MigrationFigures(bytes, 0, pages, downtime, imageCopied, LoadMs: loadMs));
        }
        catch (Exception ex)
        {
            disk?.Dispose();
            snapshots.Abandon();
            network.Disconnect(new EmulatorVm(definition, folder));
            if (runner is not null)
            {
                guests.TryRemove(definition.Id);
                runner.Dispose();
            }

            machine?.Dispose();
            guests.TryDeleteFolder(folder);
            guests.TryDeleteFolder(imageStaging);

            // The disk's base went into the layer store when the header came: with the folder gone nothing needs it.
            await layers.CollectLayersAsync().ConfigureAwait(false);
            if (ex is GuestException or OperationCanceledException)
            {
                throw;
            }

            throw new GuestException($"Receiving the VM failed: {ex.Message}", ex);
        }
        finally
        {
            if (imageCopied && Directory.Exists(imageStaging))
            {
                guests.TryDeleteFolder(imageFolder);
                try
                {
                    Directory.Move(imageStaging, imageFolder);
                }
                catch (IOException ex)
                {
                    logger.LogWarning("Could not keep the received image {Image}: {Reason}", definition.Image, ex.Message);
                }
            }
        }

        async Task<RiscVMachine> CreateIncomingAsync(MigrationHeader h)
        {
            var image = imageCopied
                ? images.FindIn(h.Definition.Image, imageStaging) ?? throw new GuestException($"The received image '{h.Definition.Image}' is incomplete.")
                : images.Find(h.Definition.Image);
            var config = new MachineConfig
            {
                MemoryMiB = definition.Spec.MemoryMiB,
                Harts = definition.Spec.Vcpus,
                FirmwarePath = image.Firmware,
                KernelPath = image.Kernel,
                InitrdPath = image.Initrd,
                Bootargs = image.Bootargs,
            };
            var incoming = new EmulatorVm(definition, folder);
            return RiscVMachine.CreateIncoming(await layers.WithDiskAsync(incoming, config with { Network = network.Connect(incoming) }, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>The size of the disk the guest sees.</summary>
    private async Task<long> DiskLengthAsync(EmulatorVm vm, CancellationToken cancellationToken)
    {
        await layers.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return ReadDiskState(vm) is { } state ? layers.LayerLength(state.Layer) : new FileInfo(vm.DiskPath).Length;
        }
        finally
        {
            layers.Lock.Release();
        }
    }

    /// <summary>
    /// Sends the disk as the guest sees it: pieces at <paramref name="offsets"/>, or every piece that
    /// holds data. A layered disk is read through its chain, opened now so that it sees what the
    /// machine flushed last.
    /// </summary>
    private async Task<long> SendDiskAsync(EmulatorVm vm, IEnumerable<long>? offsets, int pieceBytes, Transfers.TransferSink output, CancellationToken cancellationToken)
    {
        DiskChain chain;
        await layers.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (ReadDiskState(vm) is null)
            {
                return await Frames.SendFileAsync(FrameKind.Disk, vm.DiskPath, offsets, pieceBytes, output, cancellationToken).ConfigureAwait(false);
            }

            chain = layers.OpenChain(vm, includeTop: true);
        }
        finally
        {
            layers.Lock.Release();
        }

        using (chain)
        {
            var length = chain.Length;
            var pieces = offsets ?? chain.AllocatedBlocks().Select(b => (long)b * CowLayer.BlockSize / pieceBytes * pieceBytes).Distinct();
            var buffer = new byte[pieceBytes];
            long bytes = 0;
            foreach (var offset in pieces)
            {
                if (offset >= length)
                {
                    continue;
                }

                var n = (int)Math.Min(pieceBytes, length - offset);
                for (var at = 0; at < n; at += CowLayer.BlockSize)
                {
                    chain.ReadBlock((int)((offset + at) / CowLayer.BlockSize), buffer.AsSpan(at, CowLayer.BlockSize));
                }

                if (offsets is null && buffer.AsSpan(0, n).IndexOfAnyExcept((byte)0) < 0)
                {
                    continue;
                }

                var frame = Frames.Data(FrameKind.Disk, offset, buffer.AsSpan(0, n));
                await output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                bytes += frame.Length;
            }

            return bytes;
        }
    }
}
