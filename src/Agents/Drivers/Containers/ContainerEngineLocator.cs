using System.Diagnostics;
using System.Net.Sockets;
using Docker.DotNet;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ringmaster.Contracts;
using Ringmaster.Shared;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>A connection to a container engine that answered, and what it is.</summary>
public sealed class ContainerEngine(DockerClient client, ContainerEngineInfo info) : IDisposable
{
    public DockerClient Client { get; } = client;

    public ContainerEngineInfo Info { get; } = info;

    public void Dispose() => Client.Dispose();
}

/// <summary>
/// Finds a container engine that speaks the Docker Engine API: the configured endpoint (option or
/// <see cref="ContainerDriverOptions.EndpointVariable"/>) when there is one, else Podman's root
/// socket, Docker's socket, and the user's Podman socket, in that order. When none answers and
/// <c>podman</c> is installed, it starts <c>podman system service</c> as a child process and waits
/// for it.
/// </summary>
public sealed class ContainerEngineLocator(ContainerDriverOptions options, ILogger<ContainerEngineLocator>? logger = null, PodmanServices? services = null)
{
    private readonly ContainerDriverOptions _options = options;
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>The Podman services this locator (and every other of its agent) started.</summary>
    public PodmanServices Services { get; } = services ?? new PodmanServices();

    /// <summary>What a host without Podman or Docker says, with what fixes it.</summary>
    public const string PodmanMissing = "Podman is not installed; run `sudo bash scripts/setup-podman.sh`";

    /// <summary>The endpoints tried, in order.</summary>
    public IReadOnlyList<string> Candidates()
    {
        if (ConfiguredEndpoint() is { } configured)
        {
            return [configured];
        }

        var candidates = new List<string> { "unix://" + _options.PodmanSocketPath, "unix:///var/run/docker.sock" };
        var runtimeDir = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        if (!string.IsNullOrEmpty(runtimeDir))
        {
            candidates.Add("unix://" + Path.Combine(runtimeDir, "podman", "podman.sock"));
        }

        return candidates.Distinct().ToList();
    }

    /// <summary>Connects to the first engine that answers, starting Podman's service when needed.</summary>
    /// <exception cref="GuestException">No engine answers, and none could be started.</exception>
    public async Task<ContainerEngine> LocateAsync(CancellationToken cancellationToken)
    {
        var candidates = Candidates();
        var failures = new List<string>();
        foreach (var endpoint in candidates)
        {
            var (engine, failure) = await TryConnectAsync(endpoint, cancellationToken);
            if (engine is not null)
            {
                return engine;
            }

            failures.Add($"{endpoint}: {failure}");
        }

        // A configured engine that takes connections but did not answer in time is busy (a loaded
        // machine, a first start), not missing: give it the start timeout before saying it is down.
        if (ConfiguredEndpoint() is { } configured && Uri.TryCreate(configured, UriKind.Absolute, out var socket) && socket.Scheme == "unix"
            && await AcceptsConnectionsAsync(socket.LocalPath, cancellationToken))
        {
            _logger.LogInformation("The container engine at {Endpoint} answers slowly; waiting for it", configured);
            return await WaitForAnswerAsync(configured, null, $"it takes connections but did not answer within {_options.EngineStartTimeout.TotalSeconds:0} s", cancellationToken);
        }

        if (ConfiguredEndpoint() is not null || !_options.StartPodmanService)
        {
            throw new GuestException($"Container engine not reachable at {string.Join("; ", failures)}");
        }

        if (Common.Programs.Find(_options.Podman) is not { } podman)
        {
            _logger.LogDebug("No container engine answers: {Failures}", string.Join("; ", failures));
            throw new GuestException(PodmanMissing);
        }

        return await StartPodmanServiceAsync(podman, cancellationToken);
    }

    private string? ConfiguredEndpoint()
    {
        var configured = _options.Endpoint ?? Environment.GetEnvironmentVariable(ContainerDriverOptions.EndpointVariable);
        return string.IsNullOrWhiteSpace(configured) ? null : configured.Trim();
    }

    private async Task<ContainerEngine> StartPodmanServiceAsync(string podman, CancellationToken cancellationToken)
    {
        var endpoint = "unix://" + _options.PodmanSocketPath;
        await Services.Lock.WaitAsync(cancellationToken);
        try
        {
            // Another driver may have started it while this one waited.
            var (engine, _) = await TryConnectAsync(endpoint, cancellationToken);
            if (engine is not null)
            {
                return engine;
            }

            // A service that takes connections but did not answer in time is busy (a loaded machine), not
            // missing: a second one would take its socket from under it (and the next slow answer a third).
            var service = Services.Find(_options.PodmanSocketPath);
            if (service is not { HasExited: false } && await AcceptsConnectionsAsync(_options.PodmanSocketPath, cancellationToken))
            {
                _logger.LogInformation("A service listens on {Endpoint} but answers slowly; waiting for it", endpoint);
                return await WaitForAnswerAsync(endpoint, null, $"a service listens on {endpoint} but did not answer within {_options.EngineStartTimeout.TotalSeconds:0} s", cancellationToken);
            }

            if (service is not { HasExited: false })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_options.PodmanSocketPath)!);
                File.Delete(_options.PodmanSocketPath);
                var log = WritableLogPath();

