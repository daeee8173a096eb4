using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Emulator;

/// <summary>Snapshots and clones of real guests: a file on the VM's ext4 disk and a counter in its shell's memory.</summary>
public sealed class EmulatorSnapshotTests : IAsyncDisposable
{
    private readonly EmulatorHarness _vms = new();

    public ValueTask DisposeAsync() => _vms.DisposeAsync();

    [Fact]
    public async Task Revert_MemorySnapshots_ConsoleShowsFileAndCounterOfThatPoint()
    {
        var driver = _vms.Driver;
        var vm = await _vms.CreateWithExt4Async("vm-snap");
        await driver.Lifecycle.StartAsync(vm.Id, CancellationToken.None);
        await using (var console = await _vms.AttachAsync(vm.Id))
        {
            await console.WaitForPromptAsync();
            await console.RunAsync("echo one > /mnt/f; sync; c=1; echo at-$(cat /mnt/f)-$c", "at-one-1");
            var first = await driver.Snapshots.TakeSnapshotAsync(vm.Id, new SnapshotRequest(Guid.NewGuid(), "first", "file one, counter 1", IncludeMemory: true), CancellationToken.None);
            await console.RunAsync("echo two > /mnt/f; sync; c=2; echo at-$(cat /mnt/f)-$c", "at-two-2");
            var second = await driver.Snapshots.TakeSnapshotAsync(vm.Id, new SnapshotRequest(Guid.NewGuid(), "second", null, IncludeMemory: true), CancellationToken.None);
            await console.RunAsync("echo three > /mnt/f; sync; c=3; echo at-$(cat /mnt/f)-$c", "at-three-3");

            Assert.True(first.IncludesMemory);
            Assert.Equal(first.Id, second.ParentId);
        }

        var reverted = await driver.Snapshots.RevertSnapshotAsync(vm.Id, (await driver.Snapshots.ListSnapshotsAsync(vm.Id, CancellationToken.None)).Single(s => s.Name == "first").Id, CancellationToken.None);
        Assert.Equal(MachineState.Running, reverted.State);
        await using (var console = await _vms.AttachAsync(vm.Id))
        {
            await console.RunAsync("echo back-$(cat /mnt/f)-$c", "back-one-1");
        }

        // Deleting the first snapshot keeps its child whole: the second still reverts to its own point.
        var snapshots = await driver.Snapshots.ListSnapshotsAsync(vm.Id, CancellationToken.None);
        await driver.Snapshots.DeleteSnapshotAsync(vm.Id, snapshots.Single(s => s.Name == "first").Id, CancellationToken.None);
        var secondId = snapshots.Single(s => s.Name == "second").Id;
        await driver.Snapshots.RevertSnapshotAsync(vm.Id, secondId, CancellationToken.None);
        await using (var console = await _vms.AttachAsync(vm.Id))
        {
            await console.RunAsync("echo back-$(cat /mnt/f)-$c", "back-two-2");
        }

        // A snapshot after a revert starts a branch under the reverted-to snapshot.
        var branch = await driver.Snapshots.TakeSnapshotAsync(vm.Id, new SnapshotRequest(Guid.NewGuid(), "branch", null, IncludeMemory: false), CancellationToken.None);
        var tree = await driver.Snapshots.ListSnapshotsAsync(vm.Id, CancellationToken.None);
        Assert.Equal(["branch", "second"], tree.Select(s => s.Name).Order());
        Assert.Null(tree.Single(s => s.Name == "second").ParentId);
        Assert.Equal(secondId, branch.ParentId);
    }

