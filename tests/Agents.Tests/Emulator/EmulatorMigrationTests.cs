using System.Threading.Channels;
using Ringmaster.Agents.Transfers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Emulator;

/// <summary>
/// Live migration between two emulator drivers (two hosts' folders), the bytes handed from one to
/// the other in memory as the relay would: the guest's shell and disk continue on the target.
/// </summary>
public sealed class EmulatorMigrationTests : IAsyncDisposable
{
    private readonly EmulatorHarness _source = new();
    private readonly EmulatorHarness _target = new();

    public async ValueTask DisposeAsync()
    {
        await _source.DisposeAsync();
        await _target.DisposeAsync();
    }

    /// <summary>Moves <paramref name="definition"/> from the source driver to the target driver, live.</summary>
    private async Task<GuestInfo> MoveAsync(GuestDefinition definition)
    {
        var channel = Channel.CreateBounded<byte[]>(4);
        long delivered = 0;
        var sink = new TransferSink(channel.Writer, _ => Task.FromResult(Interlocked.Read(ref delivered)));
        var order = new MigrationOrder(Guid.NewGuid(), Live: true, SendImage: false);

        async IAsyncEnumerable<byte[]> Read()
        {
            await foreach (var chunk in channel.Reader.ReadAllAsync())
            {
                Interlocked.Add(ref delivered, chunk.Length);
                yield return chunk;
            }
        }

        var receive = Task.Run(() => _target.Driver.Migration.ReceiveAsync(definition, order, Read(), CancellationToken.None));
        try
        {
            await _source.Driver.Migration.SendAsync(definition.Id, order, sink, new Progress<int>(), CancellationToken.None);
            channel.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            channel.Writer.TryComplete(ex);
            throw;
        }

        var (guest, _) = await receive;
        await _source.Driver.Lifecycle.DeleteAsync(definition.Id, CancellationToken.None);
        return guest;
    }

    [Fact]
    public async Task LiveMove_RunningVm_ShellAndDiskContinueOnTarget()
    {
        var vm = await _source.CreateWithExt4Async("vm-move");
        await _source.Driver.Lifecycle.StartAsync(vm.Id, CancellationToken.None);
        await using (var console = await _source.AttachAsync(vm.Id))
        {
            await console.WaitForPromptAsync();
            await console.RunAsync("echo moved > /mnt/f; sync; c=5; echo at-$(cat /mnt/f)-$c", "at-moved-5");
        }

        var guest = await MoveAsync(vm);

        Assert.Equal(MachineState.Running, guest.State);
        await using (var console = await _target.AttachAsync(vm.Id))
        {
            await console.RunAsync("echo up-$((40+2))-$c", "up-42-5", 30);
            await console.RunAsync("echo there-$(cat /mnt/f)-$c", "there-moved-5");
        }
    }

    [Fact]
    public async Task LiveMove_FullForkJustMade_ShellAndDiskContinueOnTarget()
    {
        var source = await _source.CreateWithExt4Async("vm-origin");
        await _source.Driver.Lifecycle.StartAsync(source.Id, CancellationToken.None);
        await using (var console = await _source.AttachAsync(source.Id))
        {
            await console.WaitForPromptAsync();
            await console.RunAsync("echo origin > /mnt/f; sync; c=7; echo at-$(cat /mnt/f)-$c", "at-origin-7");
        }

        var fork = EmulatorHarness.Define("vm-fork");
        var forked = await _source.Driver.Snapshots.CloneAsync(source.Id, new CloneRequest(fork, Linked: false, IncludeMemory: true), new Progress<int>(), CancellationToken.None);
        Assert.Equal(MachineState.Running, forked.State);

        var guest = await MoveAsync(fork);

        Assert.Equal(MachineState.Running, guest.State);
        await using (var console = await _target.AttachAsync(fork.Id))
        {
            await console.RunAsync("echo fork-$(cat /mnt/f)-$c", "fork-origin-7");
        }
    }

    [Fact]
    public async Task LiveMove_VmWithSnapshots_SnapshotsRevertOnTarget_NewOnesContinueTheTree()
    {
        var vm = await _source.CreateWithExt4Async("vm-snaps");
        await _source.Driver.Lifecycle.StartAsync(vm.Id, CancellationToken.None);
        SnapshotInfo first;
        await using (var console = await _source.AttachAsync(vm.Id))
        {
            await console.WaitForPromptAsync();
            await console.RunAsync("echo one > /mnt/f; sync; c=1; echo at-$(cat /mnt/f)-$c", "at-one-1");
            first = await _source.Driver.Snapshots.TakeSnapshotAsync(vm.Id, new SnapshotRequest(Guid.NewGuid(), "first", null, IncludeMemory: true), CancellationToken.None);
            await console.RunAsync("echo two > /mnt/f; sync; c=2; echo at-$(cat /mnt/f)-$c", "at-two-2");
        }

        await MoveAsync(vm);

        var listed = Assert.Single(await _target.Driver.Snapshots.ListSnapshotsAsync(vm.Id, CancellationToken.None));
        Assert.Equal(("first", true), (listed.Name, listed.IncludesMemory));
        await using (var console = await _target.AttachAsync(vm.Id))
        {
            await console.RunAsync("echo now-$(cat /mnt/f)-$c", "now-two-2");
        }

        var reverted = await _target.Driver.Snapshots.RevertSnapshotAsync(vm.Id, first.Id, CancellationToken.None);
        Assert.Equal(MachineState.Running, reverted.State);
        await using (var console = await _target.AttachAsync(vm.Id))
        {
            await console.RunAsync("echo back-$(cat /mnt/f)-$c", "back-one-1");
        }

        var second = await _target.Driver.Snapshots.TakeSnapshotAsync(vm.Id, new SnapshotRequest(Guid.NewGuid(), "second", null, IncludeMemory: false), CancellationToken.None);
        Assert.Equal(first.Id, second.ParentId);
    }
}
