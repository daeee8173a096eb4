using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ringmaster.Shared;

namespace Ringmaster.Web.Tests.Infrastructure;

/// <summary>A real Ringmaster process (web or agent) started from the build output, its output kept for diagnostics.</summary>
public sealed class RingmasterProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RingmasterProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The process id (its command line is /proc/{Id}/cmdline).</summary>
    public int Id => _process.Id;

    public int ExitCode => _process.ExitCode;

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public static string RepoRoot { get; } = SourceCheckout.Root ?? throw new InvalidOperationException("Console.sln not found above the test assembly.");

    /// <summary>Debug or Release: whatever this test assembly was built as.</summary>
    public static string Configuration { get; } = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string WebDll => Path.Combine(RepoRoot, "src/Web/bin", Configuration, "net10.0/Ringmaster.Web.dll");

    public static string AgentDll => Path.Combine(RepoRoot, "src/Agents/bin", Configuration, "net10.0/ringmaster-agent.dll");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static RingmasterProcess StartWeb(int port, string dataPath, string joinToken, bool embeddedAgent = false, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["RINGMASTER_DATA"] = dataPath,
            ["RINGMASTER_JOIN_TOKEN"] = joinToken,
            ["RINGMASTER_BOOTSTRAP_TOKEN"] = TestAccess.BootstrapToken,
            ["RINGMASTER_ADMIN_PASSWORD"] = TestAccess.AdminPassword,
            ["Agent__Embedded"] = embeddedAgent ? "true" : "false",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        return Start(WebDll, [$"--urls=http://127.0.0.1:{port}"], environment);
    }

    public static RingmasterProcess StartAgent(int port, string dataPath, string token, string name, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["RINGMASTER_JOIN_TOKEN"] = null,
            ["DOTNET_ENVIRONMENT"] = "Production",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        return Start(AgentDll, ["--server", $"http://127.0.0.1:{port}", "--token", token, "--data", dataPath, "--name", name], environment);
    }

    /// <summary>An agent with exactly these arguments and environment changes (a null value removes a variable).</summary>
    public static RingmasterProcess StartAgentWith(IEnumerable<string> args, Dictionary<string, string?> environment)
    {
        environment.TryAdd("RINGMASTER_JOIN_TOKEN", null);
        environment.TryAdd("DOTNET_ENVIRONMENT", "Production");
        return Start(AgentDll, args, environment);
    }

    private static RingmasterProcess Start(string dll, IEnumerable<string> args, Dictionary<string, string?> environment)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the solution first: {dll} is missing.", dll);
        }

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        return new RingmasterProcess(Process.Start(info)!);
    }

    /// <summary>kill -9: no chance to clean up, as when a host dies.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGSTOP or SIGCONT: the process stands still (it neither reads nor answers) until continued.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
        kill.WaitForExit();
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        KillHard();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
