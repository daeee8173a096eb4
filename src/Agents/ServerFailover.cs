using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Connections.Client;

namespace Ringmaster.Agents;

/// <summary>
/// The servers a standalone agent may dial (<c>--server a,b</c>, web nodes sharing one inventory), in
/// order: it dials one at a time and, when that one does not answer, the next, round and round. The
/// hub connection keeps the first address; its requests (<see cref="Handler"/>) and its WebSocket
/// (<see cref="ConnectWebSocketAsync"/>) go to the server dialled now, so SignalR's own reconnect
/// reaches the next server. The addresses differ in scheme, host and port only.
/// </summary>
public sealed class ServerFailover : IAgentServerAddress
{
    private readonly Uri[] _servers;
    private int _current;

    public ServerFailover(IReadOnlyList<Uri> servers)
    {
        if (servers.Count == 0)
        {
            throw new ArgumentException("At least one server address is needed.", nameof(servers));
        }

        _servers = [.. servers];
    }

    public IReadOnlyList<Uri> Servers => _servers;

    /// <summary>The server dialled now.</summary>
    public Uri Current => _servers[Volatile.Read(ref _current)];

    /// <summary>Raised with the server that did not answer and the one dialled next.</summary>
    public event Action<Uri, Uri>? Moved;

    public ValueTask<Uri> GetAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Current);

    /// <summary>
    /// The addresses in <c>--server</c>'s form: http(s) addresses separated by commas. Null and an
    /// error when one is not such an address.
    /// </summary>
    public static (ServerFailover? Servers, string? Error) Parse(string? text)
    {
        var servers = new List<Uri>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                return (null, $"'{part}' is not an http(s) address");
            }

            servers.Add(uri);
        }

        return servers.Count == 0 ? (null, "no server address was given") : (new ServerFailover(servers), null);
    }

    /// <summary>A request or WebSocket to <paramref name="tried"/> failed to connect: the next dial goes to the next server (once, however many failed against it).</summary>
    public void Failed(Uri tried)
    {
        var index = Volatile.Read(ref _current);
        var server = _servers[index];
        if (_servers.Length < 2 || server.Host != tried.Host || server.Port != tried.Port)
        {
            return;
        }

        var next = (index + 1) % _servers.Length;
        if (Interlocked.CompareExchange(ref _current, next, index) == index)
        {
            Moved?.Invoke(server, _servers[next]);
        }
    }

    /// <summary><paramref name="uri"/> sent to the server dialled now (http, https, ws or wss alike).</summary>
    public Uri Route(Uri uri)
    {
        var server = Current;
        var webSocket = uri.Scheme is "ws" or "wss";
        return new UriBuilder(uri)
        {
            Scheme = webSocket ? (server.Scheme == "https" ? "wss" : "ws") : server.Scheme,
            Host = server.Host,
            Port = server.Port,
        }.Uri;
    }

    /// <summary>The hub connection's HTTP handler: sends to the server dialled now, and moves on when it cannot be reached.</summary>
    public HttpMessageHandler Handler(HttpMessageHandler inner) => new RoutingHandler(this) { InnerHandler = inner };

    /// <summary>The hub connection's WebSocket, to the server dialled now, with the connection's access token.</summary>
    public async ValueTask<WebSocket> ConnectWebSocketAsync(WebSocketConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        var uri = Route(context.Uri);
        try
        {
            if (context.Options.AccessTokenProvider is { } provider && await provider().ConfigureAwait(false) is { Length: > 0 } token)
            {
                socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
            }

            await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException)
        {
            socket.Dispose();
            Failed(uri);
            throw;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class RoutingHandler(ServerFailover failover) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = failover.Route(request.RequestUri!);
            request.RequestUri = uri;
            try
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (ex.StatusCode is null)
            {
                // No answer at all (refused, reset, unreachable): an answer with a status is the server's word and stays.
                failover.Failed(uri);
                throw;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failover.Failed(uri);
                throw;
            }
        }
    }
}
