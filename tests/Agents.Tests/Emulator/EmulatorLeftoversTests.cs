using System.Text.Json;
using System.Text.Json.Nodes;
using Ringmaster.Agents.Drivers.Emulator;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Emulator;

/// <summary>
/// What a crash of the agent leaves in its VM folders, found by a new driver on the same folders (as
/// after a restart): half-made things removed and said, complete ones kept, an announced move into
/// the layer store finished.
/// </summary>
public sealed class EmulatorLeftoversTests : IAsyncDisposable
{
    private readonly EmulatorHarness _vms = new();

    public ValueTask DisposeAsync() => _vms.DisposeAsync();

    private string Vms => _vms.Options.VmsPath!;

    private string Layers => Path.Combine(_vms.Data, "vm-layers");

    /// <summary>A driver that starts afresh on the same folders, as after the agent restarted.</summary>
    private TestEngine Restarted() => TestEngine.Emulator(_vms.Options);

    [Fact]
    public async Task DiscardLeftovers_WhatACrashLeftHalfMade_RemovedAndSaid_CompleteThingsKept()
    {
        var vm = EmulatorHarness.Define("kept-1", 64);
        await _vms.Driver.Lifecycle.CreateAsync(vm, new Progress<int>(), CancellationToken.None);
        var snapshot = await _vms.Driver.Snapshots.TakeSnapshotAsync(vm.Id, new SnapshotRequest(Guid.NewGuid(), "s1", null, false), CancellationToken.None);
        var folder = Path.Combine(Vms, vm.Id.ToString("N"));
        var unmade = Guid.NewGuid();

        // What a crash leaves: a VM folder without its definition, a restore's staging, temporary files,
        // a top no disk state names, snapshot memory no record names, an incoming layer, a layer nothing needs.
        Directory.CreateDirectory(Path.Combine(Vms, unmade.ToString("N")));
        await File.WriteAllBytesAsync(Path.Combine(Vms, unmade.ToString("N"), "disk.img"), new byte[4096]);
        Directory.CreateDirectory(Path.Combine(Vms, $".restore-{Guid.NewGuid():N}"));
        await File.WriteAllTextAsync(Path.Combine(folder, "machine.json.tmp"), "{");
        Directory.CreateDirectory(Path.Combine(folder, "snapshots"));
        await File.WriteAllBytesAsync(Path.Combine(folder, "snapshots", $"{Guid.NewGuid():N}.state"), new byte[1000]);
        await File.WriteAllBytesAsync(Path.Combine(folder, "snapshots", $"{Guid.NewGuid():N}.state.tmp"), new byte[1000]);
        await File.WriteAllBytesAsync(Path.Combine(folder, $"top-{Guid.NewGuid():N}.cow"), new byte[100]);
        await File.WriteAllBytesAsync(Path.Combine(Layers, $"{Guid.NewGuid():N}.cow.incoming-{Guid.NewGuid():N}"), new byte[100]);
        var unused = Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(Path.Combine(Layers, unused + ".json"), $$"""{"id":"{{unused}}","parent":null,"file":"{{unused}}.raw"}""");
        await File.WriteAllBytesAsync(Path.Combine(Layers, unused + ".raw"), new byte[4096]);
        var before = Directory.EnumerateFiles(_vms.Data, "*", SearchOption.AllDirectories).Count();

        var driver = Restarted();
        var discarded = await driver.Leftovers.DiscardLeftoversAsync(CancellationToken.None);

        Assert.Equal(8, discarded.Count);
        Assert.Contains(discarded, d => d.MachineId == unmade && d.What.Contains("unfinished VM", StringComparison.Ordinal));
        Assert.Contains(discarded, d => d.What.Contains("unfinished restore", StringComparison.Ordinal));
        Assert.Equal(4, discarded.Count(d => d.MachineId == vm.Id));
        Assert.Contains(discarded, d => d.What.Contains($"nothing uses ({unused}.raw)", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(Vms, unmade.ToString("N"))));
        Assert.Equal(["disk.json", "machine.json", "snapshots.json"], Directory.EnumerateFiles(folder, "*.json").Select(f => Path.GetFileName(f)).Order());
        Assert.Empty(Directory.EnumerateFiles(_vms.Data, "*.tmp", SearchOption.AllDirectories));
        Assert.Equal(before - 8, Directory.EnumerateFiles(_vms.Data, "*", SearchOption.AllDirectories).Count());
        var listed = Assert.Single(await driver.Lifecycle.ListAsync(CancellationToken.None));
        Assert.Equal(vm.Id, listed.Id);
        Assert.Equal(snapshot.Id, Assert.Single(await driver.Snapshots.ListSnapshotsAsync(vm.Id, CancellationToken.None)).Id);
        await driver.DisposeAsync();
    }

