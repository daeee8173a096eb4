using System.Net.Sockets;
using System.Threading.Channels;
using Ringmaster.Agents.Drivers.Qemu.Qmp;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// One QEMU VM as the agent knows it: its definition and folder, and while QEMU runs its process,
/// its QMP connection and its serial line.
/// </summary>
internal sealed class QemuVm(GuestDefinition definition, QemuVmFolder folder)
{
    /// <summary>The Ringmaster definition, kept as <c>guest.json</c> beside QEMU's <c>machine.json</c>.</summary>
    public GuestDefinition Definition { get; set; } = definition;

    public QemuVmFolder Folder { get; } = folder;

    /// <summary>Serializes start, stop and delete of this VM.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public QemuProcess? Process { get; set; }

    public QmpClient? Qmp { get; set; }

    public SerialLine? Serial { get; set; }

    /// <summary>Why the VM stopped last (the guest powered off, QEMU was killed); null when nothing is known.</summary>
    public string? StopReason { get; set; }

    /// <summary>The agent is stopping the VM: the stop, not QEMU's shutdown event, says why it ended.</summary>
    public bool Stopping { get; set; }

    /// <summary>How its CPU runs, in words (the accelerator and why).</summary>
    public string? Accelerator { get; set; }

    /// <summary>The last CPU sample: QEMU's user+system time and when it was read.</summary>
    public (TimeSpan Busy, long Stamp) LastSample { get; set; }

    public bool Runs => Process is { IsRunning: true };

    /// <summary>The most scrollback a new console attachment gets.</summary>
    private const int ScrollbackBytes = 64 * 1024;

    private readonly Lock _consolesGate = new();
    private readonly List<Channel<byte[]>> _consoles = [];

    /// <summary>
    /// Attaches a console: first what this boot printed so far (the folder's <c>console.log</c>, which
    /// QEMU writes also while nobody is attached, and which survives an agent restart), then what follows,
    /// across stops and starts until it is detached.
    /// </summary>
    public void Attach(Channel<byte[]> channel)
    {
        lock (_consolesGate)
        {
            if (Scrollback() is { Length: > 0 } scrollback)
            {
                channel.Writer.TryWrite(scrollback);
            }

            _consoles.Add(channel);
        }
    }

    public void Detach(Channel<byte[]> channel)
    {
        lock (_consolesGate)
        {
            _consoles.Remove(channel);
        }

        channel.Writer.TryComplete();
    }

    /// <summary>Ends every attachment (the VM is deleted).</summary>
    public void DetachAll()
    {
        lock (_consolesGate)
        {
            foreach (var console in _consoles)
            {
                console.Writer.TryComplete();
            }

            _consoles.Clear();
        }
    }

    /// <summary>What the guest printed, to every attached console.</summary>
    public void Print(byte[] chunk)
    {
        lock (_consolesGate)
        {
            foreach (var console in _consoles)
            {
                console.Writer.TryWrite(chunk);
            }
        }
    }

    private byte[] Scrollback()
    {
        try
        {
            using var log = new FileStream(Folder.ConsoleLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = (int)Math.Min(log.Length, ScrollbackBytes);
            log.Seek(-length, SeekOrigin.End);
            var bytes = new byte[length];
            log.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}

/// <summary>
/// The agent's one connection to a running VM's serial socket (QEMU serves one client at a time):
/// what the guest prints goes to <see cref="QemuVm.Consoles"/>; typed input goes to the guest.
/// </summary>
internal sealed class SerialLine : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly QemuVm _vm;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    private SerialLine(Socket socket, QemuVm vm)
    {
        _socket = socket;
        _vm = vm;
        _pump = Task.Run(PumpAsync);
    }

    public static async Task<SerialLine> ConnectAsync(QemuVm vm, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(vm.Folder.SerialSocket), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new SerialLine(socket, vm);
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken) =>
        await _socket.SendAsync(input, SocketFlags.None, cancellationToken).ConfigureAwait(false);

    private async Task PumpAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                _vm.Print(buffer.AsSpan(0, read).ToArray());
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // QEMU exited or the line was closed
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _pump.ConfigureAwait(false);
        _stop.Dispose();
    }
}
