using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Ringmaster.Core.Contracts;
using Ringmaster.Emulator;
using Ringmaster.Emulator.Devices;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>
/// Clones. A linked clone freezes the source's top layer (as a snapshot does) and gets an empty top
/// of its own over the same layers: ready in milliseconds, sharing everything below. A full clone
/// flattens the chain into an independent sparse raw disk. From a running source the disk is
/// crash-consistent, or with memory the clone continues from the source's memory (a fork). The new
/// identity (id, name, MAC) comes in the definition.
/// </summary>
public sealed partial class EmulatorDriver
{
    public async Task<GuestInfo> CloneAsync(Guid id, CloneRequest request, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var source = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        var definition = request.Definition with { Kind = MachineKind.Vm, Image = source.Definition.Image, Spec = request.Definition.Spec };
        if (_vms.ContainsKey(definition.Id) || _vms.Values.Any(v => v.Definition.Name == definition.Name))
        {
            throw new GuestException($"A VM named '{definition.Name}' (or with its id) already exists on this host.");
        }

        if (request.IncludeMemory && source.Runner is null)
        {
            throw new GuestException($"VM {source.Definition.Name} is not running: there is no memory to fork; clone it without memory.");
        }

        var folder = Path.Combine(VmsPath, definition.Id.ToString("N"));
        var watch = Stopwatch.StartNew();
        MachineStateCapture? capture = null;
        try
        {
            Directory.CreateDirectory(folder);
            await _layersLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var state = EnsureLayered(source);
                if (request.Linked || source.Runner is not null)
                {
                    // A stable chain to share or copy: freeze the source's top (the source keeps running on a new one).
                    string layer;
                    (layer, capture, _, state) = FreezeDisk(source, state, request.IncludeMemory);
                }

                if (request.Linked)
                {
                    var top = NewTopName();
                    CowLayer.Create(Path.Combine(folder, top), LayerLength(state.Layer));
                    WriteJson(Path.Combine(folder, DiskStateFile), new DiskState(state.Layer, top, null));
                }
                else
                {
                    var (basePath, layers) = Chain(state.Layer);
                    if (source.Runner is null)
                    {
                        layers.Add(Path.Combine(source.Folder, state.Top));
                    }

                    using var chain = new DiskChain(basePath, layers);
                    progress.Report(10);
                    await Task.Run(() => chain.Flatten(Path.Combine(folder, DiskFile), new Progress<double>(p => progress.Report(10 + (int)(p * 80)))), cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                _layersLock.Release();
            }

            if (capture is not null)
            {
                await WriteCaptureAsync(capture, Path.Combine(folder, ResumeStateFile), cancellationToken).ConfigureAwait(false);
            }

            var vm = new Vm(definition, folder);
            await SaveDefinitionAsync(vm, cancellationToken).ConfigureAwait(false);
            _vms[definition.Id] = vm;
            progress.Report(95);
            logger.LogInformation("Cloned VM {Source} as {Name} ({Kind}{Memory}) in {Ms:F0} ms", source.Definition.Name, definition.Name, request.Linked ? "linked" : "full", capture is null ? "" : ", with memory", watch.Elapsed.TotalMilliseconds);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            TryDeleteFolder(folder);
            throw new GuestException($"Could not clone VM {source.Definition.Name}: {ex.Message}", ex);
        }

        return capture is not null
            ? await StartAsync(definition.Id, cancellationToken).ConfigureAwait(false)
            : Info(_vms[definition.Id]);
    }
}
