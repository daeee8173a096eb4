using System.Runtime.InteropServices;
using System.Threading.Channels;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>One attachment to a container's terminal; a read loop feeds <see cref="Output"/>.</summary>
internal sealed class ContainerConsole : IGuestConsole
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
            throw new GuestException($"Could not resize the console of '{_name}': {ContainerEngineClient.EngineMessage(e)}", e);
        }
        catch (Exception e) when (ContainerEngineClient.IsUnreachable(e))
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
