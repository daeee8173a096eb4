using Ringmaster.Agents.Drivers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Containers;

/// <summary>Container snapshots (commits), clones and backups (exports) on the real engine: a file in the container's filesystem.</summary>
[Collection(PodmanCollection.Name)]
public sealed class ContainerSnapshotTests : ContainerTestBase
{
    private readonly string _store = Directory.CreateTempSubdirectory("ringmaster-ctr-backups-").FullName;

    private async Task RunAsync(Guid id, string command, string expected)
    {
        await using var console = await Driver.Lifecycle.AttachConsoleAsync(id, Timeout);
        await console.WriteAsync(System.Text.Encoding.UTF8.GetBytes(command + "\n"), Timeout);
        await ReadUntilAsync(console, expected);
    }

    [Fact]
    public async Task TakeSnapshot_WithAndWithoutDescription_DescriptionReadsBackExactlyOrNull()
    {
        var definition = Define();
        await CreateRunningAsync(definition);
        const string text = "première ligne\nzweite Zeile: \"quoted\" = 1 ✓\tend";

        var plain = await Driver.Snapshots.TakeSnapshotAsync(definition.Id, new SnapshotRequest(Guid.NewGuid(), "plain", null, false), Timeout);
        var described = await Driver.Snapshots.TakeSnapshotAsync(definition.Id, new SnapshotRequest(Guid.NewGuid(), "described", text, false), Timeout);
        await Driver.Snapshots.RevertSnapshotAsync(definition.Id, described.Id, Timeout);
        var afterRevert = await Driver.Snapshots.TakeSnapshotAsync(definition.Id, new SnapshotRequest(Guid.NewGuid(), "after-revert", "", false), Timeout);

        Assert.Null(plain.Description);
        Assert.Equal(text, described.Description);
        Assert.Null(afterRevert.Description);
        var listed = (await Driver.Snapshots.ListSnapshotsAsync(definition.Id, Timeout)).ToDictionary(s => s.Name, s => s.Description);
        Assert.Null(listed["plain"]);
        Assert.Equal(text, listed["described"]);
        Assert.Null(listed["after-revert"]);
    }

    [Fact]
    public async Task SnapshotRevertCloneBackupRestore_FileFollowsEachPoint()
    {
        var definition = Define();
        await CreateRunningAsync(definition);
        await RunAsync(definition.Id, "echo one > /root/f; echo at-$(cat /root/f)", "\nat-one\r\n");

        var snapshot = await Driver.Snapshots.TakeSnapshotAsync(definition.Id, new SnapshotRequest(Guid.NewGuid(), "first", "file one", false), Timeout);
        await RunAsync(definition.Id, "echo two > /root/f; echo at-$(cat /root/f)", "\nat-two\r\n");
        var memory = await Assert.ThrowsAsync<GuestException>(() => Driver.Snapshots.TakeSnapshotAsync(definition.Id, new SnapshotRequest(Guid.NewGuid(), "mem", null, true), Timeout));
        var reverted = await Driver.Snapshots.RevertSnapshotAsync(definition.Id, snapshot.Id, Timeout);

        Assert.Contains("CRIU", memory.Message);
        Assert.Equal("file one", snapshot.Description);
        Assert.Equal(MachineState.Running, reverted.State);
        await RunAsync(definition.Id, "echo back-$(cat /root/f)", "\nback-one\r\n");
        var second = await Driver.Snapshots.TakeSnapshotAsync(definition.Id, new SnapshotRequest(Guid.NewGuid(), "second", null, false), Timeout);
        Assert.Equal(snapshot.Id, second.ParentId);

        var clone = Define();
        var cloned = await Driver.Snapshots.CloneAsync(definition.Id, new CloneRequest(clone, true, false), new Progress<int>(), Timeout);
        Assert.Equal(clone.Name, cloned.Name);
        await Driver.Lifecycle.StartAsync(clone.Id, Timeout);
        await RunAsync(clone.Id, "echo clone-$(cat /root/f)", "\nclone-one\r\n");

        var store = new BackupStore(_store);
        var backup = await Driver.Backups.BackupAsync(definition.Id, new BackupRequest(Guid.NewGuid(), false, null), store, new Progress<int>(), Timeout);
        Assert.True((await Driver.Backups.VerifyAsync(new VerifyRequest(backup.Id, false), store, new Progress<int>(), Timeout)).Ok);
        await Driver.Snapshots.DeleteSnapshotAsync(definition.Id, snapshot.Id, Timeout);
        await Driver.Snapshots.DeleteSnapshotAsync(definition.Id, second.Id, Timeout);
        Assert.Empty(await Driver.Snapshots.ListSnapshotsAsync(definition.Id, Timeout));
        await Driver.Lifecycle.DeleteAsync(definition.Id, Timeout);

        var restored = Define();
        var guest = await Driver.Backups.RestoreAsync(new RestoreRequest(backup.Id, restored, Start: true), store, new Progress<int>(), Timeout);
        Assert.Equal(MachineState.Running, guest.State);
        await RunAsync(restored.Id, "echo restored-$(cat /root/f)", "\nrestored-one\r\n");
        Directory.Delete(_store, recursive: true);
    }
}
