using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ringmaster.Core.Contracts;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>
/// Runs containers through an engine that speaks the Docker Engine API (Podman's socket or Docker's).
/// The driver keeps no state of its own: every container it makes carries the labels
/// <c>ringmaster.id</c>, <c>ringmaster.name</c>, <c>ringmaster.kind</c>, <c>ringmaster.image</c> and
/// <c>ringmaster.spec</c> (plus the user's labels as <c>ringmaster.label.*</c>), so a new driver
/// instance after an agent restart lists the same guests.
/// Split by concern: lifecycle, images, console, metrics.
/// </summary>
public sealed partial class ContainerDriver : IGuestDriver, IDisposable
{
    internal const string IdLabel = "ringmaster.id";
    internal const string NameLabel = "ringmaster.name";
    internal const string KindLabel = "ringmaster.kind";
    internal const string ImageLabel = "ringmaster.image";
    internal const string SpecLabel = "ringmaster.spec";
    internal const string UserLabelPrefix = "ringmaster.label.";
    internal const string HostLabel = "ringmaster.host";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly ContainerDriverOptions _options;
    private readonly ContainerEngineLocator _locator;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private ContainerEngine? _engine;

    public ContainerDriver(ContainerDriverOptions options, ILogger<ContainerDriver>? logger = null)
    {
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _locator = new ContainerEngineLocator(options, _logger);
    }

    public MachineKind Kind => MachineKind.Container;

