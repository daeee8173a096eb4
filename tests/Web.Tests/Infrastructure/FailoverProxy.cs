using System.Net;
using System.Net.Sockets;

namespace Ringmaster.Web.Tests.Infrastructure;

/// <summary>
/// A TCP proxy in front of several web nodes, as a load balancer that skips a node that refuses
/// connections would be: each connection it accepts goes to the first node (in the given order)
/// that accepts it, and is closed when either side closes. A node that dies takes its connections
/// with it; the clients' next connections reach the next node.
/// </summary>
public sealed class FailoverProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int[] _nodes;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public FailoverProxy(params int[] nodes)
    {
        _nodes = nodes;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var upstream = await ConnectAsync();
            if (upstream is null)
            {
                return;
            }

            using (upstream)
            {
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var down = client.GetStream();
                var up = upstream.GetStream();
                var first = await Task.WhenAny(CopyAsync(down, up, done.Token), CopyAsync(up, down, done.Token));
                await done.CancelAsync();
                await first;
            }
        }
    }

    private async Task<TcpClient?> ConnectAsync()
    {
        foreach (var port in _nodes)
        {
            var upstream = new TcpClient();
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, port, _stop.Token);
                return upstream;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                upstream.Dispose();
            }
        }

        return null;
    }

    private static async Task CopyAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
