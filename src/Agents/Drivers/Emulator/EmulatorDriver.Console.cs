using System.Threading.Channels;

namespace Ringmaster.Agents.Drivers.Emulator;

public sealed partial class EmulatorDriver
{
    /// <summary>
    /// The VM's serial console: first what it printed since this boot began, then what follows. It
    /// stays attached across guest reboots and stop/start.
    /// </summary>
    public async Task<IGuestConsole> AttachConsoleAsync(Guid id, CancellationToken cancellationToken)
    {
        var vm = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (vm.Gate)
        {
            foreach (var chunk in vm.History)
            {
                channel.Writer.TryWrite(chunk);
            }

            vm.Consoles.Add(channel);
        }

        return new SerialConsole(vm, channel);
    }

    private sealed class SerialConsole(Vm vm, Channel<byte[]> channel) : IGuestConsole
    {
        public ChannelReader<byte[]> Output => channel.Reader;

        public ValueTask WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
        {
            var machine = vm.Machine ?? throw new GuestException($"VM {vm.Definition.Name} is not running.");
            machine.WriteConsoleInput(input.Span);
            return ValueTask.CompletedTask;
        }

        /// <summary>A serial line has no window size.</summary>
        public ValueTask ResizeAsync(int columns, int rows, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync()
        {
            lock (vm.Gate)
            {
                vm.Consoles.Remove(channel);
            }

            channel.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }
    }
}
