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
/// agent connected (to any web node).
/// <para>
/// With several web nodes a transfer lives on the node that opened it, while each agent dials its own
/// node: a request for a transfer another node opened is passed on to that node (its address from
/// <see cref="IAgentRoutes.TransferNodeAsync"/>), with the agent's own credential, and its bytes
/// streamed through both ways.
/// </para>
/// </summary>
public static class TransferEndpoints
{
    public const string Path = "/agents/transfers";
    public const string HostHeader = "X-Ringmaster-Host";

    /// <summary>Set on a request one node passes on to another: that node answers it itself, never passes it on again.</summary>
    public const string ForwardedHeader = "X-Ringmaster-Forwarded";

    private static readonly HttpClient s_nodes = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) }) { Timeout = Timeout.InfiniteTimeSpan };

    public static IEndpointRouteBuilder MapTransferEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = JoinTokenAuthentication.SchemeName }).ExcludeFromDescription();
        group.MapPost("/{id:guid}", UploadAsync);
        group.MapGet("/{id:guid}", DownloadAsync);
        group.MapGet("/{id:guid}/delivered", DeliveredAsync);
        return app;
    }

    private static Guid? CallerHost(HttpContext http, AgentConnections connections, IAgentRoutes routes) =>
        Guid.TryParse(http.Request.Headers[HostHeader].ToString(), out var host)
            && (connections.ConnectionOf(host) ?? routes.RemoteConnectionOf(host)) is not null ? host : null;

    /// <summary>The node that opened a transfer this one does not have, unless this request was passed on already.</summary>
    private static async Task<Uri?> ElsewhereAsync(Guid id, HttpContext http, TransferRelay relay, IAgentRoutes routes) =>
        relay.IsHere(id) || http.Request.Headers.ContainsKey(ForwardedHeader) ? null : await routes.TransferNodeAsync(id, http.RequestAborted);

    /// <summary>A request to the node that holds a transfer, with the agent's credential (<c>Bearer …</c>), its host, and the one-hop mark.</summary>
    private static HttpRequestMessage ForwardRequest(HttpMethod method, Uri node, string path, string credential, Guid host)
    {
        var request = new HttpRequestMessage(method, new Uri(node, path));
        request.Headers.TryAddWithoutValidation("Authorization", credential);
        request.Headers.Add(HostHeader, host.ToString());
        request.Headers.Add(ForwardedHeader, "1");
        return request;
    }

    private static IResult NodeUnreachable(Uri node, Exception ex) =>
        TypedResults.Problem($"The web node that holds the transfer ({node.Authority}) did not answer: {ex.Message}", statusCode: StatusCodes.Status502BadGateway, title: "The transfer failed");

    /// <summary>The other node's answer as it gave it (a problem's details included).</summary>
    private static async Task<IResult> AnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        Results.Content(await response.Content.ReadAsStringAsync(cancellationToken), response.Content.Headers.ContentType?.ToString(), statusCode: (int)response.StatusCode);

    private static void AllowLongBody(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        if (http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }
    }

    private static async Task<IResult> UploadAsync(Guid id, HttpContext http, TransferRelay relay, AgentConnections connections, IAgentRoutes routes, ILogger<TransferRelay> logger)
    {
        if (CallerHost(http, connections, routes) is not { } host)
        {
            return TypedResults.Problem("No such transfer for this host.", statusCode: StatusCodes.Status404NotFound);
        }

        if (await ElsewhereAsync(id, http, relay, routes) is { } node)
        {
            AllowLongBody(http);
            using var request = ForwardRequest(HttpMethod.Post, node, $"{Path}/{id}", http.Request.Headers.Authorization.ToString(), host);
            request.Content = new StreamContent(http.Request.Body, TransferRelay.MaxChunkBytes);
            request.Headers.TransferEncodingChunked = true;
            try
            {
                using var response = await s_nodes.SendAsync(request, HttpCompletionOption.ResponseContentRead, http.RequestAborted);
                var answer = await AnswerAsync(response, http.RequestAborted);
                if (!response.IsSuccessStatusCode)
                {
                    logger.LogWarning("Node {Node} refused host {HostId}'s bytes for transfer {TransferId}: {Status}", node.Authority, host, id, (int)response.StatusCode);
                }

                return answer;
            }
            catch (HttpRequestException ex)
            {
                logger.LogWarning("Could not pass host {HostId}'s bytes for transfer {TransferId} on to node {Node}: {Message}", host, id, node.Authority, ex.Message);
                return NodeUnreachable(node, ex);
            }
        }

        var transfer = relay.ClaimUpload(id, host);
        if (transfer is null)
        {
            return TypedResults.Problem("No such transfer for this host.", statusCode: StatusCodes.Status404NotFound);
        }

        AllowLongBody(http);
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

    /// <summary>How many bytes of the transfer went on to its target (what the hub's <c>TransferDelivered</c> answers).</summary>
    private static async Task<IResult> DeliveredAsync(Guid id, HttpContext http, TransferRelay relay, AgentConnections connections, IAgentRoutes routes)
    {
        if (CallerHost(http, connections, routes) is not { } host)
        {
            return TypedResults.Problem("No such transfer for this host.", statusCode: StatusCodes.Status404NotFound);
        }

        if (await ElsewhereAsync(id, http, relay, routes) is { } node)
        {
            using var request = ForwardRequest(HttpMethod.Get, node, $"{Path}/{id}/delivered", http.Request.Headers.Authorization.ToString(), host);
            try
            {
                using var response = await s_nodes.SendAsync(request, http.RequestAborted);
                return await AnswerAsync(response, http.RequestAborted);
            }
            catch (HttpRequestException ex)
            {
                return NodeUnreachable(node, ex);
            }
        }

        if (relay.Find(id, host) is not { } transfer)
        {
            return TypedResults.Problem("No such transfer for this host.", statusCode: StatusCodes.Status404NotFound);
        }

        try
        {
            return TypedResults.Ok(transfer.DeliveredUnlessFailed());
        }
        catch (TransferFailedException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status409Conflict, title: "The transfer failed");
        }
    }

    /// <summary>
    /// Asks the node that holds a transfer how much of it was delivered, for the hub of this node, with
    /// the credential the agent's hub connection presented; null when no other node holds it.
    /// </summary>
    public static async Task<long?> DeliveredElsewhereAsync(Guid id, Guid host, HttpContext hubRequest, IAgentRoutes routes, CancellationToken cancellationToken)
    {
        if (await routes.TransferNodeAsync(id, cancellationToken) is not { } node)
        {
            return null;
        }

        var credential = hubRequest.Request.Headers.Authorization.ToString() is { Length: > 0 } header ? header
            : hubRequest.Request.Query["access_token"].ToString() is { Length: > 0 } query ? "Bearer " + query : "";
        using var request = ForwardRequest(HttpMethod.Get, node, $"{Path}/{id}/delivered", credential, host);
        using var response = await s_nodes.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            string? detail = null;
            try
            {
                using var problem = System.Text.Json.JsonDocument.Parse(text);
                detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
            }
            catch (System.Text.Json.JsonException)
            {
            }

            throw new TransferFailedException(detail ?? $"The web node that holds the transfer answered {(int)response.StatusCode}.");
        }

        return long.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task DownloadAsync(Guid id, HttpContext http, TransferRelay relay, AgentConnections connections, IAgentRoutes routes)
    {
        var caller = CallerHost(http, connections, routes);
        if (caller is { } from && await ElsewhereAsync(id, http, relay, routes) is { } node)
        {
            await ForwardDownloadAsync(node, id, http, from);
            return;
        }

        var transfer = caller is { } host ? relay.ClaimDownload(id, host) : null;
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

    /// <summary>Streams the other node's answer on as it comes; a break there breaks this one too (the target sees no end mark).</summary>
    private static async Task ForwardDownloadAsync(Uri node, Guid id, HttpContext http, Guid host)
    {
        using var request = ForwardRequest(HttpMethod.Get, node, $"{Path}/{id}", http.Request.Headers.Authorization.ToString(), host);
        HttpResponseMessage response;
        try
        {
            response = await s_nodes.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
        }
        catch (HttpRequestException)
        {
            http.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }

        using (response)
        {
            http.Response.StatusCode = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                return;
            }

            http.Response.ContentType = "application/octet-stream";
            try
            {
                await http.Response.StartAsync(http.RequestAborted);
                await using var body = await response.Content.ReadAsStreamAsync(http.RequestAborted);
                await body.CopyToAsync(http.Response.Body, http.RequestAborted);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
            {
                http.Abort();
            }
        }
    }
}
