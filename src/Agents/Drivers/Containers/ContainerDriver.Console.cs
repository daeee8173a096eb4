using System.Runtime.InteropServices;
using System.Threading.Channels;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace Ringmaster.Agents.Drivers.Containers;

public sealed partial class ContainerDriver
{
    /// <summary>
    /// Attaches to the container's terminal (its stdin and its output, as a stream). Each call is an
    /// attachment of its own, so several consoles can be open on one container at once.
    /// </summary>
    public async Task<IGuestConsole> AttachConsoleAsync(Guid id, CancellationToken cancellationToken)
    {
        var container = await GetAsync(id, cancellationToken);
        var name = ToInfo(container).Name;
        if (container.State is not ("running" or "created" or "paused"))
        {
            throw new GuestException($"Guest '{name}' is not running: start it to open its console.");
        }

        var client = await ClientAsync(cancellationToken);
        var stream = await CallAsync(
            $"Could not attach to the console of '{name}'",
            c => c.Containers.AttachContainerAsync(
                container.ID,
                tty: true,
                new ContainerAttachParameters { Stream = true, Stdin = true, Stdout = true, Stderr = true },
                cancellationToken),
            cancellationToken);
        return new ContainerConsole(client, container.ID, name, stream, _logger);
    }

    /// <summary>What the container printed so far (its terminal output), the last <paramref name="tail"/> lines when given.</summary>
    public async Task<string> GetLogsAsync(Guid id, int? tail, CancellationToken cancellationToken)
    {
        var container = await GetAsync(id, cancellationToken);
        return await CallAsync(
            $"Could not read the logs of '{ToInfo(container).Name}'",
            async client =>
            {
                using var stream = await client.Containers.GetContainerLogsAsync(
                    container.ID,
                    tty: true,
                    new ContainerLogsParameters { ShowStdout = true, ShowStderr = true, Tail = tail?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "all" },
                    cancellationToken);
                var (stdout, stderr) = await stream.ReadOutputToEndAsync(cancellationToken);
                return stdout + stderr;
            },
            cancellationToken);
    }

    /// <summary>One attachment to a container's terminal; a read loop feeds <see cref="Output"/>.</summary>
    private sealed class ContainerConsole : IGuestConsole
    {
        private readonly DockerClient _client;
        private readonly string _containerId;
        private readonly string _name;
        private readonly MultiplexedStream _stream;
        private readonly ILogger _logger;
        private readonly Channel<byte[]> _output = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleWriter = true });
        private readonly CancellationTokenSource _stop = new();
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private readonly Task _reader;
        private int _disposed;

        public ContainerConsole(DockerClient client, string containerId, string name, MultiplexedStream stream, ILogger logger)
        {
            _client = client;
            _containerId = containerId;
            _name = name;
            _stream = stream;
            _logger = logger;
            _reader = Task.Run(ReadLoopAsync);
        }

        public ChannelReader<byte[]> Output => _output.Reader;

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var (array, offset, count) = MemoryMarshal.TryGetArray(input, out var segment)
                ? (segment.Array!, segment.Offset, segment.Count)
                : (input.ToArray(), 0, input.Length);
            await _writeLock.WaitAsync(cancellationToken);
            try
            {
                await _stream.WriteAsync(array, offset, count, cancellationToken);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                throw new GuestException($"The console of '{_name}' is closed: {e.Message}", e);
            }
            finally
            {
                _writeLock.Release();
            }
        }

        public async ValueTask ResizeAsync(int columns, int rows, CancellationToken cancellationToken)
        {
            try
            {
                await _client.Containers.ResizeContainerTtyAsync(
                    _containerId, new ContainerResizeParameters { Width = checked((long)columns), Height = checked((long)rows) }, cancellationToken);
            }
            catch (DockerApiException e)
            {
                throw new GuestException($"Could not resize the console of '{_name}': {EngineMessage(e)}", e);
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                throw new GuestException($"Could not resize the console of '{_name}': the container engine is not reachable ({e.GetBaseException().Message})", e);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            await _stop.CancelAsync();
            _stream.Dispose();
            try
            {
                await _reader;
            }
            catch
            {
                // The read loop ends with whatever closing the stream under it throws.
            }

            _stop.Dispose();
            _writeLock.Dispose();
        }

        private async Task ReadLoopAsync()
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var read = await _stream.ReadOutputAsync(buffer, 0, buffer.Length, _stop.Token);
                    if (read.EOF || read.Count == 0)
                    {
                        break;
                    }

                    await _output.Writer.WriteAsync(buffer.AsSpan(0, read.Count).ToArray(), _stop.Token);
                }
            }
            catch (Exception e) when (_stop.IsCancellationRequested || e is OperationCanceledException or ObjectDisposedException)
            {
                // Detached.
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Console of {Name} ended: {Message}", _name, e.Message);
            }
            finally
            {
                _output.Writer.TryComplete();
            }
        }
    }
}
