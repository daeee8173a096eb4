using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Agents;

/// <summary>Host-to-host transfers through the hub: the source agent uploads, the target agent downloads (see <see cref="TransferRelay"/>).</summary>
public sealed partial class AgentHub
{
    /// <summary>Client-to-server stream from the transfer's source host. Ends when the source completes or the transfer fails.</summary>
    public async Task UploadTransfer(Guid transferId, IAsyncEnumerable<byte[]> chunks)
    {
        var transfer = (HostOrNull() is { } hostId ? transfers.ClaimUpload(transferId, hostId) : null)
            ?? throw new HubException("No such transfer for this host.");
        try
        {
            await foreach (var chunk in chunks.WithCancellation(Context.ConnectionAborted))
            {
                await transfer.WriteAsync(chunk, Context.ConnectionAborted);
            }

            transfer.Complete();
        }
        catch (TransferFailedException ex)
        {
            throw new HubException(ex.Message);
        }
        catch (Exception ex) when (ex is not HubException)
        {
            transfer.Fail($"The source stopped sending: {ex.Message}");
            throw new HubException("The transfer failed: " + ex.Message);
        }
    }

    /// <summary>
    /// How many bytes of the transfer went on to its target (asked by the source before a short pause);
    /// a transfer another web node opened is asked of that node.
    /// </summary>
    public async Task<long> TransferDelivered(Guid transferId)
    {
        if (HostOrNull() is not { } hostId)
        {
            throw new HubException("No such transfer for this host.");
        }

        try
        {
            if (transfers.Find(transferId, hostId) is { } transfer)
            {
                return transfer.DeliveredUnlessFailed();
            }

            return (Context.GetHttpContext() is { } request
                    ? await TransferEndpoints.DeliveredElsewhereAsync(transferId, hostId, request, routes, Context.ConnectionAborted)
                    : null)
                ?? throw new HubException("No such transfer for this host.");
        }
        catch (Exception ex) when (ex is TransferFailedException or HttpRequestException or FormatException)
        {
            throw new HubException(ex.Message);
        }
    }

    /// <summary>Server-to-client stream to the transfer's target host.</summary>
    public ChannelReader<byte[]> DownloadTransfer(Guid transferId, CancellationToken cancellationToken)
    {
        var transfer = (HostOrNull() is { } hostId ? transfers.ClaimDownload(transferId, hostId) : null)
            ?? throw new HubException("No such transfer for this host.");
        var output = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        _ = PumpAsync(transfer, output.Writer, cancellationToken);
        return output.Reader;
    }

    /// <summary>Moves chunks to the target's stream; a failure reaches the target as a stream error with the reason.</summary>
    private static async Task PumpAsync(TransferRelay.Transfer transfer, ChannelWriter<byte[]> output, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var chunk in ReadAsync(transfer, cancellationToken))
            {
                await output.WriteAsync(chunk, cancellationToken);
                transfer.MarkDelivered(chunk.Length);
            }

            output.TryComplete();
        }
        catch (Exception ex)
        {
            if (ex is OperationCanceledException)
            {
                transfer.Fail("The target stopped reading.");
            }

            output.TryComplete(new HubException(ex is TransferFailedException or ChannelClosedException ? ex.Message : "The transfer failed: " + ex.Message));
        }
    }

    private static async IAsyncEnumerable<byte[]> ReadAsync(TransferRelay.Transfer transfer, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await transfer.Reader.WaitToReadAsync(cancellationToken))
        {
            while (transfer.Reader.TryRead(out var chunk))
            {
                yield return chunk;
            }
        }
    }
}
