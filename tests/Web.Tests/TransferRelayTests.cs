using Ringmaster.Core.Services;

namespace Ringmaster.Web.Tests;

/// <summary>The host-to-host relay: ordered, bounded, one-time, bound to its two hosts, failing both sides when one goes.</summary>
public sealed class TransferRelayTests
{
    private static readonly Guid s_source = Guid.NewGuid();
    private static readonly Guid s_target = Guid.NewGuid();

    [Fact]
    public async Task Transfer_ChunksArriveInOrder_AndTheSourceWaitsWhenThePipeIsFull()
    {
        var relay = new TransferRelay();
        using var transfer = relay.Open(s_source, s_target, "test");
        for (var i = 0; i < TransferRelay.Capacity; i++)
        {
            await transfer.WriteAsync([(byte)i], CancellationToken.None);
        }

        var blocked = transfer.WriteAsync([0xff], CancellationToken.None).AsTask();
        Assert.False(blocked.IsCompleted);

        Assert.True(transfer.Reader.TryRead(out var first));
        await blocked;
        transfer.Complete();
        var rest = new List<byte>();
        await foreach (var chunk in transfer.Reader.ReadAllAsync())
        {
            rest.Add(chunk[0]);
        }

        Assert.Equal(0, first![0]);
        Assert.Equal([.. Enumerable.Range(1, TransferRelay.Capacity - 1).Select(i => (byte)i), 0xff], rest);
        Assert.Equal(TransferRelay.Capacity + 1, transfer.Bytes);
    }

    [Fact]
    public async Task Transfer_HostGoesAway_BothSidesFailWithTheReason()
    {
        var relay = new TransferRelay();
        using var transfer = relay.Open(s_source, s_target, "test");
        await transfer.WriteAsync([1], CancellationToken.None);

        relay.FailHost(s_target, "the target's agent disconnected");

        var write = await Assert.ThrowsAsync<TransferFailedException>(() => transfer.WriteAsync([2], CancellationToken.None).AsTask());
        Assert.Equal("the target's agent disconnected", write.Message);
        var read = await Assert.ThrowsAsync<TransferFailedException>(async () =>
        {
            await foreach (var _ in transfer.Reader.ReadAllAsync())
            {
            }
        });
        Assert.Equal("the target's agent disconnected", read.Message);
    }

    [Fact]
    public void Transfer_ClaimedOnceAndOnlyByItsHosts_GoneWhenDisposed()
    {
        var relay = new TransferRelay();
        var transfer = relay.Open(s_source, s_target, "test");

        Assert.Null(relay.ClaimUpload(transfer.Id, s_target));
        Assert.Null(relay.ClaimDownload(transfer.Id, s_source));
        Assert.Null(relay.ClaimUpload(Guid.NewGuid(), s_source));
        Assert.Same(transfer, relay.ClaimUpload(transfer.Id, s_source));
        Assert.Null(relay.ClaimUpload(transfer.Id, s_source));
        Assert.Same(transfer, relay.ClaimDownload(transfer.Id, s_target));
        Assert.Null(relay.ClaimDownload(transfer.Id, s_target));

        transfer.Dispose();

        Assert.Equal(0, relay.ActiveCount);
        Assert.Null(relay.Find(transfer.Id, s_source));
    }
}