    public async Task<DriverAvailability> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var info = await GetEngineInfoAsync(cancellationToken);
            return new DriverAvailability(true, $"{info.Name} {info.Version} at {info.Endpoint}");
        }
        catch (GuestException e)
        {
            return new DriverAvailability(false, e.Message);
        }
    }

    /// <summary>Which engine the driver talks to (for the host's capabilities). Connects on first use.</summary>
    public async Task<ContainerEngineInfo> GetEngineInfoAsync(CancellationToken cancellationToken) =>
        (await EngineAsync(cancellationToken)).Info;

    public void Dispose()
    {
        _engine?.Dispose();
        _connectLock.Dispose();
        _imageLock.Dispose();
    }

    private async Task<ContainerEngine> EngineAsync(CancellationToken cancellationToken)
    {
        if (_engine is { } engine)
        {
            return engine;
        }

        await _connectLock.WaitAsync(cancellationToken);
        try
        {
            if (_engine is null)
            {
                _engine = await _locator.LocateAsync(cancellationToken);
                _logger.LogInformation("Container driver uses {Engine} {Version} at {Endpoint}", _engine.Info.Name, _engine.Info.Version, _engine.Info.Endpoint);
            }

            return _engine;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task<DockerClient> ClientAsync(CancellationToken cancellationToken) => (await EngineAsync(cancellationToken)).Client;

    /// <summary>Runs one engine call and turns what can go wrong into a <see cref="GuestException"/> with a plain message.</summary>
    private async Task<T> CallAsync<T>(string what, Func<DockerClient, Task<T>> call, CancellationToken cancellationToken)
    {
        var engine = await EngineAsync(cancellationToken);
        try
        {
            return await call(engine.Client);
        }
        catch (DockerApiException e)
        {
            throw new GuestException($"{what}: {EngineMessage(e)}", e);
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            throw new GuestException($"Container engine not reachable at {engine.Info.Endpoint}: {e.GetBaseException().Message}", e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GuestException($"{what}: the container engine at {engine.Info.Endpoint} did not answer in time.");
        }
    }

    private Task CallAsync(string what, Func<DockerClient, Task> call, CancellationToken cancellationToken) =>
        CallAsync<bool>(what, async client => { await call(client); return true; }, cancellationToken);

    private static bool IsUnreachable(Exception e) =>
        e is HttpRequestException or SocketException or IOException || e.InnerException is SocketException or IOException;

    /// <summary>The engine's own words: its JSON error's <c>message</c>, else the body, else the status.</summary>
    internal static string EngineMessage(DockerApiException e)
    {
        var body = e.ResponseBody?.Trim();
        if (!string.IsNullOrEmpty(body) && body.StartsWith('{'))
        {
            try
            {
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text)
                {
                    return text;
                }
            }
            catch (JsonException)
            {
            }
        }

        return string.IsNullOrEmpty(body) ? $"{(int)e.StatusCode} {e.StatusCode}" : body;
    }

    /// <summary>The container made for <paramref name="id"/>, or null.</summary>
    private async Task<ContainerListResponse?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        var found = await CallAsync(
            $"Could not look up guest {id}",
            client => client.Containers.ListContainersAsync(
                new ContainersListParameters
                {
                    All = true,
                    Filters = new Dictionary<string, IDictionary<string, bool>>
                    {
                        ["label"] = OwnedLabels(id),
                    },
                },
                cancellationToken),
            cancellationToken);
        return found.FirstOrDefault();
    }

    /// <summary>
    /// The labels that pick this agent's container of a guest. Two agents may share one engine (a
    /// container moved between them exists twice for a moment), so the owner counts too.
    /// </summary>
    private Dictionary<string, bool> OwnedLabels(Guid id)
    {
        var labels = new Dictionary<string, bool> { [$"{IdLabel}={id}"] = true };
        if (_options.Owner is { } owner)
        {
            labels[$"{HostLabel}={owner}"] = true;
        }

        return labels;
    }

    private async Task<ContainerListResponse> GetAsync(Guid id, CancellationToken cancellationToken) =>
        await FindAsync(id, cancellationToken) ?? throw new GuestNotFoundException(id);

    private async Task<GuestInfo> InfoAsync(Guid id, CancellationToken cancellationToken) =>
        ToInfo(await GetAsync(id, cancellationToken));

    internal static GuestInfo ToInfo(ContainerListResponse container)
    {
        var labels = container.Labels ?? new Dictionary<string, string>();
        var id = Guid.Parse(labels[IdLabel]);
        var name = labels.TryGetValue(NameLabel, out var n) ? n : container.Names?.FirstOrDefault()?.TrimStart('/') ?? id.ToString();
        var image = labels.TryGetValue(ImageLabel, out var i) ? i : container.Image;
        MachineSpec spec = new(0, 0, [], []);
        if (labels.TryGetValue(SpecLabel, out var specJson))
        {
            try
            {
                spec = JsonSerializer.Deserialize<MachineSpec>(specJson, s_json) ?? spec;
            }
            catch (JsonException)
            {
            }
        }

        var userLabels = labels
            .Where(l => l.Key.StartsWith(UserLabelPrefix, StringComparison.Ordinal))
            .ToDictionary(l => l.Key[UserLabelPrefix.Length..], l => l.Value);
        var (state, detail) = MapState(container.State, container.Status);
        return new GuestInfo(id, name, MachineKind.Container, state, image, spec, userLabels, detail);
    }

    /// <summary>The engine's state in the machine's terms; the engine's own status line goes in the detail.</summary>
    internal static (MachineState State, string? Detail) MapState(string? engineState, string? status) =>
        engineState?.ToLowerInvariant() switch
        {
            "created" or "configured" or "initialized" or "exited" or "stopped" => (MachineState.Stopped, status),
            "running" => (MachineState.Running, status),
            "stopping" => (MachineState.Stopping, status),
            "restarting" => (MachineState.Starting, status),
            "removing" => (MachineState.Stopping, $"The engine is removing it: {status}"),
            "paused" => (MachineState.Paused, status),
            "dead" => (MachineState.Error, $"The container is dead: {status}"),
            _ => (MachineState.Error, $"Unexpected container state '{engineState}': {status}"),
        };

    private static bool IsNotFound(DockerApiException e) => e is DockerContainerNotFoundException || e.StatusCode == HttpStatusCode.NotFound;

    /// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, so what it saw is there when the call returns.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