    [Fact]
    public async Task Revert_DiskOnlySnapshotOfStoppedVm_BootsWithTheOldFile()
    {
        var driver = _vms.Driver;
        var vm = await _vms.CreateWithExt4Async("vm-disk-snap");
        await driver.Lifecycle.StartAsync(vm.Id, CancellationToken.None);
        await using (var console = await _vms.AttachAsync(vm.Id))
        {
            await console.WaitForPromptAsync();
            await console.RunAsync("echo kept > /mnt/f; sync; echo at-$(cat /mnt/f)", "at-kept");
        }

        await driver.Lifecycle.StopAsync(vm.Id, TimeSpan.Zero, true, CancellationToken.None);
        var snapshot = await driver.Snapshots.TakeSnapshotAsync(vm.Id, new SnapshotRequest(Guid.NewGuid(), "stopped", null, IncludeMemory: true), CancellationToken.None);
        Assert.False(snapshot.IncludesMemory);
        await driver.Lifecycle.StartAsync(vm.Id, CancellationToken.None);
        await using (var console = await _vms.AttachAsync(vm.Id))
        {
            await console.WaitForPromptAsync();
            await console.RunAsync("echo changed > /mnt/f; sync; echo at-$(cat /mnt/f)", "at-changed");
        }

        var reverted = await driver.Snapshots.RevertSnapshotAsync(vm.Id, snapshot.Id, CancellationToken.None);

        Assert.Equal(MachineState.Stopped, reverted.State);
        await driver.Lifecycle.StartAsync(vm.Id, CancellationToken.None);
        await using (var console = await _vms.AttachAsync(vm.Id))
        {
            await console.WaitForPromptAsync();
            await console.RunAsync("echo now-$(cat /mnt/f)", "now-kept");
        }
    }

    [Fact]
    public async Task Clone_LinkedForkAndFull_EachHasTheSourcesFileAndGoesItsOwnWay()
    {
        var driver = _vms.Driver;
        var source = await _vms.CreateWithExt4Async("vm-source");
        await driver.Lifecycle.StartAsync(source.Id, CancellationToken.None);
        await using var sourceConsole = await _vms.AttachAsync(source.Id);
        await sourceConsole.WaitForPromptAsync();
        await sourceConsole.RunAsync("echo origin > /mnt/f; sync; c=7; echo at-$(cat /mnt/f)-$c", "at-origin-7");

        var fork = HarnessDefinition("vm-fork");
        var forked = await driver.Snapshots.CloneAsync(source.Id, new CloneRequest(fork, Linked: true, IncludeMemory: true), new Progress<int>(), CancellationToken.None);
        var copy = HarnessDefinition("vm-copy");
        var copied = await driver.Snapshots.CloneAsync(source.Id, new CloneRequest(copy, Linked: false, IncludeMemory: false), new Progress<int>(), CancellationToken.None);

        Assert.Equal(MachineState.Running, forked.State);
        Assert.Equal(MachineState.Stopped, copied.State);
        Assert.Equal("vm-fork", forked.Name);
        await using (var console = await _vms.AttachAsync(fork.Id))
        {
            await console.RunAsync("echo fork-$(cat /mnt/f)-$c; echo forked > /mnt/f; sync", "fork-origin-7");
        }

        await sourceConsole.RunAsync("echo source-$(cat /mnt/f)-$c", "source-origin-7");
        await driver.Lifecycle.DeleteAsync(source.Id, CancellationToken.None);
        await driver.Lifecycle.StartAsync(copy.Id, CancellationToken.None);
        await using (var console = await _vms.AttachAsync(copy.Id))
        {
            await console.WaitForPromptAsync();
            await console.RunAsync("echo copy-$(cat /mnt/f)", "copy-origin");
        }

        // The linked clone still reads the layers it shared with the deleted source.
        await driver.Lifecycle.StopAsync(fork.Id, TimeSpan.Zero, true, CancellationToken.None);
        await driver.Lifecycle.StartAsync(fork.Id, CancellationToken.None);
        await using (var console = await _vms.AttachAsync(fork.Id))
        {
            await console.WaitForPromptAsync();
            await console.RunAsync("echo again-$(cat /mnt/f)", "again-forked");
        }
    }

    private static GuestDefinition HarnessDefinition(string name) => EmulatorHarness.Define(name);
}
