using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Components.Pages;
using Ringmaster.Web.Components.Shared;
using Ringmaster.Web.Components.Tests.Infrastructure;

namespace Ringmaster.Web.Components.Tests;

/// <summary>The machine page's Snapshots and Backups tabs.</summary>
public sealed class SavedStateTabsTests : DashboardTestContext
{
    private static SnapshotView Snap(string name, bool memory, params SnapshotView[] children) =>
        new(Guid.NewGuid(), name, name == "base" ? "before the upgrade" : null, null, memory, DateTimeOffset.UtcNow.AddMinutes(-5), children);

    [Fact]
    public void Snapshots_Tree_ShowsChildrenUnderTheirParent_TakeWithMemory()
    {
        var vm = Sample.Machine("vm-1", MachineState.Running, MachineKind.Vm);
        States.Snapshots.Add(Snap("base", true, Snap("after-upgrade", false)));

        var cut = Render<MachineSnapshots>(p => p.Add(x => x.Machine, vm));

        cut.WaitForAssertion(() =>
        {
            var root = cut.Find("[data-test=snapshot][data-name=base]");
            Assert.Contains("with memory", root.TextContent);
            Assert.Contains("before the upgrade", root.TextContent);
            Assert.NotNull(root.QuerySelector("[data-test=snapshot][data-name=after-upgrade]"));
        });
        cut.Find("[data-test=snapshot-name] input, input[data-test=snapshot-name]").Change("nightly");
        cut.Find("[data-test=snapshot-memory] input, input[data-test=snapshot-memory]").Change(true);
        cut.Find("[data-test=snapshot-take]").Click();
        cut.WaitForAssertion(() => Assert.Equal(["snapshot.create nightly memory=True"], States.Calls));
        Assert.Contains("Taking snapshot nightly", cut.Find("[data-test=snapshot-message]").TextContent);
    }

    [Fact]
    public void Snapshots_Revert_AsksFirst_ThenReverts_AndReloadsWhenDone()
    {
        var vm = Sample.Machine("vm-1", MachineState.Running, MachineKind.Vm);
        States.Snapshots.Add(Snap("base", false));
        var cut = Render<MachineSnapshots>(p => p.Add(x => x.Machine, vm));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=snapshot-revert]")));

        cut.Find("[data-test=snapshot-revert]").Click();
        Dialogs.WaitForAssertion(() => Assert.Contains("vm-1 goes back to snapshot base", Dialogs.Markup));
        Assert.Empty(States.Calls);
        Dialogs.FindAll("button").Single(b => b.TextContent.Contains("Revert", StringComparison.Ordinal)).Click();
        cut.WaitForAssertion(() => Assert.Equal(["snapshot.revert base"], States.Calls));

