using System.Diagnostics;
using System.Net.Sockets;

namespace Ringmaster.Web.Tests.Infrastructure;

/// <summary>
/// A Redis server of one test's own (Debian's <c>redis-server</c>): a free port on 127.0.0.1, nothing
/// kept on disk, stopped by <see cref="DisposeAsync"/> or, if the test process is killed first, by the
/// shell that started it, which waits for that process to end.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string Binary = "/usr/bin/redis-server";
    private readonly Process _shell;

    private RedisServer(Process shell, int port)
    {
        _shell = shell;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The setting Ringmaster:Redis takes to reach this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"Redis is not installed ({Binary} is missing): apt-get install redis-server (test.sh does).");
        }

        var port = RingmasterProcess.FreePort();
        var shell = WatchedServer.Start(Binary, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", "/tmp", "--protected-mode", "no", "--loglevel", "warning");
        var server = new RedisServer(shell, port);
        // Ready when it answers PING.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var buffer = new byte[16];
                var read = await stream.ReadAsync(buffer);
                if (System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return server;
                }
            }
            catch (SocketException) when (!shell.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
                continue;
            }
            catch (SocketException) when (!shell.HasExited)
            {
            }

            await server.DisposeAsync();
            throw new InvalidOperationException($"redis-server on port {port} did not start: {await shell.StandardError.ReadToEndAsync()}{await shell.StandardOutput.ReadToEndAsync()}");
        }
    }

    public async ValueTask DisposeAsync() => await WatchedServer.StopAsync(_shell);
}
