using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;
using Ringmaster.Agents.Drivers.Qemu.Qmp;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// Snapshots and clones of QEMU VMs.
/// <para>
/// A snapshot is an <b>internal qcow2 snapshot</b> of the VM's writable disk (its <c>disk.qcow2</c>,
/// tagged with the snapshot's id), with the machine's memory and devices inside the same file when asked.
/// Internal snapshots rather than external overlays because each one stands alone: qcow2 counts the
/// references of every cluster, so deleting a snapshot frees what only it held and never touches
/// its children, and reverting is one command — no chain of overlay files to rebase, merge or
/// reference-count. The tree (parents, names, which snapshot the disk derives from) is Ringmaster's own,
/// in the folder's <c>snapshots.json</c>; QEMU's snapshots themselves are flat.
/// </para>
/// <para>
/// While QEMU runs: with memory QEMU's <c>snapshot-save</c> / <c>snapshot-load</c> jobs (<c>vmstate</c>
/// and <c>devices</c> name only the writable disk; the CD-ROM and cloud-init seed are read-only);
/// disk only <c>blockdev-snapshot-internal-sync</c>, with the guest's filesystems frozen through
/// qemu-guest-agent around it. While stopped: <c>qemu-img snapshot -c/-a/-d</c>.
/// </para>
/// <para>
/// A linked clone gets a frozen copy of the source's disk layer at that moment (what the source wrote
/// over its image; its own folder's <c>layer.qcow2</c>, backed by the same image) and an empty overlay
/// on it; a full clone a standalone qcow2 of the whole chain. From a running source both copy a
/// temporary internal snapshot (taken like a disk-only snapshot, then deleted). The clone is a new
/// machine to its guest: new MAC, a cloud-init seed with a new instance-id and its own hostname.
/// </para>
/// </summary>
public sealed class QemuSnapshots(QemuGuests guests, QemuLifecycle lifecycle, ILogger<QemuSnapshots> logger) : IGuestSnapshots
{
    internal const string SnapshotsFile = "snapshots.json";

