using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Emulator;
using Ringmaster.Emulator.Devices;
using static Ringmaster.Agents.Drivers.Emulator.EmulatorFiles;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>
/// The VMs' disks as chains of copy-on-write layers. A VM's disk becomes a chain the first time it
/// starts (or is snapshotted): its raw <c>disk.img</c> moves into the layer store (<c>vm-layers</c>
/// beside the VMs folder) as the chain's base, and the VM writes to a top layer in its own folder
/// (<c>disk.json</c> names the top and the frozen layer below it). Freezing the top puts it into the
/// store and starts a new one (milliseconds, even while the guest runs). Layers record their parent,
/// so linked clones and snapshots share them; a layer nothing needs any more is deleted, and a layer
/// no snapshot names with a single child is merged into that child. Whoever reads or changes the
/// store holds <see cref="Lock"/>.
/// </summary>
public sealed class EmulatorLayers(EmulatorDriverOptions options, ILogger<EmulatorLayers> logger)
{
    /// <summary>Held while layers are read, made, merged or deleted.</summary>
    internal SemaphoreSlim Lock { get; } = new(1, 1);

    internal string VmsPath => options.VmsPath ?? throw new InvalidOperationException("The emulator driver has no VM folder.");

    internal string LayersPath => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(VmsPath))!, "vm-layers");

    /// <summary>
    /// Where a VM's disk is: the frozen layer under its top, its top file (in its folder), and the
    /// snapshot it descends from. <paramref name="Moving"/> names a file of the VM's folder on its way
    /// into the layer store as <paramref name="Layer"/>'s file: set just before the move and cleared
    /// after it, so that a crash in between is finished when the agent starts again.
    /// </summary>
    internal sealed record DiskState(string Layer, string Top, Guid? Current, string? Moving = null);

    /// <summary>A frozen layer in the store: its parent (null for the raw base) and its file.</summary>
    internal sealed record LayerRecord(string Id, string? Parent, string File);

    internal sealed record SnapshotRecord(Guid Id, string Name, string? Description, Guid? ParentId, bool IncludesMemory, DateTimeOffset CreatedAt, string Layer, long SizeBytes, double PauseMilliseconds);

    /// <summary>The machine configuration's disk part: the VM's layer chain (made on first use).</summary>
    internal async Task<MachineConfig> WithDiskAsync(EmulatorVm vm, MachineConfig config, CancellationToken cancellationToken)
    {
        await Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = EnsureLayered(vm);
            var (basePath, layers) = Chain(state.Layer);
            return config with { DiskPath = basePath, DiskLayers = layers, DiskOverlayPath = Path.Combine(vm.Folder, state.Top) };
        }
        finally
        {
            Lock.Release();
        }
    }

    /// <summary>Boots the machine, or continues from the state a revert, fork or restore left (once).</summary>
    internal static RiscVMachine BootOrResume(EmulatorVm vm, MachineConfig config)
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
    /// still only for the memory copy (when asked) and the layer switch. The caller holds <see cref="Lock"/>.
    /// </summary>
    internal (string Layer, MachineStateCapture? Capture, double PauseMs, DiskState State) FreezeDisk(EmulatorVm vm, DiskState state, bool includeMemory)
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

    internal static async Task WriteCaptureAsync(MachineStateCapture capture, string file, CancellationToken cancellationToken)
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
    internal DiskState EnsureLayered(EmulatorVm vm)
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
    /// <see cref="EmulatorLeftovers"/> when the agent starts again.
    /// </summary>
    private void MoveIntoStore(EmulatorVm vm, DiskState state, string from, string layerFile)
    {
        WriteDiskState(vm, state with { Moving = from });
        File.Move(Path.Combine(vm.Folder, from), Path.Combine(LayersPath, layerFile));
        WriteDiskState(vm, state);
    }

    /// <summary>The raw base and the frozen layers (oldest first) under a layer, that layer included.</summary>
    internal (string Base, List<string> Layers) Chain(string layerId)
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
    internal DiskChain OpenChain(EmulatorVm vm, bool includeTop)
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

    internal long LayerLength(string layerId)
    {
        var (basePath, _) = Chain(layerId);
        return new FileInfo(basePath).Length;
    }

    /// <summary>
    /// Deletes the layers nothing needs (no VM's chain, no snapshot) and merges each layer that no
    /// snapshot or VM names directly and that has a single child layer into that child.
    /// </summary>
    internal void CollectLayers()
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
    internal (Dictionary<string, LayerRecord> Layers, HashSet<string> Pinned, HashSet<string> Live) LiveLayers()
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

    internal async Task CollectLayersAsync()
    {
        await Lock.WaitAsync().ConfigureAwait(false);
        try
        {
            CollectLayers();
        }
        finally
        {
            Lock.Release();
        }
    }

    internal void DeleteLayer(LayerRecord layer)
    {
        TryDeleteFile(Path.Combine(LayersPath, layer.File), logger);
        TryDeleteFile(Path.Combine(LayersPath, layer.Id + ".json"), logger);
    }

    internal static string NewTopName() => $"top-{Guid.NewGuid():N}.cow";

    internal static string SnapshotStatePath(EmulatorVm vm, Guid snapshotId) => Path.Combine(vm.Folder, SnapshotsFolder, snapshotId.ToString("N") + ".state");

    internal static DiskState? ReadDiskState(EmulatorVm vm) => ReadJson<DiskState>(Path.Combine(vm.Folder, DiskStateFile));

    internal static void WriteDiskState(EmulatorVm vm, DiskState state) => WriteJson(Path.Combine(vm.Folder, DiskStateFile), state);

    internal static List<SnapshotRecord> ReadSnapshots(EmulatorVm vm) => ReadJson<List<SnapshotRecord>>(Path.Combine(vm.Folder, SnapshotsFile)) ?? [];

    internal static void WriteSnapshots(EmulatorVm vm, List<SnapshotRecord> snapshots) => WriteJson(Path.Combine(vm.Folder, SnapshotsFile), snapshots);

    internal LayerRecord ReadLayer(string id) =>
        ReadJson<LayerRecord>(Path.Combine(LayersPath, id + ".json")) ?? throw new GuestException($"The disk layer {id} is missing from {LayersPath}.");

    internal void WriteLayer(LayerRecord layer)
    {
        Directory.CreateDirectory(LayersPath);
        WriteJson(Path.Combine(LayersPath, layer.Id + ".json"), layer);
    }
}
