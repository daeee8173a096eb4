using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Emulator;
using Ringmaster.Emulator.Devices;
using static Ringmaster.Agents.Drivers.Emulator.EmulatorFiles;
using static Ringmaster.Agents.Drivers.Emulator.EmulatorLayers;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>
/// Snapshots and clones of VMs, made of disk layers (see <see cref="EmulatorLayers"/>). A snapshot
/// freezes the VM's top layer; with memory it also copies the machine's state while paused and
/// compresses it after the guest runs on. A linked clone freezes the source's top layer (as a
/// snapshot does) and gets an empty top of its own over the same layers: ready in milliseconds,
/// sharing everything below. A full clone flattens the chain into an independent sparse raw disk.
/// From a running source the disk is crash-consistent, or with memory the clone continues from the
/// source's memory (a fork). The new identity (id, name, MAC) comes in the definition.
/// </summary>
public sealed class EmulatorSnapshots(EmulatorGuests guests, EmulatorLayers layers, ILogger<EmulatorSnapshots> logger) : IGuestSnapshots
{
    public async Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return [.. ReadSnapshots(vm).Select(ToInfo)];
    }

    public async Task<SnapshotInfo> TakeSnapshotAsync(Guid id, SnapshotRequest request, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        var snapshots = ReadSnapshots(vm);
        if (snapshots.Any(s => s.Name == request.Name))
        {
            throw new GuestException($"VM {vm.Definition.Name} already has a snapshot named '{request.Name}'.");
        }

        await layers.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        MachineStateCapture? capture;
        string layer;
        double pauseMs;
        DiskState state;
        try
        {
            state = layers.EnsureLayered(vm);
            (layer, capture, pauseMs, state) = layers.FreezeDisk(vm, state, request.IncludeMemory);
        }
        finally
        {
            layers.Lock.Release();
        }

        long size = new FileInfo(Path.Combine(layers.LayersPath, layers.ReadLayer(layer).File)).Length;
        if (capture is not null)
        {
            var folder = Directory.CreateDirectory(Path.Combine(vm.Folder, SnapshotsFolder)).FullName;
            var file = Path.Combine(folder, request.SnapshotId.ToString("N") + ".state");
            await WriteCaptureAsync(capture, file, cancellationToken).ConfigureAwait(false);
            size += new FileInfo(file).Length;
        }

        var record = new SnapshotRecord(request.SnapshotId, request.Name, request.Description, state.Current, capture is not null, DateTimeOffset.UtcNow, layer, size, pauseMs);
        snapshots.Add(record);
        WriteSnapshots(vm, snapshots);
        WriteDiskState(vm, state with { Current = record.Id });
        logger.LogInformation("Snapshot {Snapshot} of VM {Name}: {Memory}, paused {Pause:F1} ms", request.Name, vm.Definition.Name, capture is null ? "disk only" : "with memory", pauseMs);
        return ToInfo(record);
    }

    public async Task<GuestInfo> RevertSnapshotAsync(Guid id, Guid snapshotId, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        var snapshot = ReadSnapshots(vm).FirstOrDefault(s => s.Id == snapshotId)
            ?? throw new GuestException($"VM {vm.Definition.Name} has no such snapshot.");
        await guests.PowerOffAsync(vm).ConfigureAwait(false);
        await layers.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = layers.EnsureLayered(vm);
            var top = NewTopName();
            CowLayer.Create(Path.Combine(vm.Folder, top), layers.LayerLength(snapshot.Layer));
            WriteDiskState(vm, new DiskState(snapshot.Layer, top, snapshot.Id));
            guests.TryDeleteFile(Path.Combine(vm.Folder, state.Top));
            guests.TryDeleteFile(Path.Combine(vm.Folder, ResumeStateFile));
            layers.CollectLayers();
        }
        finally
        {
            layers.Lock.Release();
        }

        if (snapshot.IncludesMemory)
        {
            File.Copy(SnapshotStatePath(vm, snapshot.Id), Path.Combine(vm.Folder, ResumeStateFile), overwrite: true);
            logger.LogInformation("VM {Name} reverted to snapshot {Snapshot}; resuming from its memory", vm.Definition.Name, snapshot.Name);
            return await guests.StartAsync(id, cancellationToken).ConfigureAwait(false);
        }

        logger.LogInformation("VM {Name} reverted to snapshot {Snapshot} (disk only; stopped)", vm.Definition.Name, snapshot.Name);
        return vm.Info();
    }

    public async Task DeleteSnapshotAsync(Guid id, Guid snapshotId, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        await layers.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshots = ReadSnapshots(vm);
            var snapshot = snapshots.FirstOrDefault(s => s.Id == snapshotId)
                ?? throw new GuestException($"VM {vm.Definition.Name} has no such snapshot.");
            snapshots.Remove(snapshot);
            snapshots = [.. snapshots.Select(s => s.ParentId == snapshot.Id ? s with { ParentId = snapshot.ParentId } : s)];
            WriteSnapshots(vm, snapshots);
            if (ReadDiskState(vm) is { } state && state.Current == snapshot.Id)
            {
                WriteDiskState(vm, state with { Current = snapshot.ParentId });
            }

            guests.TryDeleteFile(SnapshotStatePath(vm, snapshot.Id));
            layers.CollectLayers();
            logger.LogInformation("Deleted snapshot {Snapshot} of VM {Name}", snapshot.Name, vm.Definition.Name);
        }
        finally
        {
            layers.Lock.Release();
        }
    }

    public async Task<GuestInfo> CloneAsync(Guid id, CloneRequest request, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var source = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        var definition = request.Definition with { Kind = MachineKind.Vm, Image = source.Definition.Image, Spec = request.Definition.Spec };
        if (guests.Contains(definition.Id) || guests.Vms.Any(v => v.Definition.Name == definition.Name))
        {
            throw new GuestException($"A VM named '{definition.Name}' (or with its id) already exists on this host.");
        }

        if (request.IncludeMemory && source.Runner is null)
        {
            throw new GuestException($"VM {source.Definition.Name} is not running: there is no memory to fork; clone it without memory.");
        }

        var folder = guests.FolderOf(definition.Id);
        var watch = Stopwatch.StartNew();
        MachineStateCapture? capture = null;
        try
        {
            Directory.CreateDirectory(folder);
            await layers.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var state = layers.EnsureLayered(source);
                if (request.Linked || source.Runner is not null)
                {
                    // A stable chain to share or copy: freeze the source's top (the source keeps running on a new one).
                    (_, capture, _, state) = layers.FreezeDisk(source, state, request.IncludeMemory);
                }

                if (request.Linked)
                {
                    var top = NewTopName();
                    CowLayer.Create(Path.Combine(folder, top), layers.LayerLength(state.Layer));
                    WriteJson(Path.Combine(folder, DiskStateFile), new DiskState(state.Layer, top, null));
                }
                else
                {
                    var (basePath, chainLayers) = layers.Chain(state.Layer);
                    if (source.Runner is null)
                    {
                        chainLayers.Add(Path.Combine(source.Folder, state.Top));
                    }

                    using var chain = new DiskChain(basePath, chainLayers);
                    progress.Report(10);
                    await Task.Run(() => chain.Flatten(Path.Combine(folder, DiskFile), new Progress<double>(p => progress.Report(10 + (int)(p * 80)))), cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                layers.Lock.Release();
            }

            if (capture is not null)
            {
                await WriteCaptureAsync(capture, Path.Combine(folder, ResumeStateFile), cancellationToken).ConfigureAwait(false);
            }

            var vm = new EmulatorVm(definition, folder);
            await EmulatorGuests.SaveDefinitionAsync(vm, cancellationToken).ConfigureAwait(false);
            guests.Add(vm);
            progress.Report(95);
            logger.LogInformation("Cloned VM {Source} as {Name} ({Kind}{Memory}) in {Ms:F0} ms", source.Definition.Name, definition.Name, request.Linked ? "linked" : "full", capture is null ? "" : ", with memory", watch.Elapsed.TotalMilliseconds);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            guests.TryDeleteFolder(folder);
            throw new GuestException($"Could not clone VM {source.Definition.Name}: {ex.Message}", ex);
        }

        return capture is not null
            ? await guests.StartAsync(definition.Id, cancellationToken).ConfigureAwait(false)
            : guests[definition.Id].Info();
    }

    private static SnapshotInfo ToInfo(SnapshotRecord s) => new(s.Id, s.Name, s.Description, s.ParentId, s.IncludesMemory, s.CreatedAt, s.SizeBytes, s.PauseMilliseconds);
}
