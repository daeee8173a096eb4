using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using static Ringmaster.Agents.Drivers.Emulator.EmulatorFiles;
using static Ringmaster.Agents.Drivers.Emulator.EmulatorLayers;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>
/// What a crash leaves in the VM folders, found when the agent starts. A VM's files are written so
/// that every step is either done or visibly not: a folder is a VM once its <c>machine.json</c>
/// exists, a file is complete once it has left its <c>.tmp</c> name, a snapshot once
/// <c>snapshots.json</c> names it, a layer once a disk state or a snapshot needs it, and a move into
/// the layer store is announced in the disk state before it happens. So what is not (yet) one of
/// these is removed, and an announced move is finished.
/// </summary>
public sealed class EmulatorLeftovers(EmulatorGuests guests, EmulatorLayers layers, ILogger<EmulatorLeftovers> logger) : IGuestLeftovers
{
    public async Task<IReadOnlyList<DiscardedLeftover>> DiscardLeftoversAsync(CancellationToken cancellationToken)
    {
        var discarded = new List<DiscardedLeftover>();
        if (!Directory.Exists(guests.VmsPath))
        {
            return discarded;
        }

        await layers.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var folder in Directory.EnumerateDirectories(guests.VmsPath))
            {
                var name = Path.GetFileName(folder);
                Guid? id = Guid.TryParseExact(name, "N", out var parsed) ? parsed : null;
                if (name.StartsWith(".restore-", StringComparison.Ordinal))
                {
                    Guid? restored = Guid.TryParseExact(name[".restore-".Length..], "N", out var r) ? r : null;
                    discarded.AddRange(Leftovers.DeleteFolder(folder, $"the files of an unfinished restore ({name})", restored, logger));
                    continue;
                }

                GuestDefinition? definition = null;
                try
                {
                    definition = ReadJson<GuestDefinition>(Path.Combine(folder, DefinitionFile));
                }
                catch (GuestException)
                {
                }

                if (definition is null)
                {
                    // Made by a create, a clone, a restore or an incoming migration that did not finish.
                    discarded.AddRange(Leftovers.DeleteFolder(folder, $"the files of an unfinished VM ({name})", id, logger));
                    continue;
                }

                discarded.AddRange(TidyVmFolder(folder, definition));
            }

            if (Directory.Exists(layers.LayersPath))
            {
                discarded.AddRange(TidyLayers());
            }

            if (Directory.Exists(guests.ReceivedImagesPath))
            {
                foreach (var incoming in Directory.EnumerateDirectories(guests.ReceivedImagesPath, "*.incoming-*"))
                {
                    discarded.AddRange(Leftovers.DeleteFolder(incoming, $"an image an unfinished migration was copying ({Path.GetFileName(incoming)})", null, logger));
                }
            }
        }
        finally
        {
            layers.Lock.Release();
        }

        return discarded;
    }

    /// <summary>In a VM's folder: finishes an announced move, and removes temporary files, tops and snapshot memory nothing names.</summary>
    private List<DiscardedLeftover> TidyVmFolder(string folder, GuestDefinition definition)
    {
        var discarded = new List<DiscardedLeftover>();
        var vm = new EmulatorVm(definition, folder);
        var label = $"VM {definition.Name}";
        if (ReadDiskState(vm) is { Moving: { } moving } state)
        {
            var from = Path.Combine(folder, moving);
            var layer = ReadJson<LayerRecord>(Path.Combine(layers.LayersPath, state.Layer + ".json"));
            if (File.Exists(from) && layer is not null)
            {
                File.Move(from, Path.Combine(layers.LayersPath, layer.File), overwrite: true);
            }

            WriteDiskState(vm, state with { Moving = null });
            logger.LogInformation("Finished moving {File} of {Vm} into the layer store, which a crash had interrupted", moving, label);
        }

        foreach (var temp in Directory.EnumerateFiles(folder, "*.tmp", SearchOption.AllDirectories))
        {
            discarded.AddRange(Leftovers.DeleteFile(temp, $"an unfinished file of {label} ({Path.GetRelativePath(folder, temp)})", definition.Id, logger));
        }

        var top = ReadDiskState(vm)?.Top;
        foreach (var orphan in Directory.EnumerateFiles(folder, "top-*.cow").Where(f => Path.GetFileName(f) != top))
        {
            discarded.AddRange(Leftovers.DeleteFile(orphan, $"a disk layer of {label} nothing uses ({Path.GetFileName(orphan)})", definition.Id, logger));
        }

        var snapshotsFolder = Path.Combine(folder, SnapshotsFolder);
        if (Directory.Exists(snapshotsFolder))
        {
            var named = ReadSnapshots(vm).Select(s => s.Id.ToString("N") + ".state").ToHashSet(StringComparer.Ordinal);
            foreach (var memory in Directory.EnumerateFiles(snapshotsFolder, "*.state").Where(f => !named.Contains(Path.GetFileName(f))))
            {
                discarded.AddRange(Leftovers.DeleteFile(memory, $"the memory of an unfinished snapshot of {label} ({Path.GetFileName(memory)})", definition.Id, logger));
            }
        }

        return discarded;
    }

    /// <summary>In the layer store: removes temporary and incoming files, files without a record, and layers nothing needs.</summary>
    private List<DiscardedLeftover> TidyLayers()
    {
        var discarded = new List<DiscardedLeftover>();
        foreach (var file in Directory.EnumerateFiles(layers.LayersPath).Where(f => f.EndsWith(".tmp", StringComparison.Ordinal) || Path.GetFileName(f).Contains(".incoming-", StringComparison.Ordinal)))
        {
            discarded.AddRange(Leftovers.DeleteFile(file, $"an unfinished disk layer ({Path.GetFileName(file)})", null, logger));
        }

        var (records, _, live) = layers.LiveLayers();
        var recorded = records.Values.Select(l => l.File).ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(layers.LayersPath).Where(f => !f.EndsWith(".json", StringComparison.Ordinal) && !recorded.Contains(Path.GetFileName(f))))
        {
            discarded.AddRange(Leftovers.DeleteFile(file, $"a disk layer without a record ({Path.GetFileName(file)})", null, logger));
        }

        foreach (var layer in records.Values.Where(l => !live.Contains(l.Id)))
        {
            var file = Path.Combine(layers.LayersPath, layer.File);
            var bytes = File.Exists(file) ? new FileInfo(file).Length : 0;
            layers.DeleteLayer(layer);
            discarded.Add(new DiscardedLeftover($"a disk layer nothing uses ({layer.File})", null, bytes));
        }

        return discarded;
    }
}
