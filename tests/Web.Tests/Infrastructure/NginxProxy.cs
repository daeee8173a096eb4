using System.Diagnostics;
using System.Net.Sockets;

namespace Ringmaster.Web.Tests.Infrastructure;

/// <summary>
/// Debian's nginx in front of two web nodes, with the configuration the project ships
/// (<c>deploy/nginx.conf</c>) and only its addresses changed: the upstream's two servers become the
/// nodes' loopback ports, and it listens on a free port of 127.0.0.1. Its folder is a temporary one;
/// it stops with <see cref="DisposeAsync"/> or, if the test process is killed first, with that process.
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/nginx";
    private readonly Process _shell;
    private readonly string _folder;

    private NginxProxy(Process shell, string folder, int port)
    {
        _shell = shell;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>What nginx logged as errors (a node it found down, say).</summary>
    public string ErrorLog => File.Exists(Path.Combine(_folder, "error.log")) ? File.ReadAllText(Path.Combine(_folder, "error.log")) : "";

    public static async Task<NginxProxy> StartAsync(int nodeA, int nodeB)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"nginx is not installed ({Binary} is missing): apt-get install nginx (test.sh does).");
        }

        var shipped = await File.ReadAllTextAsync(Path.Combine(RingmasterProcess.RepoRoot, "deploy", "nginx.conf"));
        var port = RingmasterProcess.FreePort();
        var site = Replace(Replace(Replace(shipped, "server web-a:5080", $"server 127.0.0.1:{nodeA}"), "server web-b:5080", $"server 127.0.0.1:{nodeB}"),
            "listen 80;", $"listen 127.0.0.1:{port};");
        var folder = Directory.CreateTempSubdirectory("ringmaster-nginx-").FullName;
        // deploy/nginx.conf is a site (conf.d); around it, what the package's nginx.conf would give.
        await File.WriteAllTextAsync(Path.Combine(folder, "nginx.conf"), $$"""
            user root;
            worker_processes 1;
            pid {{folder}}/nginx.pid;
            error_log {{folder}}/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path {{folder}}/body;
                proxy_temp_path {{folder}}/proxy;
            {{site}}
            }
            """);

        var proxy = new NginxProxy(WatchedServer.Start(Binary, "-p", folder, "-c", Path.Combine(folder, "nginx.conf"), "-g", "daemon off;"), folder, port);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return proxy;
            }
            catch (SocketException) when (!proxy._shell.HasExited && waited.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                var log = proxy.ErrorLog + await proxy._shell.StandardError.ReadToEndAsync();
                await proxy.DisposeAsync();
                throw new InvalidOperationException($"nginx did not listen on {port}: {log}");
            }
        }
    }

    private static string Replace(string text, string what, string with) =>
        text.Contains(what, StringComparison.Ordinal) ? text.Replace(what, with, StringComparison.Ordinal)
            : throw new InvalidOperationException($"deploy/nginx.conf no longer has '{what}': this proxy cannot aim it at the test's nodes.");

    public async ValueTask DisposeAsync()
    {
        await WatchedServer.StopAsync(_shell);
        Directory.Delete(_folder, recursive: true);
    }
}