    private static readonly TimeSpan AgentWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FreezeWait = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public async Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return [.. (await ReadTreeAsync(vm, cancellationToken).ConfigureAwait(false)).Snapshots];
    }

    public async Task<SnapshotInfo> TakeSnapshotAsync(Guid id, SnapshotRequest request, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        await vm.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var tree = await ReadTreeAsync(vm, cancellationToken).ConfigureAwait(false);
            if (tree.Snapshots.Any(s => s.Name == request.Name))
            {
                throw new GuestException($"VM {vm.Definition.Name} already has a snapshot named '{request.Name}'.");
            }

            var machine = await vm.Folder.LoadAsync(cancellationToken).ConfigureAwait(false);
            var disk = WritableDisk(vm, machine);
            var tag = Tag(request.SnapshotId);
            double pauseMs;
            string? note = null;
            if (await guests.RefreshAsync(vm).ConfigureAwait(false) && vm.Qmp is { } qmp)
            {
                if (request.IncludeMemory)
                {
                    pauseMs = await RunJobAsync(qmp, "snapshot-save", tag, disk, vm, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    (pauseMs, note) = await FrozenDiskSnapshotAsync(vm, machine, qmp, disk, tag, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                if (request.IncludeMemory)
                {
                    throw new GuestException($"VM {vm.Definition.Name} is stopped: it has no memory to save. Take the snapshot without memory, or start the VM first.");
                }

                await QemuImg.RunAsync(cancellationToken, "snapshot", "-c", tag, disk.Path).ConfigureAwait(false);
                pauseMs = 0;
            }

            var size = await VmStateSizeAsync(vm, disk, tag, cancellationToken).ConfigureAwait(false);
            var info = new SnapshotInfo(request.SnapshotId, request.Name, request.Description, tree.Current, request.IncludeMemory, DateTimeOffset.UtcNow, size, pauseMs, note);
            await WriteTreeAsync(vm, new SnapshotTree(info.Id, [.. tree.Snapshots, info]), cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Snapshot {Snapshot} of QEMU VM {Name}: {Memory}, paused {Pause:F1} ms. {Note}", request.Name, vm.Definition.Name, request.IncludeMemory ? "with memory" : "disk only", pauseMs, note);
            return info;
        }
        finally
        {
            vm.Gate.Release();
        }
    }

    public async Task<GuestInfo> RevertSnapshotAsync(Guid id, Guid snapshotId, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        await vm.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var tree = await ReadTreeAsync(vm, cancellationToken).ConfigureAwait(false);
            var snapshot = tree.Snapshots.FirstOrDefault(s => s.Id == snapshotId)
                ?? throw new GuestException($"VM {vm.Definition.Name} has no such snapshot.");
            var machine = await vm.Folder.LoadAsync(cancellationToken).ConfigureAwait(false);
            var disk = WritableDisk(vm, machine);
            var tag = Tag(snapshot.Id);
            var running = await guests.RefreshAsync(vm).ConfigureAwait(false);
            if (snapshot.IncludesMemory)
            {
                if (running && vm.Qmp is { } qmp)
                {
                    await RunJobAsync(qmp, "snapshot-load", tag, disk, vm, cancellationToken).ConfigureAwait(false);
                    if (!(await qmp.QueryStatusAsync(cancellationToken).ConfigureAwait(false)).Running)
                    {
                        await qmp.ContAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                else
                {
                    await guests.StartAsync(vm, cancellationToken, q => RunJobAsync(q, "snapshot-load", tag, disk, vm, cancellationToken)).ConfigureAwait(false);
                }

                logger.LogInformation("QEMU VM {Name} reverted to snapshot {Snapshot}; running on from its memory", vm.Definition.Name, snapshot.Name);
            }
            else
            {
                // Checked before the VM stops: a snapshot QEMU does not hold leaves the VM as it was.
                if (!(await QemuSnapshotTagsAsync(vm, disk, cancellationToken).ConfigureAwait(false)).Contains(tag))
                {
                    throw new GuestException($"The disk of VM {vm.Definition.Name} no longer holds snapshot {snapshot.Name}.");
                }

                if (running && vm.Process is { } process)
                {
                    await QemuLifecycle.QuitAsync(vm, process).ConfigureAwait(false);
                    await QemuGuests.DisconnectAsync(vm).ConfigureAwait(false);
                }

                await QemuImg.RunAsync(cancellationToken, "snapshot", "-a", tag, disk.Path).ConfigureAwait(false);
                vm.StopReason = $"Reverted to snapshot {snapshot.Name} (disk only): it boots from that disk at its next start.";
                logger.LogInformation("QEMU VM {Name} reverted to snapshot {Snapshot} (disk only; stopped)", vm.Definition.Name, snapshot.Name);
            }

            await WriteTreeAsync(vm, tree with { Current = snapshot.Id }, cancellationToken).ConfigureAwait(false);
            return await lifecycle.InfoAsync(vm, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpException ex)
        {
            throw new GuestException($"QEMU could not revert VM {vm.Definition.Name}: {ex.Message}", ex);
        }
        finally
        {
            vm.Gate.Release();
        }
    }

    public async Task DeleteSnapshotAsync(Guid id, Guid snapshotId, CancellationToken cancellationToken)
    {
        var vm = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        await vm.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var tree = await ReadTreeAsync(vm, cancellationToken).ConfigureAwait(false);
            var snapshot = tree.Snapshots.FirstOrDefault(s => s.Id == snapshotId)
                ?? throw new GuestException($"VM {vm.Definition.Name} has no such snapshot.");
            var disk = WritableDisk(vm, await vm.Folder.LoadAsync(cancellationToken).ConfigureAwait(false));
            await DeleteInternalAsync(vm, disk, Tag(snapshot.Id), cancellationToken).ConfigureAwait(false);

            // Every internal snapshot holds all of its own clusters: the children lose nothing, they only get the deleted one's parent.
            var kept = tree.Snapshots.Where(s => s.Id != snapshot.Id).Select(s => s.ParentId == snapshot.Id ? s with { ParentId = snapshot.ParentId } : s).ToList();
            await WriteTreeAsync(vm, new SnapshotTree(tree.Current == snapshot.Id ? snapshot.ParentId : tree.Current, kept), cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Deleted snapshot {Snapshot} of QEMU VM {Name}", snapshot.Name, vm.Definition.Name);
        }
        finally
        {
            vm.Gate.Release();
        }
    }

    public async Task<GuestInfo> CloneAsync(Guid id, CloneRequest request, IProgress<int> progress, CancellationToken cancellationToken)
    {
        var source = await guests.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (request.IncludeMemory)
        {
            throw new GuestException(
                $"A QEMU VM cannot be cloned with its memory yet (a fork of {source.Definition.Name} would need its memory moved into a second QEMU). Clone it without memory: the clone gets {source.Definition.Name}'s disk as it is now.");
        }

        var definition = request.Definition;
        if (guests.Vms.Any(v => v.Definition.Id == definition.Id || v.Definition.Name == definition.Name))
        {
            throw new GuestException($"A VM named '{definition.Name}' (or with its id) already exists on this host.");
        }

        var folder = guests.FolderOf(definition.Id);
        folder.EnsureSocketPathsFit();
        var watch = Stopwatch.StartNew();
        await source.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        string? temporary = null;
        QemuDisk? sourceDisk = null;
        try
        {
            var machine = await source.Folder.LoadAsync(cancellationToken).ConfigureAwait(false);
            sourceDisk = WritableDisk(source, machine);
            Directory.CreateDirectory(folder.Path);
            progress.Report(10);
            if (await guests.RefreshAsync(source).ConfigureAwait(false) && source.Qmp is { } qmp)
            {
                // A running disk changes under a copy: copy a point in time, a temporary internal snapshot.
                temporary = "clone-" + definition.Id.ToString("N");
                var (_, note) = await FrozenDiskSnapshotAsync(source, machine, qmp, sourceDisk, temporary, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Cloning running QEMU VM {Name}: {Note}", source.Definition.Name, note);
            }

            string[] point = temporary is null ? [] : ["-l", $"snapshot.name={temporary}"];
            var disk = Path.Combine(folder.Path, "disk.qcow2");
            if (request.Linked)
            {
                var layer = Path.Combine(folder.Path, "layer.qcow2");
                string[] backing = await BackingOfAsync(sourceDisk.Path, cancellationToken).ConfigureAwait(false) is { } b ? ["-B", b.Path, "-F", b.Format] : [];
                await QemuImg.RunAsync(cancellationToken, ["convert", "-U", "-f", "qcow2", .. point, "-O", "qcow2", .. backing, sourceDisk.Path, layer]).ConfigureAwait(false);
                await QemuImg.RunAsync(cancellationToken, "create", "-q", "-f", "qcow2", "-b", layer, "-F", "qcow2", disk).ConfigureAwait(false);
            }
            else
            {
                await QemuImg.RunAsync(cancellationToken, ["convert", "-U", "-f", "qcow2", .. point, "-O", "qcow2", sourceDisk.Path, disk]).ConfigureAwait(false);
            }

            progress.Report(80);
            var networks = definition.Spec.Networks.Count == 0 ? source.Definition.Spec.Networks : definition.Spec.Networks;
            // A new MAC for each NIC; host ports stay with the source (two QEMUs cannot listen on one).
            var spec = definition.Spec with { Networks = [.. networks.Select((n, i) => n with { Mac = n.Mac is { } mac && !SameMac(source, mac) ? mac : QemuLifecycle.MacOf(definition.Id, i), Forwards = null })] };

            // A new instance-id and its own hostname: cloud-init runs its per-instance steps again in the clone
            // (hostname, SSH host keys). The account exists on the copied disk; the seed does not touch it.
            var cloudInit = source.Definition.CloudInit is { } c ? c with { Hostname = null, User = null, Password = null, SshKeys = null } : null;
            var made = definition with { Kind = MachineKind.Vm, Image = source.Definition.Image, Spec = spec, Engine = VmEngine.Qemu, CloudInit = cloudInit, Iso = source.Definition.Iso };
            var seed = cloudInit is null ? null : await CloudInitSeed.WriteAsync(made, cloudInit, folder.Path, cancellationToken).ConfigureAwait(false);
            var cdrom = source.Definition.Iso is not null ? machine.Cdrom : seed is null ? null : new QemuCdrom(seed);
            var cloneMachine = machine with
            {
                Name = made.Name,
                Uuid = made.Id,
                Disks = [.. machine.Disks.Select(d => d.Id == sourceDisk.Id ? d with { Path = disk } : d)],
                Cdrom = cdrom,
                Nics = [.. spec.Networks.Select((n, i) => new QemuNic($"net{i}", n.Mac))],
            };
            QemuCommandLine.Validate(cloneMachine);
            await folder.SaveAsync(cloneMachine, cancellationToken).ConfigureAwait(false);
            var vm = new QemuVm(made, folder);
            await QemuGuests.SaveDefinitionAsync(vm, cancellationToken).ConfigureAwait(false);
            guests.Add(vm);
            progress.Report(95);
            logger.LogInformation("Cloned QEMU VM {Source} as {Name} ({Kind}) in {Ms:F0} ms", source.Definition.Name, made.Name, request.Linked ? "linked" : "full", watch.Elapsed.TotalMilliseconds);
            return await lifecycle.InfoAsync(vm, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or QmpException or GuestException)
        {
            GuestFolders.TryDelete(folder.Path, logger);
            throw ex as GuestException ?? new GuestException($"Could not clone VM {source.Definition.Name}: {ex.Message}", ex);
        }
        finally
        {
            if (temporary is not null && sourceDisk is not null)
            {
                try
                {
                    await DeleteInternalAsync(source, sourceDisk, temporary, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is GuestException or QmpException or IOException)
                {
                    logger.LogWarning("The temporary snapshot {Tag} of QEMU VM {Name} was not deleted: {Reason}", temporary, source.Definition.Name, ex.Message);
                }
            }

            source.Gate.Release();
        }
    }

    private static bool SameMac(QemuVm source, string mac) =>
        source.Definition.Spec.Networks.Any(n => string.Equals(n.Mac, mac, StringComparison.OrdinalIgnoreCase));

    /// <summary>The snapshot's name inside the qcow2 file.</summary>
    private static string Tag(Guid snapshotId) => snapshotId.ToString("N");

    /// <summary>The disk snapshots are taken of: the VM's one writable qcow2 disk.</summary>
    private static QemuDisk WritableDisk(QemuVm vm, QemuMachine machine)
    {
        var disks = machine.Disks.Where(d => !d.ReadOnly).ToList();
        if (disks.Count != 1 || disks[0].Format != QemuDiskFormat.Qcow2)
        {
            throw new GuestException($"VM {vm.Definition.Name} has no single writable qcow2 disk; QEMU snapshots need one.");
        }

        return disks[0];
    }

    /// <summary>
    /// A disk-only snapshot of a running guest: its filesystems are frozen through qemu-guest-agent
    /// (<c>guest-fsfreeze-freeze</c>, then <c>-thaw</c>) around it, so it is consistent; without an agent
    /// that answers it is taken anyway, crash-consistent, and the note says so. Returns how long the
    /// filesystems stood frozen and the note.
    /// </summary>
    private async Task<(double PauseMs, string Note)> FrozenDiskSnapshotAsync(QemuVm vm, QemuMachine machine, QmpClient qmp, QemuDisk disk, string tag, CancellationToken cancellationToken)
    {
        var agent = machine.GuestAgent ? await GuestAgentSession.OpenAsync(vm.Folder.GuestAgentSocket, AgentWait, cancellationToken).ConfigureAwait(false) : null;
        string note;
        var watch = Stopwatch.StartNew();
        try
        {
            var frozen = -1;
            string? refusal = null;
            if (agent is not null)
            {
                try
                {
                    frozen = (await agent.ExecuteAsync("guest-fsfreeze-freeze", null, FreezeWait, cancellationToken).ConfigureAwait(false)).GetInt32();
                }
                catch (Exception ex) when (ex is GuestAgentException or IOException or JsonException or InvalidOperationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    refusal = ex is OperationCanceledException ? $"did not freeze them within {FreezeWait.TotalSeconds:0} s" : ex.Message;
                }
            }

            watch.Restart();
            try
            {
                await qmp.ExecuteAsync("blockdev-snapshot-internal-sync", new { Device = disk.Id, Name = tag }, cancellationToken).ConfigureAwait(false);
            }
            catch (QmpException ex)
            {
                throw new GuestException($"QEMU could not snapshot the disk of VM {vm.Definition.Name}: {ex.Message}", ex);
            }

            note = agent is null
                ? $"The guest agent did not answer (none runs in VM {vm.Definition.Name}, or it has not started), so the guest's filesystems were not frozen: the disk snapshot is crash-consistent, as after a power cut."
                : refusal is not null
                    ? $"The guest agent answered but {refusal}: the disk snapshot is crash-consistent, as after a power cut."
                    : $"The guest's filesystems ({frozen}) were frozen through its guest agent while the disk was saved: the snapshot is consistent.";
        }
        finally
        {
            if (agent is not null)
            {
                try
                {
                    await agent.ExecuteAsync("guest-fsfreeze-thaw", null, FreezeWait, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is GuestAgentException or IOException or JsonException or OperationCanceledException)
                {
                    logger.LogWarning("The guest agent of QEMU VM {Name} did not thaw its filesystems: {Reason}", vm.Definition.Name, ex.Message);
                }

                await agent.DisposeAsync().ConfigureAwait(false);
            }
        }

        return (watch.Elapsed.TotalMilliseconds, note);
    }

    /// <summary>
    /// Runs QEMU's <c>snapshot-save</c> or <c>snapshot-load</c> job for the VM's disk (memory and devices
    /// in it) and waits until it has concluded; QEMU stops the guest meanwhile and lets a running guest
    /// run on after. Returns how long the guest stood still (from QEMU's <c>STOP</c> and <c>RESUME</c>).
    /// </summary>
    private static async Task<double> RunJobAsync(QmpClient qmp, string command, string tag, QemuDisk disk, QemuVm vm, CancellationToken cancellationToken)
    {
        var job = $"{command}-{tag}";
        using var events = qmp.Subscribe();
        await qmp.ExecuteAsync(command, new { JobId = job, Tag = tag, Vmstate = disk.Id, Devices = new[] { disk.Id } }, cancellationToken).ConfigureAwait(false);
        DateTimeOffset? stopped = null, resumed = null;
        var concluded = false;
        while (!concluded && await events.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (events.Reader.TryRead(out var e))
            {
                if (e.Name == QmpEvents.Stop)
                {
                    stopped ??= e.Timestamp;
                }
                else if (e.Name == QmpEvents.Resume)
                {
                    resumed = e.Timestamp;
                }
                else if (e.Name == QmpEvents.JobStatusChange && e.JobStatusData is { Status: "concluded" } data && data.Id == job)
                {
                    concluded = true;
                }
            }
        }

        if (!concluded)
        {
            throw new GuestException($"QEMU of VM {vm.Definition.Name} closed its connection during {command}.");
        }

        var done = (await qmp.ExecuteAsync<JsonElement>("query-jobs", null, cancellationToken).ConfigureAwait(false))
            .EnumerateArray().FirstOrDefault(j => j.GetProperty("id").GetString() == job);
        var error = done.ValueKind == JsonValueKind.Object && done.TryGetProperty("error", out var e2) ? e2.GetString() : null;
        await qmp.ExecuteAsync("job-dismiss", new { Id = job }, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            throw new GuestException(command == "snapshot-save"
                ? $"QEMU could not save a snapshot of VM {vm.Definition.Name}: {error}. The VM is as it was."
                : $"QEMU could not load the snapshot into VM {vm.Definition.Name}: {error}.");
        }

        return stopped is { } s && resumed is { } r && r > s ? (r - s).TotalMilliseconds : 0;
    }

    /// <summary>Deletes an internal snapshot: through QMP while QEMU runs (it holds the file), with qemu-img otherwise. One already gone is fine.</summary>
    private async Task DeleteInternalAsync(QemuVm vm, QemuDisk disk, string tag, CancellationToken cancellationToken)
    {
        if (!(await QemuSnapshotTagsAsync(vm, disk, cancellationToken).ConfigureAwait(false)).Contains(tag))
        {
            return;
        }

        if (await guests.RefreshAsync(vm).ConfigureAwait(false) && vm.Qmp is { } qmp)
        {
            try
            {
                await qmp.ExecuteAsync("blockdev-snapshot-delete-internal-sync", new { Device = disk.Id, Name = tag }, cancellationToken).ConfigureAwait(false);
            }
            catch (QmpException ex)
            {
                throw new GuestException($"QEMU could not delete a snapshot of VM {vm.Definition.Name}: {ex.Message}", ex);
            }
        }
        else
        {
            await QemuImg.RunAsync(cancellationToken, "snapshot", "-d", tag, disk.Path).ConfigureAwait(false);
        }
    }

    /// <summary>The internal snapshots of the disk, each with the size of its saved machine state.</summary>
    private static async Task<Dictionary<string, long>> QemuSnapshotsAsync(QemuDisk disk, CancellationToken cancellationToken)
    {
        // -U: QEMU may hold the file; the snapshot table is read as it is.
        var output = await QemuImg.RunAsync(cancellationToken, "info", "-U", "--output=json", disk.Path).ConfigureAwait(false);
        using var info = JsonDocument.Parse(output);
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        if (info.RootElement.TryGetProperty("snapshots", out var snapshots))
        {
            foreach (var s in snapshots.EnumerateArray())
            {
                result[s.GetProperty("name").GetString() ?? ""] = s.TryGetProperty("vm-state-size", out var size) ? size.GetInt64() : 0;
            }
        }

        return result;
    }

    private static async Task<IReadOnlyCollection<string>> QemuSnapshotTagsAsync(QemuVm vm, QemuDisk disk, CancellationToken cancellationToken) =>
        (await QemuSnapshotsAsync(disk, cancellationToken).ConfigureAwait(false)).Keys;

    private static async Task<long> VmStateSizeAsync(QemuVm vm, QemuDisk disk, string tag, CancellationToken cancellationToken) =>
        (await QemuSnapshotsAsync(disk, cancellationToken).ConfigureAwait(false)).GetValueOrDefault(tag);

    /// <summary>The file a qcow2 disk is a layer over (the image's disk), and its format; null for a standalone disk.</summary>
    private static async Task<(string Path, string Format)?> BackingOfAsync(string disk, CancellationToken cancellationToken)
    {
        var output = await QemuImg.RunAsync(cancellationToken, "info", "-U", "--output=json", disk).ConfigureAwait(false);
        using var info = JsonDocument.Parse(output);
        var root = info.RootElement;
        if (!root.TryGetProperty("full-backing-filename", out var backing) && !root.TryGetProperty("backing-filename", out backing))
        {
            return null;
        }

        var format = root.TryGetProperty("backing-filename-format", out var f) ? f.GetString() ?? "qcow2" : "qcow2";
        return (backing.GetString()!, format);
    }

    private static async Task<SnapshotTree> ReadTreeAsync(QemuVm vm, CancellationToken cancellationToken)
    {
        var file = Path.Combine(vm.Folder.Path, SnapshotsFile);
        return File.Exists(file)
            ? JsonSerializer.Deserialize<SnapshotTree>(await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false), Json) ?? new SnapshotTree(null, [])
            : new SnapshotTree(null, []);
    }

    private static async Task WriteTreeAsync(QemuVm vm, SnapshotTree tree, CancellationToken cancellationToken)
    {
        var file = Path.Combine(vm.Folder.Path, SnapshotsFile);
        await File.WriteAllBytesAsync(file + ".new", JsonSerializer.SerializeToUtf8Bytes(tree, Json), cancellationToken).ConfigureAwait(false);
        File.Move(file + ".new", file, overwrite: true);
    }

    /// <summary>The VM's snapshots and the one its disk derives from now (the parent of the next).</summary>
    private sealed record SnapshotTree(Guid? Current, IReadOnlyList<SnapshotInfo> Snapshots);
}
