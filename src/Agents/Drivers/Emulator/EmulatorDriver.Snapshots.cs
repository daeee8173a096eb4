using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Ringmaster.Core.Contracts;
using Ringmaster.Emulator;
using Ringmaster.Emulator.Devices;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>
/// Snapshots. A VM's disk becomes a chain of copy-on-write layers the first time it starts (or is
/// snapshotted): its raw <c>disk.img</c> moves into the layer store (<c>vm-layers</c> beside the VMs
/// folder) as the chain's base, and the VM writes to a top layer in its own folder
/// (<c>disk.json</c> names the top and the frozen layer below it). A snapshot freezes the top into
/// the layer store and starts a new one (milliseconds, even while the guest runs); with memory it
/// also copies the machine's state while paused and compresses it after the guest runs on. Layers
/// record their parent, so linked clones and snapshots share them; a layer nothing needs any more is
/// deleted, and a layer no snapshot names with a single child is merged into that child.
/// </summary>
public sealed partial class EmulatorDriver : IGuestSnapshots
{
    private const string DiskStateFile = "disk.json";
    private const string SnapshotsFile = "snapshots.json";
    private const string ResumeStateFile = "resume.state";
    private const string SnapshotsFolder = "snapshots";
    private readonly SemaphoreSlim _layersLock = new(1, 1);

