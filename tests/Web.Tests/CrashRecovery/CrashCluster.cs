using System.Diagnostics;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.CrashRecovery;

/// <summary>
/// The web (with or without its embedded agent) and standalone agents as real processes on one data
/// folder each, started once for a test class: the web is killed with -9 and started again on the
/// same data, as often as a test wants.
/// </summary>
public sealed class CrashCluster : IAsyncDisposable
{
    private readonly string _token = "crash-" + Guid.NewGuid().ToString("N");
    private readonly int _port = RingmasterProcess.FreePort();
    private readonly List<RingmasterProcess> _processes = [];
    private readonly Dictionary<string, string> _agentData = [];
    private readonly bool _embedded;

    private CrashCluster(bool embedded, string embeddedName)
    {
        _embedded = embedded;
        EmbeddedHost = embeddedName;
        Api = ApiClient.For(_port);
    }

    public string Root { get; } = Directory.CreateTempSubdirectory("ringmaster-crash-").FullName;

    public string Suffix { get; } = Guid.NewGuid().ToString("N")[..6];

    public ApiClient Api { get; }

    /// <summary>Whether the web runs an agent of its own (which dies with it).</summary>
    public bool Embedded => _embedded;

    /// <summary>The embedded agent's host (when the web runs one).</summary>
    public string EmbeddedHost { get; }

    public RingmasterProcess Web { get; private set; } = null!;

    /// <summary>Host name → id, once online.</summary>
    public Dictionary<string, Guid> Hosts { get; } = [];

    /// <summary>How many times the web was killed and started again.</summary>
    public int Restarts { get; private set; }

    public TimeSpan RestartTime { get; private set; }

    private string WebData => Path.Combine(Root, "web");

    /// <summary>The data folder of a host's agent.</summary>
    public string AgentData(string host) => _agentData[host];

    /// <summary>The web's database file (to read the events it recorded).</summary>
    public string Database => Path.Combine(WebData, "ringmaster.db");

    public static async Task<CrashCluster> StartAsync(bool embedded, params string[] agents)
    {
        var cluster = new CrashCluster(embedded, "embedded-" + Guid.NewGuid().ToString("N")[..6]);
        if (embedded)
        {
            cluster._agentData[cluster.EmbeddedHost] = Path.Combine(cluster.WebData, "agent");
        }

        cluster.StartWeb();
        foreach (var name in agents)
        {
            var host = $"{name}-{cluster.Suffix}";
            cluster._agentData[host] = Path.Combine(cluster.Root, host);
            cluster._processes.Add(RingmasterProcess.StartAgent(cluster._port, cluster._agentData[host], cluster._token, host));
        }

        await cluster.WaitOnlineAsync(TimeSpan.FromMinutes(2));
        return cluster;
    }

    public string Host(string name) => _agentData.Keys.Single(h => h == name || h == $"{name}-{Suffix}");

    private void StartWeb()
    {
        Web = RingmasterProcess.StartWeb(_port, WebData, _token, _embedded, new Dictionary<string, string?> { ["Agent__Name"] = EmbeddedHost });
        _processes.Add(Web);
    }

    /// <summary>
    /// kill -9 of the web (its embedded agent and that agent's VMs with it), then the web again on the
    /// same data, until every host is back; <paramref name="whileDown"/> runs between the two.
    /// </summary>
    public async Task KillAndRestartWebAsync(Func<Task>? whileDown = null)
    {
        var clock = Stopwatch.StartNew();
        Web.KillHard();
        if (whileDown is not null)
        {
            await whileDown();
        }

        StartWeb();
        await WaitOnlineAsync(TimeSpan.FromMinutes(2));
        Restarts++;
        RestartTime += clock.Elapsed;
    }

    private async Task WaitOnlineAsync(TimeSpan timeout)
    {
        var hosts = await HttpJson.EventuallyAsync(
            async () =>
            {
                try
                {
                    return await Api.GetAsync("/api/v1/hosts");
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
                {
                    return default;
                }
            },
            page => page.ValueKind == JsonValueKind.Object && _agentData.Keys.All(name =>
                page.GetProperty("items").EnumerateArray().Any(h => h.GetProperty("name").GetString() == name && h.GetProperty("online").GetBoolean())),
            timeout, "every host online");
        foreach (var host in hosts.GetProperty("items").EnumerateArray())
        {
            Hosts[host.GetProperty("name").GetString()!] = host.GetProperty("id").GetGuid();
        }
    }

    /// <summary>What the processes printed (for a failing test's message).</summary>
    public string Output => string.Join("\n----\n", _processes.Select(p => p.Output.Length > 20_000 ? p.Output[^20_000..] : p.Output));

    /// <summary>Everything every process printed.</summary>
    public string AllOutput => string.Join("\n", _processes.Select(p => p.Output));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        await PodmanCleanup.RemoveOwnedByAsync(Hosts.Values);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
