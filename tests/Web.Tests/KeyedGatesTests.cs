using Ringmaster.Core;
using Ringmaster.Shared;

namespace Ringmaster.Web.Tests;

/// <summary>The per-machine gates of the inventory, the operations and the agent: one holder per key, and nothing kept once no one holds it.</summary>
public sealed class KeyedGatesTests
{
    [Fact]
    public async Task SameKey_SecondWaitsUntilTheFirstLetsGo_OtherKeysDoNot()
    {
        var gates = new KeyedGates<Guid>();
        var machine = Guid.NewGuid();
        var first = await gates.EnterAsync(machine);

        var second = gates.EnterAsync(machine);
        using var other = await gates.EnterAsync(Guid.NewGuid());

        Assert.False(second.IsCompleted);
        first.Dispose();
        (await second).Dispose();
    }

    [Fact]
    public async Task ManyMachines_AllLetGo_NoGateKept()
    {
        var gates = new KeyedGates<Guid>();

        await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            using var held = await gates.EnterAsync(Guid.NewGuid());
            await Task.Yield();
        }));

        Assert.Equal(0, gates.Count);
    }

    [Fact]
    public async Task WaiterCancelled_DoesNotTakeTheKey_AndLeavesNothingOnceTheHolderLetsGo()
    {
        var gates = new KeyedGates<Guid>();
        var machine = Guid.NewGuid();
        var holder = await gates.EnterAsync(machine);
        using var cancel = new CancellationTokenSource();

        var waiter = gates.EnterAsync(machine, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        Assert.Equal(1, gates.Count);
        holder.Dispose();
        Assert.Equal(0, gates.Count);
        (await gates.EnterAsync(machine)).Dispose();
    }
}
