using System.Buffers.Binary;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Agents;

/// <summary>
/// The relay's raw byte path: the source agent POSTs its chunks as one streamed request body and the
/// target agent GETs them as one streamed response, each chunk prefixed by its length (4 bytes,
/// little-endian). Same relay, same bounded channel, same one-time transfer id as the hub methods,
/// without base64 and a JSON message per chunk. Guarded by the join token; the host is named in the
/// <c>X-Ringmaster-Host</c> header and must be the transfer's source (POST) or target (GET) with its
/// agent connected.
/// </summary>
public static class TransferEndpoints
{
    public const string Path = "/agents/transfers";
    public const string HostHeader = "X-Ringmaster-Host";

    public static IEndpointRouteBuilder MapTransferEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = JoinTokenAuthentication.SchemeName }).ExcludeFromDescription();
        group.MapPost("/{id:guid}", UploadAsync);
        group.MapGet("/{id:guid}", DownloadAsync);
        return app;
    }

    private static Guid? CallerHost(HttpContext http, AgentConnections connections) =>
        Guid.TryParse(http.Request.Headers[HostHeader].ToString(), out var host) && connections.ConnectionOf(host) is not null ? host : null;

    private static async Task<IResult> UploadAsync(Guid id, HttpContext http, TransferRelay relay, AgentConnections connections)
    {
        var transfer = CallerHost(http, connections) is { } host ? relay.ClaimUpload(id, host) : null;
        if (transfer is null)
        {
            return TypedResults.Problem("No such transfer for this host.", statusCode: StatusCodes.Status404NotFound);
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        if (http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }

        var body = http.Request.Body;
        var length = new byte[4];
        try
        {
            while (true)
            {
                var n = await body.ReadAtLeastAsync(length, 4, throwOnEndOfStream: false, http.RequestAborted);
                if (n == 0)
                {
                    break;
                }

                if (n < 4)
                {
                    throw new InvalidDataException("The transfer ended inside a chunk's length.");
                }

                var size2 = BinaryPrimitives.ReadInt32LittleEndian(length);
                if (size2 is <= 0 or > TransferRelay.MaxChunkBytes)
                {
                    throw new InvalidDataException($"A transfer chunk of {size2} bytes is out of bounds.");
                }

                var chunk = new byte[size2];
                await body.ReadExactlyAsync(chunk, http.RequestAborted);
                await transfer.WriteAsync(chunk, http.RequestAborted);
            }

            transfer.Complete();
            return TypedResults.NoContent();
        }
        catch (TransferFailedException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status409Conflict, title: "The transfer failed");
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or OperationCanceledException or BadHttpRequestException)
        {
            transfer.Fail($"The source stopped sending: {ex.Message}");
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status400BadRequest, title: "The transfer failed");
        }
    }

    private static async Task DownloadAsync(Guid id, HttpContext http, TransferRelay relay, AgentConnections connections)
    {
        var transfer = CallerHost(http, connections) is { } host ? relay.ClaimDownload(id, host) : null;
        if (transfer is null)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        http.Response.ContentType = "application/octet-stream";
        var output = http.Response.BodyWriter;
        try
        {
            await http.Response.StartAsync(http.RequestAborted);
            while (await transfer.Reader.WaitToReadAsync(http.RequestAborted))
            {
                while (transfer.Reader.TryRead(out var chunk))
                {
                    var prefix = output.GetSpan(4);
                    BinaryPrimitives.WriteInt32LittleEndian(prefix, chunk.Length);
                    output.Advance(4);
                    await output.WriteAsync(chunk, http.RequestAborted);
                    transfer.MarkDelivered(chunk.Length);
                }
            }

            // A zero length ends the stream: everything arrived.
            var end = output.GetSpan(4);
            BinaryPrimitives.WriteInt32LittleEndian(end, 0);
            output.Advance(4);
            await output.FlushAsync(http.RequestAborted);
        }
        catch (Exception ex) when (ex is TransferFailedException or OperationCanceledException or IOException or System.Threading.Channels.ChannelClosedException)
        {
            if (ex is OperationCanceledException)
            {
                transfer.Fail("The target stopped reading.");
            }

            // The target sees the stream break without the end mark.
            http.Abort();
        }
    }
}
