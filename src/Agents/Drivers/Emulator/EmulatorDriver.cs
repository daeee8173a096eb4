using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;
using Ringmaster.Core.Contracts;
using Ringmaster.Emulator;

namespace Ringmaster.Agents.Drivers.Emulator;

/// <summary>
/// Runs virtual machines on the in-process RISC-V emulator, one host thread per running VM. Each VM
/// lives in a folder of its own under the agent's data folder: its definition (<c>machine.json</c>)
/// and its disk (<c>disk.img</c>, a sparse raw file). A VM runs inside the agent's process, so when
/// the agent process dies its VMs stop; after a restart they are listed as stopped, with their disks.
/// Split by concern: lifecycle, console, metrics.
/// </summary>
public sealed partial class EmulatorDriver(EmulatorDriverOptions options, GuestImages images, ILogger<EmulatorDriver> logger) : IGuestDriver, IAsyncDisposable
{
    private const string DefinitionFile = "machine.json";
    private const string DiskFile = "disk.img";
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly ConcurrentDictionary<Guid, Vm> _vms = new();
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private bool _loaded;

    public MachineKind Kind => MachineKind.Vm;

    private string VmsPath => options.VmsPath ?? throw new InvalidOperationException("The emulator driver has no VM folder.");

    public Task<DriverAvailability> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var image = images.Find("default");
            return Task.FromResult(new DriverAvailability(true, $"RISC-V emulator {EmulatorInfo.Version} ({EmulatorInfo.Isa}); default image at {image.Directory}"));
        }
        catch (GuestException ex)
        {
            return Task.FromResult(new DriverAvailability(true, $"RISC-V emulator {EmulatorInfo.Version}; {ex.Message}"));
        }
    }

    public async Task<GuestInfo> CreateAsync(GuestDefinition definition, IProgress<int> progress, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (_vms.ContainsKey(definition.Id))
        {
            throw new GuestException($"A VM with id {definition.Id} already exists on this host.");
        }

        if (_vms.Values.Any(v => v.Definition.Name == definition.Name))
        {
            throw new GuestException($"A VM named '{definition.Name}' already exists on this host.");
        }

        VmLimits.Check(definition.Spec);

        var image = await images.FindOrBuildAsync(definition.Image, progress, cancellationToken).ConfigureAwait(false);
        var spec = AssignMacs(definition);
        progress.Report(10);
        var folder = Path.Combine(VmsPath, definition.Id.ToString("N"));
        try
        {
            Directory.CreateDirectory(folder);
            var diskBytes = (long)Math.Max(1, definition.Spec.DiskGiB) << 30;
            await using (var disk = new FileStream(Path.Combine(folder, DiskFile), FileMode.CreateNew, FileAccess.Write))
            {
                disk.SetLength(diskBytes);
            }

            progress.Report(60);
            var vm = new Vm(definition with { Image = image.Name, Spec = spec }, folder);
            await SaveDefinitionAsync(vm, cancellationToken).ConfigureAwait(false);
            _vms[definition.Id] = vm;
            progress.Report(100);
            logger.LogInformation("Created VM {Name} ({Id}) from image {Image}", definition.Name, definition.Id, image.Name);
            return Info(vm);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            TryDeleteFolder(folder);
            throw new GuestException($"Could not create the VM's files: {ex.Message}", ex);
        }
    }

    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (!_vms.TryRemove(id, out var vm))
        {
            return;
        }

        await PowerOffAsync(vm).ConfigureAwait(false);
        vm.CompleteConsoles();
        TryDeleteFolder(vm.Folder);
        await CollectLayersAsync().ConfigureAwait(false);
        logger.LogInformation("Deleted VM {Name} ({Id})", vm.Definition.Name, id);
    }

    public async Task<IReadOnlyList<GuestInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return [.. _vms.Values.Select(Info).OrderBy(g => g.Name, StringComparer.Ordinal)];
    }

    private async Task<Vm> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return _vms.TryGetValue(id, out var vm) ? vm : throw new GuestNotFoundException(id);
    }

    private static GuestInfo Info(Vm vm)
    {
        var definition = vm.Definition;
        return new GuestInfo(definition.Id, definition.Name, MachineKind.Vm, vm.State, definition.Image, definition.Spec, definition.Labels, vm.Detail);
    }

    /// <summary>Reads the VMs this agent made from its data folder (once).</summary>
    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }

        await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_loaded)
            {
                return;
            }

            Directory.CreateDirectory(VmsPath);
            foreach (var folder in Directory.EnumerateDirectories(VmsPath))
            {
                var file = Path.Combine(folder, DefinitionFile);
                try
                {
                    var definition = JsonSerializer.Deserialize<GuestDefinition>(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false), s_json);
                    if (definition is not null)
                    {
                        _vms[definition.Id] = new Vm(definition, folder);
                    }
                }
                catch (Exception ex) when (ex is IOException or JsonException)
                {
                    logger.LogWarning("Skipping VM folder {Folder}: {Reason}", folder, ex.Message);
                }
            }

            _loaded = true;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    private static async Task SaveDefinitionAsync(Vm vm, CancellationToken cancellationToken)
    {
        var file = Path.Combine(vm.Folder, DefinitionFile);
        var temp = file + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(vm.Definition, s_json), cancellationToken).ConfigureAwait(false);
        File.Move(temp, file, overwrite: true);
    }

    private void TryDeleteFolder(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException ex)
        {
            logger.LogWarning("Could not delete {Folder}: {Reason}", folder, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var vm in _vms.Values)
        {
            await PowerOffAsync(vm).ConfigureAwait(false);
            vm.CompleteConsoles();
        }

        _loadLock.Dispose();
    }

    /// <summary>One VM: its definition, folder, and (while it runs) its machine and runner thread.</summary>
    private sealed class Vm(GuestDefinition definition, string folder)
    {
        public GuestDefinition Definition { get; set; } = definition;
        public string Folder { get; } = folder;
        public string DiskPath => Path.Combine(Folder, DiskFile);
        public Lock Gate { get; } = new();
        public RiscVMachine? Machine { get; set; }
        public MachineRunner? Runner { get; set; }
        public MachineState State { get; set; } = MachineState.Stopped;
        public string? Detail { get; set; }
        public List<Channel<byte[]>> Consoles { get; } = [];

        /// <summary>What the console printed since this boot began (bounded), replayed to new attachments.</summary>
        public List<byte[]> History { get; } = [];

        private int _historyBytes;
        private const int MaxHistoryBytes = 256 * 1024;
        public (TimeSpan Busy, long Stamp) LastSample { get; set; }

        public void Broadcast(ReadOnlyMemory<byte> data)
        {
            var copy = data.ToArray();
            lock (Gate)
            {
                History.Add(copy);
                _historyBytes += copy.Length;
                while (_historyBytes > MaxHistoryBytes && History.Count > 1)
                {
                    _historyBytes -= History[0].Length;
                    History.RemoveAt(0);
                }

                foreach (var console in Consoles)
                {
                    console.Writer.TryWrite(copy);
                }
            }
        }

        public void ClearHistory()
        {
            lock (Gate)
            {
                History.Clear();
                _historyBytes = 0;
            }
        }

        public void CompleteConsoles()
        {
            lock (Gate)
            {
                foreach (var console in Consoles)
                {
                    console.Writer.TryComplete();
                }

                Consoles.Clear();
            }
        }
    }
}
