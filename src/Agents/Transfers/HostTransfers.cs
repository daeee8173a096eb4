using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Transfers;

/// <summary>
/// The agent's side of host-to-host transfers through the server's relay: send a stream of chunks
/// to a transfer the server opened, or read one. Bytes go as streamed HTTP bodies
/// (<c>/agents/transfers/{id}</c>, each chunk prefixed by its length) beside the hub connection, with
/// the join token. Memory stays bounded (a few chunks in flight); either side failing or going away
/// ends the other with a <see cref="HostTransferException"/>.
/// </summary>
public sealed class HostTransfers : IDisposable
{
    /// <summary>Chunks a producer may run ahead of the network.</summary>
    public const int Backlog = 4;

    private const string TransfersPath = "/agents/transfers/";
    private const string HostHeader = "X-Ringmaster-Host";

    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) }) { Timeout = Timeout.InfiniteTimeSpan };
    private HubConnection? _connection;
    private Func<Uri>? _server;

    /// <summary>Transfers go over <paramref name="connection"/> and to <paramref name="server"/> (the server dialled now, when the agent has several).</summary>
    public void Attach(HubConnection connection, Func<Uri> server, string? token, Guid hostId)
    {
        _connection = connection;
        _server = server;
        _http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        _http.DefaultRequestHeaders.Remove(HostHeader);
        _http.DefaultRequestHeaders.Add(HostHeader, hostId.ToString());
    }

    private HubConnection Connection => _connection is { State: HubConnectionState.Connected } c
        ? c
        : throw new HostTransferException("The agent is not connected to its server.");

    private Uri Address(Guid transferId) => new((_server ?? throw new HostTransferException("The agent has no server."))(), TransfersPath + transferId);

    /// <summary>
    /// Streams what <paramref name="produce"/> writes to the transfer <paramref name="transferId"/>.
    /// Returns when the server took every chunk; throws when the transfer fails, cancelling the producer.
    /// </summary>
    public async Task SendAsync(Guid transferId, Func<TransferSink, CancellationToken, Task> produce, CancellationToken cancellationToken)
    {
        var connection = Connection;
        var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Backlog) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, Address(transferId)) { Content = new ChunkContent(channel.Reader) };
        request.Headers.TransferEncodingChunked = true;
        var upload = _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, stop.Token);
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
        // The server may answer after the last chunk before the producer's task has finished
        // returning (a loaded machine descheduled it): every chunk written and read, and a success
        // from the server, is a whole transfer.
        var whole = upload.IsCompletedSuccessfully && upload.Result.IsSuccessStatusCode && channel.Reader.Completion.IsCompletedSuccessfully;
        if (first == upload && !whole)
        {
            // The server answered before the producer finished: the transfer failed there.
            var reason = await FailureAsync(upload).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw new HostTransferException("The transfer failed: " + reason);
        }

        try
        {
            await producer.ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await ((Task)upload).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        using var response = await upload.ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HostTransferException("The transfer failed: " + await ReasonAsync(response).ConfigureAwait(false));
        }
    }

    private static async Task<string> FailureAsync(Task<HttpResponseMessage> upload)
    {
        try
        {
            using var response = await upload.ConfigureAwait(false);
            return response.IsSuccessStatusCode ? "the server ended the transfer early" : await ReasonAsync(response).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return ex.Message;
        }
    }

    private static async Task<string> ReasonAsync(HttpResponseMessage response)
    {
        try
        {
            using var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
            if (problem.RootElement.TryGetProperty("detail", out var detail) && detail.GetString() is { } text)
            {
                return text;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return $"{(int)response.StatusCode} {response.ReasonPhrase}";
    }

    /// <summary>Reads the chunks of transfer <paramref name="transferId"/> as the source sends them.</summary>
    public async IAsyncEnumerable<byte[]> ReceiveAsync(Guid transferId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(Address(transferId), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new HostTransferException("The transfer failed: " + ex.Message);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new HostTransferException($"The transfer failed: the server answered {(int)response.StatusCode}.");
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var length = new byte[4];
            while (true)
            {
                byte[] chunk;
                try
                {
                    await body.ReadExactlyAsync(length, cancellationToken).ConfigureAwait(false);
                    var size = BinaryPrimitives.ReadInt32LittleEndian(length);
                    if (size == 0)
                    {
                        yield break;
                    }

                    if (size is < 0 or > 16 << 20)
                    {
                        throw new HostTransferException($"The transfer is corrupt (a chunk of {size} bytes).");
                    }

                    chunk = new byte[size];
                    await body.ReadExactlyAsync(chunk, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or EndOfStreamException or HttpRequestException)
                {
                    throw new HostTransferException("The transfer broke off: the source or the server went away.");
                }

                yield return chunk;
            }
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A request body of length-prefixed chunks, read from a channel as they come.</summary>
    private sealed class ChunkContent(ChannelReader<byte[]> chunks) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var length = new byte[4];
            await foreach (var chunk in chunks.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                BinaryPrimitives.WriteInt32LittleEndian(length, chunk.Length);
                await stream.WriteAsync(length, cancellationToken).ConfigureAwait(false);
                await stream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
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
        while (true)
        {
            long done;
            try
            {
                done = await delivered(cancellationToken).ConfigureAwait(false);
            }
            catch (HubException ex)
            {
                throw new HostTransferException("The transfer failed: " + ex.Message.Split("HubException: ")[^1]);
            }

            if (Written - done <= slack)
            {
                return;
            }

            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>A host-to-host transfer stopped; the message says why.</summary>
public sealed class HostTransferException(string message) : Exception(message);