        States.Snapshots.Add(Snap("second", false));
        cut.Render(p => p.Add(x => x.Operations, [Sample.Operation("snapshot.create", "vm-1", vm.Id, OperationStatus.Succeeded, 100)]));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=snapshot][data-name=second]")), Live);
    }

    [Fact]
    public void Snapshots_Container_SaysMemoryNeedsCriu_AndRefusalIsShown()
    {
        var container = Sample.Machine("web-1", MachineState.Running, MachineKind.Container);
        States.OnCall = _ => ServiceResult<OperationAccepted>.Conflict("Machine web-1 already has a snapshot named 'x'.");

        var cut = Render<MachineSnapshots>(p => p.Add(x => x.Machine, container));

        cut.WaitForAssertion(() => Assert.Contains("CRIU", cut.Find("[data-test=container-snapshot-note]").TextContent));
        Assert.True(cut.Find("[data-test=snapshot-memory] input, input[data-test=snapshot-memory]").HasAttribute("disabled"));
        Assert.NotNull(cut.Find("[data-test=no-snapshots]"));
        cut.Find("[data-test=snapshot-name] input, input[data-test=snapshot-name]").Change("x");
        cut.Find("[data-test=snapshot-take]").Click();
        cut.WaitForAssertion(() => Assert.Contains("already has a snapshot named 'x'", cut.Find("[data-test=snapshot-message]").TextContent));
    }

    [Fact]
    public void SnapshotsAndBackups_QemuVm_SnapshotsOfferedWithoutForkBackupsSayNotYet()
    {
        var vm = Sample.Machine("x86-1", MachineState.Running, MachineKind.Vm) with { Engine = VmEngine.Qemu };

        var snapshots = Render<MachineSnapshots>(p => p.Add(x => x.Machine, vm));
        snapshots.WaitForAssertion(() => Assert.Contains("A QEMU VM's snapshots are kept inside its qcow2 disk", snapshots.Find("[data-test=qemu-snapshot-note]").TextContent));
        Assert.False(snapshots.Find("[data-test=snapshot-take]").HasAttribute("disabled"));
        Assert.False(snapshots.Find("[data-test=clone-start]").HasAttribute("disabled"));
        Assert.True(snapshots.Find("[data-test=clone-memory] input, input[data-test=clone-memory]").HasAttribute("disabled"));

        var backups = Render<MachineBackups>(p => p.Add(x => x.Machine, vm));
        backups.WaitForAssertion(() => Assert.Contains("Backups of QEMU VMs are not available yet", backups.Find("[data-test=qemu-backup-note]").TextContent));
        Assert.True(backups.Find("[data-test=backup-now]").HasAttribute("disabled"));

        var emulatorVm = Render<MachineSnapshots>(p => p.Add(x => x.Machine, vm with { Engine = VmEngine.Emulator }));
        Assert.Empty(emulatorVm.FindAll("[data-test=qemu-snapshot-note]"));
        Assert.False(emulatorVm.Find("[data-test=snapshot-take]").HasAttribute("disabled"));
        Assert.Empty(States.Calls);
    }

    [Fact]
    public void Backups_List_BackUpNow_RestoreAsNew_Verify()
    {
        var vm = Sample.Machine("vm-1", MachineState.Running, MachineKind.Vm);
        var full = new BackupView(Guid.NewGuid(), vm.Id, "vm-1", MachineKind.Vm, Sample.HostId, "alpha", null, false, DateTimeOffset.UtcNow.AddHours(-2), 3 << 20, 1 << 30, 700, DateTimeOffset.UtcNow, true);
        var incremental = new BackupView(Guid.NewGuid(), vm.Id, "vm-1", MachineKind.Vm, Sample.HostId, "alpha", full.Id, true, DateTimeOffset.UtcNow.AddHours(-1), 1 << 20, 1 << 30, 40, null, null);
        States.Backups.AddRange([incremental, full]);

        var cut = Render<MachineBackups>(p => p.Add(x => x.Machine, vm));

        cut.WaitForAssertion(() =>
        {
            var rows = cut.FindAll("[data-test=backup]");
            Assert.Equal(2, rows.Count);
            Assert.Contains("incremental, with memory", rows[0].TextContent);
            Assert.Contains("not yet", rows[0].TextContent);
            Assert.Contains("full", rows[1].TextContent);
            Assert.Contains("ok", rows[1].QuerySelector("[data-test=backup-verified]")!.TextContent);
        });
        cut.Find("[data-test=backup-now]").Click();
        cut.Find("[data-test=restore-name] input, input[data-test=restore-name]").Change("vm-1-copy");
        cut.FindAll("[data-test=backup-restore]")[1].Click();
        cut.FindAll("[data-test=backup-verify]")[0].Click();
        cut.WaitForAssertion(() => Assert.Equal(
            ["machine.backup memory=False", $"backup.restore {full.Id} as=vm-1-copy", $"backup.verify {incremental.Id} boot=False"],
            States.Calls));
    }

    [Fact]
    public void Backups_FreshLoad_FailedVerifyShowsItsReason_PassedOneShowsNone()
    {
        var vm = Sample.Machine("vm-1", MachineState.Running, MachineKind.Vm);
        var failed = new BackupView(Guid.NewGuid(), vm.Id, "vm-1", MachineKind.Vm, Sample.HostId, "alpha", null, false, DateTimeOffset.UtcNow.AddHours(-1), 3 << 20, 1 << 30, 700,
            DateTimeOffset.UtcNow, false, VerifyMessage: "disk root, block 12: checksum mismatch");
        var passed = failed with { Id = Guid.NewGuid(), CreatedAt = DateTimeOffset.UtcNow.AddHours(-2), VerifyOk = true, VerifyMessage = null };
        States.Backups.AddRange([failed, passed]);

        var cut = Render<MachineBackups>(p => p.Add(x => x.Machine, vm));

        cut.WaitForAssertion(() =>
        {
            var failedCell = cut.Find($"[data-test=backup][data-id='{failed.Id}'] [data-test=backup-verified]");
            Assert.Contains("FAILED", failedCell.TextContent);
            Assert.Equal("disk root, block 12: checksum mismatch", failedCell.QuerySelector("[data-test=backup-verify-message]")!.TextContent.Trim());
            var passedCell = cut.Find($"[data-test=backup][data-id='{passed.Id}'] [data-test=backup-verified]");
            Assert.Equal("ok", passedCell.TextContent.Trim());
        });
        Assert.Single(cut.FindAll("[data-test=backup-verify-message]"));
    }

    [Fact]
    public void MachineDetail_CloneEnds_NoteReplacedByTheResultWithALinkToTheClone()
    {
        var vm = Sample.Machine("vm-1", MachineState.Running, MachineKind.Vm);
        Data.Machines.Add(vm);
        var cloneId = Guid.NewGuid();
        var operationId = Guid.NewGuid();
        States.OnCall = call => ServiceResult<OperationAccepted>.Ok(new OperationAccepted(
            Sample.Operation("machine.clone", "vm-1", vm.Id, OperationStatus.Queued, 0, id: operationId), Sample.Machine("vm-2", MachineState.Creating, MachineKind.Vm, id: cloneId)));
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, vm.Id));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=clone-start]")));
        cut.WaitForState(() => Data.Subscribers == 1);

        cut.Find("[data-test=clone-name] input, input[data-test=clone-name]").Change("vm-2");
        cut.Find("[data-test=clone-start]").Click();
        cut.WaitForAssertion(() => Assert.Equal("Cloning vm-1 as vm-2…", cut.Find("[data-test=snapshot-message]").TextContent.Trim()));
        Data.Publish(new OperationChanged(Sample.Operation("machine.clone", "vm-1", vm.Id, OperationStatus.Succeeded, 100, id: operationId)));

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("Cloned vm-1 as vm-2.", cut.Find("[data-test=snapshot-message]").TextContent);
            Assert.DoesNotContain("Cloning", cut.Find("[data-test=snapshot-message]").TextContent);
            Assert.Equal($"/machines/{cloneId}", cut.Find("[data-test=snapshot-new-machine]").GetAttribute("href"));
        }, Live);
    }

    [Fact]
    public void MachineDetail_RestoreAsNewAndVerifyEnd_EachNoteSaysHowItEnded()
    {
        var vm = Sample.Machine("vm-1", MachineState.Running, MachineKind.Vm);
        Data.Machines.Add(vm);
        var backup = new BackupView(Guid.NewGuid(), vm.Id, "vm-1", MachineKind.Vm, Sample.HostId, "alpha", null, true, new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), 3 << 20, 1 << 30, 700, null, null);
        States.Backups.Add(backup);
        var restoredId = Guid.NewGuid();
        var restoreOp = Guid.NewGuid();
        var verifyOp = Guid.NewGuid();
        States.OnCall = call => call.StartsWith("backup.restore", StringComparison.Ordinal)
            ? ServiceResult<OperationAccepted>.Ok(new OperationAccepted(Sample.Operation("backup.restore", "vm-1-copy", restoredId, OperationStatus.Queued, 0, id: restoreOp),
                Sample.Machine("vm-1-copy", MachineState.Creating, MachineKind.Vm, id: restoredId)))
            : ServiceResult<OperationAccepted>.Ok(new OperationAccepted(Sample.Operation("backup.verify", "backup of vm-1", null, OperationStatus.Queued, 0, id: verifyOp), null));
        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, vm.Id));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=saved-state-tabs]")));
        cut.WaitForState(() => Data.Subscribers == 1);
        cut.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Backups", StringComparison.Ordinal)).Click();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=backup-restore]")));

        cut.Find("[data-test=restore-name] input, input[data-test=restore-name]").Change("vm-1-copy");
        cut.Find("[data-test=backup-restore]").Click();
        cut.WaitForAssertion(() => Assert.Equal("Restoring as vm-1-copy…", cut.Find("[data-test=backup-message]").TextContent.Trim()));
        // The restore makes another machine: its operation is that machine's, yet this page follows it.
        Data.Publish(new OperationChanged(Sample.Operation("backup.restore", "vm-1-copy", restoredId, OperationStatus.Succeeded, 100, id: restoreOp)));
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("Restored the backup of 2025-01-02 03:04:05Z as vm-1-copy.", cut.Find("[data-test=backup-message]").TextContent);
            Assert.Equal($"/machines/{restoredId}", cut.Find("[data-test=backup-new-machine]").GetAttribute("href"));
        }, Live);

        cut.Find("[data-test=backup-verify]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Verifying the backup of 2025-01-02 03:04:05Z…", cut.Find("[data-test=backup-message]").TextContent));
        Data.Publish(new OperationChanged(Sample.Operation("backup.verify", "backup of vm-1", null, OperationStatus.Failed, 60,
            error: "The snapshot has 3 virtio devices; this configuration makes 2.", id: verifyOp)));
        cut.WaitForAssertion(() =>
        {
            var message = cut.Find("[data-test=backup-message]");
            Assert.Contains("Verifying the backup of 2025-01-02 03:04:05Z failed: The snapshot has 3 virtio devices; this configuration makes 2.", message.TextContent);
            Assert.Contains("mud-alert-text-error", message.ClassName);
            Assert.Empty(cut.FindAll("[data-test=backup-new-machine]"));
        }, Live);
    }

    [Fact]
    public void MachineDetail_HasSnapshotsAndBackupsTabs()
    {
        var machine = Sample.Machine("vm-1", MachineState.Stopped, MachineKind.Vm);
        Data.Machines.Add(machine);

        var cut = Render<MachineDetail>(p => p.Add(x => x.Id, machine.Id));

        cut.WaitForAssertion(() =>
        {
            var tabs = cut.Find("[data-test=saved-state-tabs]").TextContent;
            Assert.Contains("Snapshots", tabs);
            Assert.Contains("Backups", tabs);
            Assert.NotNull(cut.Find("[data-test=snapshots-tab]"));
        });
    }

    [Fact]
    public async Task Clone_ToAnotherHost_LinkedTurnsOff_AndTheRequestNamesTheHost_RefusalIsShown()
    {
        Data.Hosts.Add(Sample.Host("alpha"));
        Data.Hosts.Add(Sample.Host("beta", id: Guid.NewGuid()));
        var vm = Sample.Machine("vm-1", MachineState.Stopped, MachineKind.Vm);
        var cut = Render<MachineSnapshots>(p => p.Add(x => x.Machine, vm));
        cut.WaitForAssertion(() => Assert.Contains("stays on this host", cut.Find("[data-test=clone-hint]").TextContent));

        cut.Find("[data-test=clone-name] input, input[data-test=clone-name]").Change("vm-2");
        var hosts = cut.FindComponent<MudBlazor.MudSelect<string>>();
        await cut.InvokeAsync(() => hosts.Instance.ValueChanged.InvokeAsync("beta"));
        cut.WaitForAssertion(() => Assert.Contains("then moved to beta (offline)", cut.Find("[data-test=clone-hint]").TextContent));
        Assert.True(cut.Find("[data-test=clone-linked] input, input[data-test=clone-linked]").HasAttribute("disabled"));

        cut.Find("[data-test=clone-start]").Click();
        cut.WaitForAssertion(() => Assert.Equal(["machine.clone vm-2 linked=False host=beta memory=False"], States.Calls));
        Assert.Contains("Cloning vm-1 as vm-2 on beta", cut.Find("[data-test=snapshot-message]").TextContent);

        States.OnCall = _ => ServiceResult<OperationAccepted>.Conflict("A clone of vm-1 cannot be placed on beta. capacity: beta lacks room.");
        cut.Find("[data-test=clone-name] input, input[data-test=clone-name]").Change("vm-3");
        cut.Find("[data-test=clone-start]").Click();
        cut.WaitForAssertion(() => Assert.Contains("beta lacks room", cut.Find("[data-test=snapshot-message]").TextContent));
    }
}
