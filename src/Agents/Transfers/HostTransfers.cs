using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Ringmaster.Core.Contracts;

namespace Ringmaster.Agents.Transfers;

/// <summary>
/// The agent's side of host-to-host transfers through the server's relay: send a stream of chunks
/// to a transfer the server opened, or read one. Memory stays bounded (a few chunks in flight);
/// either side failing or going away ends the other with a <see cref="HostTransferException"/>.
/// </summary>
public sealed class HostTransfers
{
    /// <summary>Chunks a producer may run ahead of the network.</summary>
    public const int Backlog = 4;

    private HubConnection? _connection;

    public void Attach(HubConnection connection) => _connection = connection;

    private HubConnection Connection => _connection is { State: HubConnectionState.Connected } c
        ? c
        : throw new HostTransferException("The agent is not connected to its server.");

    /// <summary>
    /// Streams what <paramref name="produce"/> writes to the transfer <paramref name="transferId"/>.
    /// Returns when the server took every chunk; throws when the transfer fails, cancelling the producer.
    /// </summary>
    public async Task SendAsync(Guid transferId, Func<TransferSink, CancellationToken, Task> produce, CancellationToken cancellationToken)
    {
        var connection = Connection;
        var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Backlog) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var upload = connection.InvokeAsync(nameof(IAgentHub.UploadTransfer), transferId, channel.Reader, stop.Token);
        var producer = Task.Run(async () =>
        {
            try
            {
                var sink = new TransferSink(channel.Writer, ct => connection.InvokeAsync<long>(nameof(IAgentHub.TransferDelivered), transferId, ct));
                await produce(sink, stop.Token).ConfigureAwait(false);
                channel.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                channel.Writer.TryComplete(ex);
                throw;
            }
        }, CancellationToken.None);

        var first = await Task.WhenAny(upload, producer).ConfigureAwait(false);
        if (first == upload && upload.IsFaulted)
        {
            // The server or the target gave up: stop producing.
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw new HostTransferException("The transfer failed: " + Reason(upload.Exception!));
        }

        try
        {
            await producer.ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await upload.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        try
        {
            await upload.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new HostTransferException("The transfer failed: " + Reason(ex));
        }
    }

    /// <summary>Reads the chunks of transfer <paramref name="transferId"/> as the source sends them.</summary>
    public async IAsyncEnumerable<byte[]> ReceiveAsync(Guid transferId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var stream = Connection.StreamAsync<byte[]>(nameof(IAgentHub.DownloadTransfer), transferId, cancellationToken);
        await using var e = stream.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            byte[] chunk;
            try
            {
                if (!await e.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }

                chunk = e.Current;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw new HostTransferException("The transfer failed: " + Reason(ex));
            }

            yield return chunk;
        }
    }

    private static string Reason(Exception ex) => ex switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Reason(a.InnerExceptions[0]),
        HubException h => h.Message.Replace("An unexpected error occurred invoking 'UploadTransfer' on the server. HubException: ", "", StringComparison.Ordinal),
        _ => ex.Message,
    };
}

/// <summary>Where a sender writes the chunks of a transfer.</summary>
public sealed class TransferSink(ChannelWriter<byte[]> writer, Func<CancellationToken, Task<long>> delivered)
{
    private long _written;

    /// <summary>Bytes written so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Adds a chunk; waits while the chunks in flight fill the backlog.</summary>
    public async ValueTask WriteAsync(byte[] chunk, CancellationToken cancellationToken)
    {
        await writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _written, chunk.Length);
    }

    /// <summary>Waits until all but <paramref name="slack"/> bytes went on to the target, so that what is written next is not stuck behind them.</summary>
    public async Task DrainAsync(long slack, CancellationToken cancellationToken)
    {
        while (Written - await delivered(cancellationToken).ConfigureAwait(false) > slack)
        {
            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>A host-to-host transfer stopped; the message says why.</summary>
public sealed class HostTransferException(string message) : Exception(message);