    [Fact]
    public async Task DiscardLeftovers_MoveIntoTheLayerStoreAnnouncedNotDone_FinishedAndTheVmStarts()
    {
        var vm = EmulatorHarness.Define("moving-1", 64);
        await _vms.Driver.Lifecycle.CreateAsync(vm, new Progress<int>(), CancellationToken.None);
        await _vms.Driver.Snapshots.TakeSnapshotAsync(vm.Id, new SnapshotRequest(Guid.NewGuid(), "s1", null, false), CancellationToken.None);
        var folder = Path.Combine(Vms, vm.Id.ToString("N"));

        // The state a crash leaves between announcing a freeze of the top and moving it: the new layer's record
        // (its file not there yet), a new top, and the disk state naming both and the move.
        var state = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "disk.json")))!.AsObject();
        var oldTop = state["top"]!.GetValue<string>();
        var layer = Guid.NewGuid().ToString("N");
        var newTop = $"top-{Guid.NewGuid():N}.cow";
        await File.WriteAllTextAsync(Path.Combine(Layers, layer + ".json"), $$"""{"id":"{{layer}}","parent":"{{state["layer"]}}","file":"{{layer}}.cow"}""");
        File.Copy(Path.Combine(folder, oldTop), Path.Combine(folder, newTop));
        state["layer"] = layer;
        state["top"] = newTop;
        state["moving"] = oldTop;
        await File.WriteAllTextAsync(Path.Combine(folder, "disk.json"), state.ToJsonString());

        var driver = Restarted();
        var discarded = await driver.Leftovers.DiscardLeftoversAsync(CancellationToken.None);

        Assert.Empty(discarded);
        Assert.True(File.Exists(Path.Combine(Layers, layer + ".cow")));
        Assert.False(File.Exists(Path.Combine(folder, oldTop)));
        using (var finished = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "disk.json"))))
        {
            Assert.False(finished.RootElement.TryGetProperty("moving", out var moving) && moving.ValueKind == JsonValueKind.String);
        }

        Assert.Equal(MachineState.Running, (await driver.Lifecycle.StartAsync(vm.Id, CancellationToken.None)).State);
        await driver.DisposeAsync();
    }

    [Fact]
    public async Task ListBackups_StoreWithAnUnfinishedArchive_ListsTheCompleteOnesWithTheirMachine()
    {
        var vm = EmulatorHarness.Define("backed-1", 64);
        await _vms.Driver.Lifecycle.CreateAsync(vm, new Progress<int>(), CancellationToken.None);
        var backup = await _vms.Driver.Backups.BackupAsync(vm.Id, new BackupRequest(Guid.NewGuid(), false, null), _vms.Store, new Progress<int>(), CancellationToken.None);
        await File.WriteAllBytesAsync(Path.Combine(_vms.Store.Path, $"{Guid.NewGuid():N}.rmbak.tmp"), new byte[100]);

        var held = Assert.Single(await _vms.Driver.Backups.ListBackupsAsync(_vms.Store, CancellationToken.None));

        Assert.Equal((backup.Id, vm.Id, "backed-1"), (held.Info.Id, held.Info.MachineId, held.Info.MachineName));
        Assert.Equal(64, held.Spec!.MemoryMiB);
        Assert.Equal("default", held.Image);
    }
}