    private string LayersPath => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(VmsPath))!, "vm-layers");

    /// <summary>
    /// Where a VM's disk is: the frozen layer under its top, its top file (in its folder), and the
    /// snapshot it descends from. <paramref name="Moving"/> names a file of the VM's folder on its way
    /// into the layer store as <paramref name="Layer"/>'s file: set just before the move and cleared
    /// after it, so that a crash in between is finished when the agent starts again.
    /// </summary>
    private sealed record DiskState(string Layer, string Top, Guid? Current, string? Moving = null);

    /// <summary>A frozen layer in the store: its parent (null for the raw base) and its file.</summary>
    private sealed record LayerRecord(string Id, string? Parent, string File);

    private sealed record SnapshotRecord(Guid Id, string Name, string? Description, Guid? ParentId, bool IncludesMemory, DateTimeOffset CreatedAt, string Layer, long SizeBytes, double PauseMilliseconds);

    public async Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        return [.. ReadSnapshots(vm).Select(ToInfo)];
    }

    public async Task<SnapshotInfo> TakeSnapshotAsync(Guid id, SnapshotRequest request, CancellationToken cancellationToken)
    {
        var vm = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        var snapshots = ReadSnapshots(vm);
        if (snapshots.Any(s => s.Name == request.Name))
        {
            throw new GuestException($"VM {vm.Definition.Name} already has a snapshot named '{request.Name}'.");
        }

        await _layersLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        MachineStateCapture? capture;
        string layer;
        double pauseMs;
        DiskState state;
        try
        {
            state = EnsureLayered(vm);
            (layer, capture, pauseMs, state) = FreezeDisk(vm, state, request.IncludeMemory);
        }
        finally
        {
            _layersLock.Release();
        }

        long size = new FileInfo(Path.Combine(LayersPath, ReadLayer(layer).File)).Length;
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
        var vm = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        var snapshot = ReadSnapshots(vm).FirstOrDefault(s => s.Id == snapshotId)
            ?? throw new GuestException($"VM {vm.Definition.Name} has no such snapshot.");
        await PowerOffAsync(vm).ConfigureAwait(false);
        await _layersLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = EnsureLayered(vm);
            var top = NewTopName();
            CowLayer.Create(Path.Combine(vm.Folder, top), LayerLength(snapshot.Layer));
            WriteDiskState(vm, new DiskState(snapshot.Layer, top, snapshot.Id));
            TryDeleteFile(Path.Combine(vm.Folder, state.Top));
            TryDeleteFile(Path.Combine(vm.Folder, ResumeStateFile));
            CollectLayers();
        }
        finally
        {
            _layersLock.Release();
        }

        if (snapshot.IncludesMemory)
        {
            File.Copy(SnapshotStatePath(vm, snapshot.Id), Path.Combine(vm.Folder, ResumeStateFile), overwrite: true);
            logger.LogInformation("VM {Name} reverted to snapshot {Snapshot}; resuming from its memory", vm.Definition.Name, snapshot.Name);
            return await StartAsync(id, cancellationToken).ConfigureAwait(false);
        }

        logger.LogInformation("VM {Name} reverted to snapshot {Snapshot} (disk only; stopped)", vm.Definition.Name, snapshot.Name);
        return Info(vm);
    }

    public async Task DeleteSnapshotAsync(Guid id, Guid snapshotId, CancellationToken cancellationToken)
    {
        var vm = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        await _layersLock.WaitAsync(cancellationToken).ConfigureAwait(false);
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

            TryDeleteFile(SnapshotStatePath(vm, snapshot.Id));
            CollectLayers();
            logger.LogInformation("Deleted snapshot {Snapshot} of VM {Name}", snapshot.Name, vm.Definition.Name);
        }
        finally
        {
            _layersLock.Release();
        }
    }

    /// <summary>The machine configuration's disk part: the VM's layer chain (made on first use).</summary>
    private MachineConfig WithDisk(Vm vm, MachineConfig config)
    {
        _layersLock.Wait();
        try
        {
            var state = EnsureLayered(vm);
            var (basePath, layers) = Chain(state.Layer);
            return config with { DiskPath = basePath, DiskLayers = layers, DiskOverlayPath = Path.Combine(vm.Folder, state.Top) };
        }
        finally
        {
            _layersLock.Release();
        }
    }

    /// <summary>Boots the machine, or continues from the state a revert, fork or restore left (once).</summary>
    private static RiscVMachine BootOrResume(Vm vm, MachineConfig config)
    {
        var resume = Path.Combine(vm.Folder, ResumeStateFile);
        if (!File.Exists(resume))
        {
            return new RiscVMachine(config);
        }

        RiscVMachine machine;
        using (var stream = new FileStream(resume, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        {
            machine = RiscVMachine.Load(stream, config);
        }

        File.Delete(resume);
        return machine;
    }

    /// <summary>
    /// Freezes the VM's top layer into the layer store and starts a new top. A running guest stands
    /// still only for the memory copy (when asked) and the layer switch.
    /// </summary>
    private (string Layer, MachineStateCapture? Capture, double PauseMs, DiskState State) FreezeDisk(Vm vm, DiskState state, bool includeMemory)
    {
        var newLayer = Guid.NewGuid().ToString("N");
        var newTop = NewTopName();
        var newTopPath = Path.Combine(vm.Folder, newTop);
        var file = newLayer + ".cow";

        // The layer's record first: until the disk state names it, a crash leaves only an unused record and top (removed at start).
        WriteLayer(new LayerRecord(newLayer, state.Layer, file));
        MachineStateCapture? capture = null;
        double pauseMs = 0;
        var runner = vm.Runner;
        if (runner is not null)
        {
            var wasPaused = vm.State == MachineState.Paused;
            var watch = Stopwatch.StartNew();
            runner.Pause();
            try
            {
                capture = includeMemory ? runner.Machine.CaptureState() : null;
                runner.Machine.PushDiskLayer(newTopPath);
            }
            finally
            {
                if (!wasPaused)
                {
                    runner.Resume();
                }

                pauseMs = watch.Elapsed.TotalMilliseconds;
            }
        }
        else
        {
            CowLayer.Create(newTopPath, LayerLength(state.Layer));
        }

        var next = state with { Layer = newLayer, Top = newTop };
        MoveIntoStore(vm, next, state.Top, file);
        return (newLayer, capture, pauseMs, next);
    }

    private static async Task WriteCaptureAsync(MachineStateCapture capture, string file, CancellationToken cancellationToken)
    {
        var temp = file + ".tmp";
        await Task.Run(() =>
        {
            using var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            capture.WriteTo(stream);
        }, cancellationToken).ConfigureAwait(false);
        capture.Dispose();
        File.Move(temp, file, overwrite: true);
    }

    /// <summary>Turns a VM with a raw disk into a layer chain: the raw disk becomes the base, an empty top goes on it.</summary>
    private DiskState EnsureLayered(Vm vm)
    {
        if (ReadDiskState(vm) is { } existing)
        {
            return existing;
        }

        Directory.CreateDirectory(LayersPath);
        var id = Guid.NewGuid().ToString("N");
        var file = id + ".raw";
        var length = new FileInfo(vm.DiskPath).Length;
        WriteLayer(new LayerRecord(id, null, file));
        var top = NewTopName();
        CowLayer.Create(Path.Combine(vm.Folder, top), length);
        var state = new DiskState(id, top, null);
        MoveIntoStore(vm, state, DiskFile, file);
        return state;
    }

    /// <summary>
    /// Moves a file of the VM's folder into the layer store as the file of <paramref name="state"/>'s
    /// layer, saying so in the disk state first: a crash between the two steps is finished by
    /// <see cref="FinishMoves"/> when the agent starts again.
    /// </summary>
    private void MoveIntoStore(Vm vm, DiskState state, string from, string layerFile)
    {
        WriteDiskState(vm, state with { Moving = from });
        File.Move(Path.Combine(vm.Folder, from), Path.Combine(LayersPath, layerFile));
        WriteDiskState(vm, state);
    }

    /// <summary>The raw base and the frozen layers (oldest first) under a layer, that layer included.</summary>
    private (string Base, List<string> Layers) Chain(string layerId)
    {
        var layers = new List<string>();
        var record = ReadLayer(layerId);
        while (record.Parent is { } parent)
        {
            layers.Add(Path.Combine(LayersPath, record.File));
            record = ReadLayer(parent);
        }

        layers.Reverse();
        return (Path.Combine(LayersPath, record.File), layers);
    }

    /// <summary>The disk chain a VM reads, top included (for a stopped VM) or up to its frozen layer.</summary>
    private DiskChain OpenChain(Vm vm, bool includeTop)
    {
        if (ReadDiskState(vm) is not { } state)
        {
            return new DiskChain(vm.DiskPath, []);
        }

        var (basePath, layers) = Chain(state.Layer);
        if (includeTop)
        {
            layers.Add(Path.Combine(vm.Folder, state.Top));
        }

        return new DiskChain(basePath, layers);
    }

    private long LayerLength(string layerId)
    {
        var (basePath, _) = Chain(layerId);
        return new FileInfo(basePath).Length;
    }

    /// <summary>
    /// Deletes the layers nothing needs (no VM's chain, no snapshot) and merges each layer that no
    /// snapshot or VM names directly and that has a single child layer into that child.
    /// </summary>
    private void CollectLayers()
    {
        if (!Directory.Exists(LayersPath))
        {
            return;
        }

        var (layers, pinned, live) = LiveLayers();
        foreach (var layer in layers.Values.Where(l => !live.Contains(l.Id)))
        {
            DeleteLayer(layer);
        }

        foreach (var id in live.Where(id => !pinned.Contains(id)))
        {
            if (!layers.TryGetValue(id, out var layer) || layer.Parent is null)
            {
                continue;
            }

            var children = layers.Values.Where(l => l.Parent == id && live.Contains(l.Id)).ToList();
            if (children.Count != 1)
            {
                continue;
            }

            var child = children[0];
            DiskChain.MergeDown(Path.Combine(LayersPath, layer.File), Path.Combine(LayersPath, child.File));
            var merged = child with { Parent = layer.Parent };
            WriteLayer(merged);
            layers[child.Id] = merged;
            layers.Remove(id);
            DeleteLayer(layer);
        }
    }

    /// <summary>The layers in the store, those a VM or a snapshot names directly, and those some chain needs.</summary>
    private (Dictionary<string, LayerRecord> Layers, HashSet<string> Pinned, HashSet<string> Live) LiveLayers()
    {
        var pinned = new HashSet<string>();
        foreach (var folder in Directory.EnumerateDirectories(VmsPath))
        {
            if (ReadJson<DiskState>(Path.Combine(folder, DiskStateFile)) is { } state)
            {
                pinned.Add(state.Layer);
            }

            foreach (var snapshot in ReadJson<List<SnapshotRecord>>(Path.Combine(folder, SnapshotsFile)) ?? [])
            {
                pinned.Add(snapshot.Layer);
            }
        }

        var layers = Directory.EnumerateFiles(LayersPath, "*.json")
            .Select(f => ReadJson<LayerRecord>(f))
            .OfType<LayerRecord>()
            .ToDictionary(l => l.Id);
        var live = new HashSet<string>();
        foreach (var id in pinned)
        {
            for (var at = id; at is not null && live.Add(at) && layers.TryGetValue(at, out var record);)
            {
                at = record.Parent;
            }
        }

        return (layers, pinned, live);
    }

    private async Task CollectLayersAsync()
    {
        await _layersLock.WaitAsync().ConfigureAwait(false);
        try
        {
            CollectLayers();
        }
        finally
        {
            _layersLock.Release();
        }
    }

    private void DeleteLayer(LayerRecord layer)
    {
        TryDeleteFile(Path.Combine(LayersPath, layer.File));
        TryDeleteFile(Path.Combine(LayersPath, layer.Id + ".json"));
    }

    private static string NewTopName() => $"top-{Guid.NewGuid():N}.cow";

    private static string SnapshotStatePath(Vm vm, Guid snapshotId) => Path.Combine(vm.Folder, SnapshotsFolder, snapshotId.ToString("N") + ".state");

    private static SnapshotInfo ToInfo(SnapshotRecord s) => new(s.Id, s.Name, s.Description, s.ParentId, s.IncludesMemory, s.CreatedAt, s.SizeBytes, s.PauseMilliseconds);

    private static DiskState? ReadDiskState(Vm vm) => ReadJson<DiskState>(Path.Combine(vm.Folder, DiskStateFile));

    private static void WriteDiskState(Vm vm, DiskState state) => WriteJson(Path.Combine(vm.Folder, DiskStateFile), state);

    private static List<SnapshotRecord> ReadSnapshots(Vm vm) => ReadJson<List<SnapshotRecord>>(Path.Combine(vm.Folder, SnapshotsFile)) ?? [];

    private static void WriteSnapshots(Vm vm, List<SnapshotRecord> snapshots) => WriteJson(Path.Combine(vm.Folder, SnapshotsFile), snapshots);

    private LayerRecord ReadLayer(string id) =>
        ReadJson<LayerRecord>(Path.Combine(LayersPath, id + ".json")) ?? throw new GuestException($"The disk layer {id} is missing from {LayersPath}.");

    private void WriteLayer(LayerRecord layer)
    {
        Directory.CreateDirectory(LayersPath);
        WriteJson(Path.Combine(LayersPath, layer.Id + ".json"), layer);
    }

    private static T? ReadJson<T>(string file)
        where T : class
    {
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize<T>(File.ReadAllText(file), s_json) : null;
        }
        catch (JsonException ex)
        {
            throw new GuestException($"'{file}' is damaged: {ex.Message}", ex);
        }
    }

    private static void WriteJson<T>(string file, T value)
    {
        var temp = file + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(value, s_json));
        File.Move(temp, file, overwrite: true);
    }

    private void TryDeleteFile(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException ex)
        {
            logger.LogWarning("Could not delete {File}: {Reason}", file, ex.Message);
        }
    }
}