                // The shell only sets up the redirection (and gives back the umask the agent was started
                // with: the engine's storage is not ours to make private), then becomes podman: the
                // service is our child, writes to a file rather than to a pipe of ours, and outlives
                // the agent if it must.
                var start = new ProcessStartInfo("/bin/sh")
                {
                    ArgumentList = { "-c", PrivateData.ShellUmask + "exec \"$0\" system service --time=0 \"$1\" >>\"$2\" 2>&1 </dev/null", podman, endpoint, log },
                    UseShellExecute = false,
                };
                InheritedDescriptors.MarkCloseOnExec();
                service = Process.Start(start) ?? throw new GuestException($"Could not start '{podman} system service'.");
                Services.Add(_options.PodmanSocketPath, service);
                _logger.LogInformation("Started podman system service (pid {Pid}) on {Endpoint}; its log is {Log}", service.Id, endpoint, log);
            }

            return await WaitForAnswerAsync(endpoint, service, $"podman system service did not answer within {_options.EngineStartTimeout.TotalSeconds:0} s", cancellationToken);
        }
        finally
        {
            Services.Lock.Release();
        }
    }

    /// <summary>Waits up to the start timeout for the engine at <paramref name="endpoint"/> to answer (each try may take what is left of it).</summary>
    private async Task<ContainerEngine> WaitForAnswerAsync(string endpoint, Process? service, string timedOut, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        string? failure = null;
        while (deadline.Elapsed < _options.EngineStartTimeout)
        {
            if (service is { HasExited: true })
            {
                throw new GuestException(
                    $"podman system service exited with code {service.ExitCode} before answering on {endpoint}; see {WritableLogPath()}.");
            }

            var left = _options.EngineStartTimeout - deadline.Elapsed;
            (var engine, failure) = await TryConnectAsync(endpoint, cancellationToken, left > _options.ProbeTimeout ? left : _options.ProbeTimeout);
            if (engine is not null)
            {
                return engine;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new GuestException($"Container engine not reachable at {endpoint}: {timedOut} ({failure}); see {WritableLogPath()}.");
    }

    /// <summary>Whether something accepts connections on the Unix socket at <paramref name="path"/>.</summary>
    private static async Task<bool> AcceptsConnectionsAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connect.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), connect.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A full backlog: a listener that is behind, not a missing one.
            return true;
        }
    }

    private async Task<(ContainerEngine? Engine, string? Failure)> TryConnectAsync(string endpoint, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        Uri uri;
        try
        {
            uri = new Uri(endpoint);
        }
        catch (UriFormatException e)
        {
            return (null, $"not an endpoint ({e.Message})");
        }

        if (uri.Scheme == "unix" && !File.Exists(uri.LocalPath))
        {
            return (null, "no such socket");
        }

        // Long requests (stop with a grace period, pulls) carry their own cancellation; this bounds the rest.
        var configuration = new DockerClientConfiguration(uri, defaultTimeout: TimeSpan.FromMinutes(10));
        var client = configuration.CreateClient();
        using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var limit = timeout ?? _options.ProbeTimeout;
        probe.CancelAfter(limit);
        try
        {
            var version = await client.System.GetVersionAsync(probe.Token);
            var component = version.Components?.FirstOrDefault();
            var name = component?.Name switch
            {
                { } n when n.Contains("podman", StringComparison.OrdinalIgnoreCase) => "podman",
                { } n when n.Equals("Engine", StringComparison.OrdinalIgnoreCase) => "docker",
                { } n => n,
                null => "docker",
            };
            var info = new ContainerEngineInfo(name, component?.Version ?? version.Version, endpoint);
            return (new ContainerEngine(client, info), null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            return (null, e is OperationCanceledException ? $"no answer within {limit.TotalSeconds:0.#} s" : e.GetBaseException().Message);
        }
    }

    private string WritableLogPath()
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_options.PodmanServiceLogPath)!);
            using (File.Open(_options.PodmanServiceLogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
            {
            }

            return _options.PodmanServiceLogPath;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Path.Combine(Path.GetTempPath(), "ringmaster-podman-service.log");
        }
    }

}
