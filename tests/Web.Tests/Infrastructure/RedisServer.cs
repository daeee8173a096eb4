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
        var start = new ProcessStartInfo("setsid") { WorkingDirectory = "/", RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["bash", "-c",
            // Closes what this process inherited, runs the server, and stops it when the test process ends.
            "for fd in $(ls /proc/$$/fd); do if [ \"$fd\" -gt 2 ]; then eval \"exec $fd>&-\"; fi; done 2>/dev/null; " +
            "\"$2\" --port \"$3\" --bind 127.0.0.1 --save '' --appendonly no --dir /tmp --protected-mode no --loglevel warning & server=$!; " +
            "tail --pid=\"$1\" -f /dev/null & watcher=$!; wait -n; kill $server $watcher 2>/dev/null; wait",
            "bash", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), Binary, port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(arg);
        }

        var shell = Process.Start(start)!;
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

    public async ValueTask DisposeAsync()
    {
        if (!_shell.HasExited)
        {
            _shell.Kill(entireProcessTree: true);
        }

        await _shell.WaitForExitAsync();
        _shell.Dispose();
    }
}
