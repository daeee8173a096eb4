using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Ringmaster.Web.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server of the tests' own: a temporary data folder owned by <c>postgres</c> (initdb
/// refuses root), a free port on 127.0.0.1, no Unix socket, trust authentication on loopback only.
/// One per test process (<see cref="Shared"/>), stopped and deleted when the process ends; each test
/// app gets a database of its own on it (<see cref="NewConnectionString"/>), which the app creates.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private static readonly Lazy<PostgresServer> s_shared = new(Start);

    /// <summary>When set to <c>postgres</c>, every <see cref="RingmasterFactory"/> runs on PostgreSQL.</summary>
    public const string Switch = "RINGMASTER_TEST_DATABASE";

    public static bool Selected => string.Equals(Environment.GetEnvironmentVariable(Switch), "postgres", StringComparison.OrdinalIgnoreCase);

    public static PostgresServer Shared => s_shared.Value;

    private readonly string _folder;
    private bool _stopped;

    private PostgresServer(string folder, int port)
    {
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    private string DataDir => Path.Combine(_folder, "data");

    /// <summary>A connection string for a database that does not exist yet (the app's migrations create it).</summary>
    public string NewConnectionString(string prefix = "ringmaster") =>
        ConnectionString($"{prefix}_{Guid.NewGuid():N}");

    public string ConnectionString(string database) =>
        // Many test apps run at once, each with a pool of its own: small pools that let idle connections go.
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Maximum Pool Size=20;Connection Idle Lifetime=5;Connection Pruning Interval=2";

    /// <summary>Closes the idle connections of <paramref name="connectionString"/>'s pool (when its app has stopped).</summary>
    public static void Release(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        NpgsqlConnection.ClearPool(connection);
    }

    /// <summary>Whether <paramref name="database"/> exists on this server.</summary>
    public async Task<bool> ExistsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", connection);
        command.Parameters.AddWithValue("name", database);
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }

    private static PostgresServer Start()
    {
        if (!File.Exists(Path.Combine(Bin, "initdb")))
        {
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({Bin}/initdb is missing): apt-get install postgresql (test.sh does).");
        }

        RemoveLeftovers();

        // Under /tmp, not the caller's home: the postgres user must reach every folder of the path.
        var folder = Directory.CreateTempSubdirectory("ringmaster-pg-").FullName;
        Run("chmod", "711", folder);
        var port = FreePort();
        var server = new PostgresServer(folder, port);
        try
        {
            Directory.CreateDirectory(server.DataDir);
            Run("chown", "postgres:postgres", server.DataDir);
            AsPostgres("initdb", "-D", server.DataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8");
            File.AppendAllText(Path.Combine(server.DataDir, "postgresql.conf"),
                $"\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = ''\nmax_connections = 1000\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
            // Through a shell that closes what this process inherited (a lock file a caller holds, say):
            // the server outlives the call, and must not keep such a file open after the tests end.
            Run("bash", ["-c", CloseInherited + "exec \"$@\"", "bash", "runuser", "-u", "postgres", "--",
                Path.Combine(Bin, "pg_ctl"), "-D", server.DataDir, "-l", Path.Combine(server.DataDir, "server.log"), "-w", "-t", "60", "start"]);
            server.StopWhenGone(Environment.ProcessId);
        }
        catch
        {
            server.Dispose();
            throw;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return server;
    }

    /// <summary>Closes every descriptor above stderr in the shell that runs this before its command.</summary>
    private const string CloseInherited = "for fd in $(ls /proc/$$/fd); do if [ \"$fd\" -gt 2 ]; then eval \"exec $fd>&-\"; fi; done 2>/dev/null; ";

    /// <summary>
    /// A watcher in a session of its own that stops the server and deletes its folder once
    /// <paramref name="pid"/> has ended: the test host is killed at the end of a run, before its
    /// <see cref="AppDomain.ProcessExit"/> handlers can stop the server.
    /// </summary>
    private void StopWhenGone(int pid)
    {
        var start = new ProcessStartInfo("setsid") { WorkingDirectory = "/", RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["bash", "-c",
            CloseInherited + "exec </dev/null >/dev/null 2>&1; tail --pid=\"$1\" -f /dev/null; " +
            "runuser -u postgres -- \"$2/pg_ctl\" -D \"$3\" -m immediate -w stop; rm -rf \"$4\"",
            "bash", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), Bin, DataDir, _folder])
        {
            start.ArgumentList.Add(arg);
        }

        using var watcher = Process.Start(start)!;
    }

    /// <summary>Stops the server and deletes its folder.</summary>
    public void Dispose()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        try
        {
            if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
            {
                AsPostgres("pg_ctl", "-D", DataDir, "-m", "immediate", "-w", "stop");
            }
        }
        finally
        {
            Remove(_folder);
        }
    }

    /// <summary>Folders of earlier runs whose server is down (a test process ended before deleting its own).</summary>
    private static void RemoveLeftovers()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), "ringmaster-pg-*"))
        {
            if (!File.Exists(Path.Combine(folder, "data", "postmaster.pid")))
            {
                Remove(folder);
            }
        }
    }

    private static void Remove(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void AsPostgres(string tool, params string[] args) =>
        Run("runuser", ["-u", "postgres", "--", Path.Combine(Bin, tool), .. args]);

    private static void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 120 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {error.Result}{output.Result}");
        }
    }
}
