using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Emulator;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Emulator;

/// <summary>Backups of real guests into a store folder that a second host's driver shares.</summary>
public sealed class EmulatorBackupTests : IAsyncDisposable
{
    private readonly EmulatorHarness _vms = new();
    private readonly TestEngine _otherHost;

    public EmulatorBackupTests()
    {
        var options = new EmulatorDriverOptions { VmsPath = Path.Combine(_vms.Data, "other-host", "vms") };
        _otherHost = TestEngine.Emulator(options);
    }

    public async ValueTask DisposeAsync()
    {
        await _otherHost.DisposeAsync();
        await _vms.DisposeAsync();
    }

    [Fact]
    public async Task Restore_EachPointOfAnIncrementalChain_OnAnotherHostSharingTheStore_HasThatPointsFile()
    {
        var driver = _vms.Driver;
        var vm = await _vms.CreateWithExt4Async("vm-backed");
        await driver.Lifecycle.StartAsync(vm.Id, CancellationToken.None);
        var backups = new List<BackupInfo>();
        await using (var console = await _vms.AttachAsync(vm.Id))
        {
            await console.WaitForPromptAsync();
            for (var point = 1; point <= 3; point++)
            {
                await console.RunAsync($"echo v{point} > /mnt/f; dd if=/dev/urandom of=/mnt/r{point} bs=4k count=16 2>/dev/null; sync; c={point}; echo at-$(cat /mnt/f)-$c", $"at-v{point}-{point}");
                var request = new BackupRequest(Guid.NewGuid(), IncludeMemory: point == 3, backups.LastOrDefault()?.Id);
                backups.Add(await driver.Backups.BackupAsync(vm.Id, request, _vms.Store, new Progress<int>(), CancellationToken.None));
            }
        }

        await driver.Lifecycle.DeleteAsync(vm.Id, CancellationToken.None);

        Assert.Null(backups[0].PreviousBackupId);
        Assert.Equal(backups[1].Id, backups[2].PreviousBackupId);
        Assert.True(backups[1].StoredBlocks < backups[0].StoredBlocks, $"the incremental backup stores only changed blocks ({backups[1].StoredBlocks} vs {backups[0].StoredBlocks})");
        for (var point = 1; point <= 3; point++)
        {
            var restored = EmulatorHarness.Define($"restored-{point}");
            var guest = await _otherHost.Backups.RestoreAsync(new RestoreRequest(backups[point - 1].Id, restored, Start: true), _vms.Store, new Progress<int>(), CancellationToken.None);
            Assert.Equal(MachineState.Running, guest.State);
            await using var console = new GuestSession(await _otherHost.Lifecycle.AttachConsoleAsync(restored.Id, CancellationToken.None));
            if (point == 3)
            {
                // With memory: the shell continues where the backup caught it, counter and all.
                await console.RunAsync("echo back-$(cat /mnt/f)-$c", "back-v3-3");
            }
            else
            {
                await console.WaitForPromptAsync();
                await console.RunAsync("echo back-$(cat /mnt/f)-$(ls /mnt | grep -c '^r')", $"back-v{point}-{point}");
            }

            await _otherHost.Lifecycle.DeleteAsync(restored.Id, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Verify_TestBoot_OfABackupWithMemory_OfAVmWithANetworkInterface_ResumesAtItsPrompt()
    {
        var driver = _vms.Driver;
        var vm = await _vms.CreateWithExt4Async("vm-verify-memory");
        Assert.NotEmpty(vm.Spec.Networks);
        await driver.Lifecycle.StartAsync(vm.Id, CancellationToken.None);
        await using var console = await _vms.AttachAsync(vm.Id);
        await console.WaitForPromptAsync();
        await console.RunAsync("c=kept; echo at-$c", "at-kept");
        var backup = await driver.Backups.BackupAsync(vm.Id, new BackupRequest(Guid.NewGuid(), IncludeMemory: true, null), _vms.Store, new Progress<int>(), CancellationToken.None);

        var report = await driver.Backups.VerifyAsync(new VerifyRequest(backup.Id, TestBoot: true), _vms.Store, new Progress<int>(), CancellationToken.None);

        Assert.True(report.Ok, string.Join("\n", report.Checks));
        Assert.Contains(report.Checks, c => c.Contains("resumed from its memory", StringComparison.Ordinal));
        await console.RunAsync("echo still-$c", "still-kept");
    }

    [Fact]
    public async Task Verify_TestBoot_ReachesPromptWithoutTouchingTheOriginal_DamagedArchiveFails()
    {
        var driver = _vms.Driver;
        var vm = await _vms.CreateWithExt4Async("vm-verify");
        await driver.Lifecycle.StartAsync(vm.Id, CancellationToken.None);
        await using var console = await _vms.AttachAsync(vm.Id);
        await console.WaitForPromptAsync();
        await console.RunAsync("echo original > /mnt/f; sync; echo at-$(cat /mnt/f)", "at-original");
        var backup = await driver.Backups.BackupAsync(vm.Id, new BackupRequest(Guid.NewGuid(), false, null), _vms.Store, new Progress<int>(), CancellationToken.None);

        var report = await driver.Backups.VerifyAsync(new VerifyRequest(backup.Id, TestBoot: true), _vms.Store, new Progress<int>(), CancellationToken.None);

        Assert.True(report.Ok, string.Join("\n", report.Checks));
        Assert.Contains("# ", report.BootOutput);
        await console.RunAsync("echo still-$(cat /mnt/f)", "still-original");
        Assert.Equal(MachineState.Running, (await driver.Lifecycle.ListAsync(CancellationToken.None)).Single().State);

        var bytes = await File.ReadAllBytesAsync(backup.File);
        bytes[bytes.Length / 2] ^= 0xff;
        await File.WriteAllBytesAsync(backup.File, bytes);
        var damaged = await driver.Backups.VerifyAsync(new VerifyRequest(backup.Id, TestBoot: false), _vms.Store, new Progress<int>(), CancellationToken.None);
        Assert.False(damaged.Ok);

        var missing = await Assert.ThrowsAsync<BackupMissingException>(() => _otherHost.Backups.RestoreAsync(new RestoreRequest(Guid.NewGuid(), EmulatorHarness.Define("nowhere"), false), _vms.Store, new Progress<int>(), CancellationToken.None));
        Assert.Contains("does not hold backup", missing.Message);
    }
}
