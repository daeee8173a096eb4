using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>
/// The container engine's guests, shared by the container capability classes: the connection to an
/// engine that speaks the Docker Engine API (Podman's socket or Docker's), made on first use, and
/// the calls every capability makes. The driver keeps no state of its own: every container it makes
/// carries the labels of <see cref="GuestLabels"/>, so a new instance after an agent restart lists
/// the same guests.
/// </summary>
public sealed partial class ContainerEngineClient(ContainerDriverOptions options, ContainerEngineLocator locator, ILogger<ContainerEngineClient> logger) : IDisposable
{
    internal const string SnapshotRepository = "localhost/ringmaster-snapshots";
    internal const string CloneRepository = "localhost/ringmaster-clones";
    internal const string RestoreRepository = "localhost/ringmaster-restores";
    internal const string SnapshotOfLabel = "ringmaster.snapshot.of";

    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _startedAt = new();
    private ContainerEngine? _engine;

    internal ContainerDriverOptions Options => options;

    /// <summary>Which engine the driver talks to (for the host's capabilities). Connects on first use.</summary>
    public async Task<ContainerEngineInfo> GetEngineInfoAsync(CancellationToken cancellationToken) =>
        (await EngineAsync(cancellationToken)).Info;

    public void Dispose()
    {
        _engine?.Dispose();
        _connectLock.Dispose();
    }

