using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Ringmaster.Agents.Migration;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using static Ringmaster.Agents.Drivers.Emulator.EmulatorFiles;
using static Ringmaster.Agents.Drivers.Emulator.EmulatorLayers;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>
/// Snapshots travel with a migrating VM: the frozen disk layers its snapshots stand on (their files
/// and records), the snapshot list and their memory states go before the disk, so that on the target
/// every snapshot can still be reverted to. Layers are named by id; one the target already has (a
/// linked clone brought it earlier) is kept as it is.
/// </summary>
public sealed class MigratedSnapshots(EmulatorLayers layers, ILogger<MigratedSnapshots> logger)
{
    private const string LayerPrefix = "layer/";
    private const string VmPrefix = "vm/";
    private const string StatePrefix = "vm/state/";
    private const string CurrentName = "vm/current";

    /// <summary>Sends the VM's snapshots (nothing when it has none); returns the bytes sent.</summary>
    internal async Task<long> SendAsync(EmulatorVm vm, Transfers.TransferSink output, CancellationToken cancellationToken)
    {
        var snapshots = ReadSnapshots(vm);
        if (snapshots.Count == 0)
        {
            return 0;
        }

        long bytes = 0;

        // Held while the layers go: no merge or collection may change them under the reader.
        await layers.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var records = new Dictionary<string, LayerRecord>();
            foreach (var snapshot in snapshots)
            {
                for (string? at = snapshot.Layer; at is not null && !records.ContainsKey(at);)
                {
                    var record = layers.ReadLayer(at);
                    records[at] = record;
                    at = record.Parent;
                }
            }

            foreach (var layer in records.Values)
            {
                bytes += await SendNamedFileAsync(LayerPrefix + layer.File, Path.Combine(layers.LayersPath, layer.File), output, cancellationToken).ConfigureAwait(false);
                bytes += await WriteAsync(LayerPrefix + layer.Id + ".json", JsonSerializer.SerializeToUtf8Bytes(layer, Json)).ConfigureAwait(false);
            }
        }
        finally
        {
            layers.Lock.Release();
        }

        foreach (var snapshot in snapshots.Where(s => s.IncludesMemory))
        {
            var state = SnapshotStatePath(vm, snapshot.Id);
            if (File.Exists(state))
            {
                bytes += await SendNamedFileAsync(StatePrefix + Path.GetFileName(state), state, output, cancellationToken).ConfigureAwait(false);
            }
        }

        bytes += await WriteAsync(VmPrefix + SnapshotsFile, JsonSerializer.SerializeToUtf8Bytes(snapshots, Json)).ConfigureAwait(false);
        if (ReadDiskState(vm)?.Current is { } current)
        {
            bytes += await WriteAsync(CurrentName, Encoding.UTF8.GetBytes(current.ToString())).ConfigureAwait(false);
        }

        return bytes;

        async Task<long> WriteAsync(string name, byte[] content)
        {
            var frame = Frames.NamedData(FrameKind.SnapshotFile, name, 0, content);
            await output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            return frame.Length;
        }
    }

    /// <summary>Announces a file's length, then sends its pieces that hold data (holes stay holes).</summary>
    private static async Task<long> SendNamedFileAsync(string name, string path, Transfers.TransferSink output, CancellationToken cancellationToken)
    {
        var announce = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(announce, new FileInfo(path).Length);
        var first = Frames.NamedData(FrameKind.SnapshotFile, name, -1, announce);
        await output.WriteAsync(first, cancellationToken).ConfigureAwait(false);
        return first.Length + await Frames.SendFileAsync(path, null, Frames.DataChunk,
            (offset, data) => Frames.NamedData(FrameKind.SnapshotFile, name, offset, data), output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The target's side of the VM's snapshots, landing in <paramref name="folder"/>.</summary>
    internal IncomingSnapshots Incoming(string folder, GuestDefinition definition) => new(layers, logger, folder, definition);

    /// <summary>
    /// The target's side: snapshot files land in the VM's new folder, layers beside the layer store
    /// under a staging name until <see cref="FinishAsync"/> moves in those the store lacks.
    /// </summary>
    internal sealed class IncomingSnapshots(EmulatorLayers layers, ILogger logger, string folder, GuestDefinition definition)
    {
        private readonly string _suffix = ".incoming-" + definition.Id.ToString("N");
        private readonly HashSet<string> _staged = [];

        public Guid? Current { get; private set; }

        public void Accept(string name, long offset, ReadOnlySpan<byte> data)
        {
            string path;
            if (name.StartsWith(LayerPrefix, StringComparison.Ordinal))
            {
                Directory.CreateDirectory(layers.LayersPath);
                path = Path.Combine(layers.LayersPath, SafeName(name[LayerPrefix.Length..]) + _suffix);
                _staged.Add(path);
            }
            else if (name.StartsWith(StatePrefix, StringComparison.Ordinal))
            {
                path = Path.Combine(Directory.CreateDirectory(Path.Combine(folder, SnapshotsFolder)).FullName, SafeName(name[StatePrefix.Length..]));
            }
            else if (name == CurrentName)
            {
                Current = Guid.TryParse(Encoding.UTF8.GetString(data), out var id) ? id : throw new GuestException("The migration stream names a current snapshot that is not an id.");
                return;
            }
            else if (name == VmPrefix + SnapshotsFile)
            {
                path = Path.Combine(folder, SnapshotsFile);
            }
            else
            {
                throw new GuestException($"The migration stream carries an unknown snapshot file '{(name.Length > 64 ? name[..64] : name)}'.");
            }

            using var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
            if (offset < 0)
            {
                RandomAccess.SetLength(file, BinaryPrimitives.ReadInt64LittleEndian(data));
            }
            else
            {
                RandomAccess.Write(file, data, offset);
            }
        }

        private static string SafeName(string name) =>
            name.Length is > 0 and <= 128 && !name.StartsWith('.') && name.IndexOfAny(['/', '\\', '\0']) < 0
                ? name
                : throw new GuestException("The migration stream names a snapshot file outside its folders.");

        /// <summary>Moves the received layers into the store (records last, so a record never names a missing file) and sets the VM's current snapshot.</summary>
        public async Task FinishAsync(CancellationToken cancellationToken)
        {
            await layers.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var records = _staged.Where(p => p.EndsWith(".json" + _suffix, StringComparison.Ordinal)).ToList();
                foreach (var staged in records)
                {
                    var record = JsonSerializer.Deserialize<LayerRecord>(File.ReadAllText(staged), Json)
                        ?? throw new GuestException("The migration stream carries an empty layer record.");
                    var finalRecord = Path.Combine(layers.LayersPath, record.Id + ".json");
                    var stagedFile = Path.Combine(layers.LayersPath, SafeName(record.File) + _suffix);
                    if (!File.Exists(finalRecord))
                    {
                        File.Move(stagedFile, Path.Combine(layers.LayersPath, record.File), overwrite: true);
                        File.Move(staged, finalRecord);
                    }
                }

                var vm = new EmulatorVm(definition, folder);
                if (Current is { } current && ReadDiskState(vm) is { } state)
                {
                    WriteDiskState(vm, state with { Current = current });
                }
            }
            finally
            {
                layers.Lock.Release();
                Abandon();
            }
        }

        /// <summary>Deletes what is still staged (all of it when the migration failed).</summary>
        public void Abandon()
        {
            foreach (var path in _staged)
            {
                TryDeleteFile(path, logger);
            }

            _staged.Clear();
        }
    }
}