    internal async Task<ContainerEngine> EngineAsync(CancellationToken cancellationToken)
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
                _engine = await locator.LocateAsync(cancellationToken);
                logger.LogInformation("Container driver uses {Engine} {Version} at {Endpoint}", _engine.Info.Name, _engine.Info.Version, _engine.Info.Endpoint);
            }

            return _engine;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    internal async Task<DockerClient> ClientAsync(CancellationToken cancellationToken) => (await EngineAsync(cancellationToken)).Client;

    /// <summary>Runs one engine call and turns what can go wrong into a <see cref="GuestException"/> with a plain message.</summary>
    internal async Task<T> CallAsync<T>(string what, Func<DockerClient, Task<T>> call, CancellationToken cancellationToken)
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

    internal Task CallAsync(string what, Func<DockerClient, Task> call, CancellationToken cancellationToken) =>
        CallAsync<bool>(what, async client => { await call(client); return true; }, cancellationToken);

    internal static bool IsUnreachable(Exception e) =>
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
    internal async Task<ContainerListResponse?> FindAsync(Guid id, CancellationToken cancellationToken)
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
    internal Dictionary<string, bool> OwnedLabels(Guid id)
    {
        var labels = new Dictionary<string, bool> { [$"{GuestLabels.Id}={id}"] = true };
        if (options.Owner is { } owner)
        {
            labels[$"{GuestLabels.Host}={owner}"] = true;
        }

        return labels;
    }

    internal async Task<ContainerListResponse> GetAsync(Guid id, CancellationToken cancellationToken) =>
        await FindAsync(id, cancellationToken) ?? throw new GuestNotFoundException(id);

    internal async Task<GuestInfo> InfoAsync(Guid id, CancellationToken cancellationToken) =>
        await WithStartAsync(await GetAsync(id, cancellationToken), fresh: true, cancellationToken);

    /// <summary>
    /// The guest after a command changed its container <paramref name="containerId"/>. Podman's list
    /// leaves out a container whose state it cannot read at that moment (one being cleaned up after a
    /// stop, on a loaded host), so a container missing from the list but still there when inspected is
    /// listed again until it shows, for at most <see cref="s_settle"/>.
    /// </summary>
    internal async Task<GuestInfo> InfoAfterChangeAsync(Guid id, string containerId, CancellationToken cancellationToken)
    {
        var settled = DateTime.UtcNow + s_settle;
        while (true)
        {
            if (await FindAsync(id, cancellationToken) is { } found)
            {
                return await WithStartAsync(found, fresh: true, cancellationToken);
            }

            if (DateTime.UtcNow > settled || !await ExistsAsync(containerId, cancellationToken))
            {
                throw new GuestNotFoundException(id);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(30);

    private async Task<bool> ExistsAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            await (await ClientAsync(cancellationToken)).Containers.InspectContainerAsync(containerId, cancellationToken);
            return true;
        }
        catch (DockerApiException e) when (IsNotFound(e))
        {
            return false;
        }
    }

    /// <summary>
    /// The guest with the time its container started running. The engine's list does not say it (its
    /// status only says "Up 2 minutes", an age that is stale as soon as it is kept), so it comes from
    /// inspecting the container: once per run in a listing, again whenever a command asks
    /// (<paramref name="fresh"/>: the container may have been started again since).
    /// </summary>
    internal async Task<GuestInfo> WithStartAsync(ContainerListResponse container, bool fresh, CancellationToken cancellationToken)
    {
        var info = ToInfo(container);
        if (info.State is not (MachineState.Running or MachineState.Paused))
        {
            _startedAt.TryRemove(container.ID, out _);
            return info;
        }

        if (fresh || !_startedAt.TryGetValue(container.ID, out var startedAt))
        {
            try
            {
                var inspected = await (await ClientAsync(cancellationToken)).Containers.InspectContainerAsync(container.ID, cancellationToken);
                if (ParseTime(inspected.State?.StartedAt) is not { } parsed)
                {
                    return info;
                }

                startedAt = _startedAt[container.ID] = parsed;
            }
            catch (DockerApiException e)
            {
                logger.LogDebug(e, "Could not inspect container {Container} for its start time", container.ID);
                return info;
            }
        }

        return info with { StartedAt = startedAt };
    }

    /// <summary>The engine's time ("2026-12-06T20:01:02.123456789Z", nanoseconds and all); null for none or the zero time.</summary>
    internal static DateTimeOffset? ParseTime(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        // .NET reads at most seven digits of a second's fraction.
        var trimmed = LongFraction().Replace(text, m => m.Value[..8]);
        return DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && at.Year > 1
            ? at.ToUniversalTime()
            : null;
    }

    [GeneratedRegex(@"\.\d{8,}")]
    private static partial Regex LongFraction();

    internal static GuestInfo ToInfo(ContainerListResponse container)
    {
        var labels = container.Labels ?? new Dictionary<string, string>();
        var id = Guid.Parse(labels[GuestLabels.Id]);
        var name = labels.TryGetValue(GuestLabels.Name, out var n) ? n : container.Names?.FirstOrDefault()?.TrimStart('/') ?? id.ToString();
        var image = labels.TryGetValue(GuestLabels.Image, out var i) ? i : container.Image;
        MachineSpec spec = new(0, 0, [], []);
        if (labels.TryGetValue(GuestLabels.Spec, out var specJson))
        {
            try
            {
                spec = JsonSerializer.Deserialize<MachineSpec>(specJson, GuestLabels.Json) ?? spec;
            }
            catch (JsonException)
            {
            }
        }

        var userLabels = labels
            .Where(l => l.Key.StartsWith(GuestLabels.UserPrefix, StringComparison.Ordinal))
            .ToDictionary(l => l.Key[GuestLabels.UserPrefix.Length..], l => l.Value);
        var (state, detail) = MapState(container.State, container.Status);
        return new GuestInfo(id, name, MachineKind.Container, state, image, spec, userLabels, detail);
    }

    /// <summary>
    /// The engine's state in the machine's terms. The engine's status line ("Up 2 minutes",
    /// "Exited (0) 5 seconds ago") tells a time relative to when it was listed, and the detail is kept
    /// until the state changes: it would say "Up Less than a second" for hours. So the detail holds only
    /// what does not age: nothing where the state says it all, the exit code of an exited container, and
    /// the status of an unusual state.
    /// </summary>
    internal static (MachineState State, string? Detail) MapState(string? engineState, string? status) =>
        engineState?.ToLowerInvariant() switch
        {
            "exited" or "stopped" => (MachineState.Stopped, ExitCode(status)),
            "created" or "configured" or "initialized" => (MachineState.Stopped, null),
            "running" => (MachineState.Running, null),
            "stopping" => (MachineState.Stopping, null),
            "restarting" => (MachineState.Starting, null),
            "removing" => (MachineState.Stopping, "The engine is removing it."),
            "paused" => (MachineState.Paused, null),
            "dead" => (MachineState.Error, $"The container is dead: {status}"),
            _ => (MachineState.Error, $"Unexpected container state '{engineState}': {status}"),
        };

    /// <summary>"Exited (137) 3 minutes ago" → "Exited (137)": the code stays true, the time does not.</summary>
    private static string? ExitCode(string? status) =>
        status is null ? null : ExitedPattern().Match(status) is { Success: true } m ? m.Value : null;

    [GeneratedRegex(@"^Exited \(-?\d+\)")]
    private static partial Regex ExitedPattern();

    internal static bool IsNotFound(DockerApiException e) => e is DockerContainerNotFoundException || e.StatusCode == HttpStatusCode.NotFound;

    internal static ContainersListParameters LabelFilter(string label) => new()
    {
        All = true,
        Filters = new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool> { [label] = true },
        },
    };

    internal async Task EnsureNameFreeAsync(string name, CancellationToken cancellationToken)
    {
        var holder = await CallAsync(
            $"Could not check whether the name '{name}' is free",
            async client =>
            {
                try
                {
                    return await client.Containers.InspectContainerAsync(name, cancellationToken);
                }
                catch (DockerApiException e) when (IsNotFound(e))
                {
                    return null;
                }
            },
            cancellationToken);

        // Inspect also matches id prefixes; only the exact name counts.
        if (holder is null || holder.Name?.TrimStart('/') != name)
        {
            return;
        }

        if (holder.Config?.Labels is { } labels && labels.TryGetValue(GuestLabels.Id, out var owner))
        {
            throw new GuestException($"The name '{name}' is already used by guest {owner} on this host.");
        }

        throw new GuestException($"A container named '{name}' already exists on this host and was not made by Ringmaster; choose another name.");
    }

    internal async Task RemoveQuietlyAsync(string containerId)
    {
        var client = await ClientAsync(CancellationToken.None);
        try
        {
            await client.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, CancellationToken.None);
        }
        catch (DockerApiException e) when (IsNotFound(e))
        {
        }
    }

    internal Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken) =>
        CallAsync(
            $"Could not look up image '{image}'",
            async client =>
            {
                try
                {
                    await client.Images.InspectImageAsync(image, cancellationToken);
                    return true;
                }
                catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    return false;
                }
            },
            cancellationToken);

    /// <summary>Removes the images a deleted container's snapshots, clone or restore left (what something else still uses stays).</summary>
    internal async Task RemoveSavedImagesAsync(Guid id, CancellationToken cancellationToken)
    {
        var references = new List<string> { $"{CloneRepository}:{id:N}", $"{RestoreRepository}/{id:N}:latest" };
        try
        {
            var images = await CallAsync("Could not list the container's snapshots",
                client => client.Images.ListImagesAsync(new ImagesListParameters
                {
                    Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{SnapshotOfLabel}={id}"] = true } },
                }, cancellationToken), cancellationToken);

            // Newest first: a snapshot's image goes before the one it was built on.
            references.AddRange(images.OrderByDescending(i => i.Created).SelectMany(i => i.RepoTags ?? []).Where(t => t.StartsWith(SnapshotRepository + ":", StringComparison.Ordinal)));
        }
        catch (GuestException e)
        {
            logger.LogWarning("Could not list the snapshots of deleted container {Id}: {Reason}", id, e.Message);
        }

        foreach (var reference in references)
        {
            try
            {
                await CallAsync("Could not remove an image", client => client.Images.DeleteImageAsync(reference, new ImageDeleteParameters(), cancellationToken), cancellationToken);
            }
            catch (GuestException)
            {
                // Not there, or still used by another snapshot or container.
            }
        }
    }
}
