using System.Globalization;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Agents.Drivers.Common;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>
/// Container snapshots and clones, with what the engine offers. A snapshot commits the container's
/// filesystem to an image (<c>localhost/ringmaster-snapshots</c>) whose labels say whose snapshot it
/// is, its name and parent; a revert replaces the container with one made from that image, same
/// settings and identity. Memory is not kept (that needs CRIU). A clone is a new container made from
/// a commit of the current filesystem; the engine shares the image layers, so linked and full are one.
/// </summary>
public sealed class ContainerSnapshots(ContainerEngineClient guests, ContainerLifecycle lifecycle, ILogger<ContainerSnapshots> logger) : IGuestSnapshots
{
    private const string SnapshotIdLabel = "ringmaster.snapshot.id";
    private const string SnapshotNameLabel = "ringmaster.snapshot.name";
    private const string SnapshotParentLabel = "ringmaster.snapshot.parent";
    private const string SnapshotCreatedLabel = "ringmaster.snapshot.created";
    private const string SnapshotDescriptionLabel = "ringmaster.snapshot.description";
    private const string CurrentSnapshotLabel = "ringmaster.snapshot.current";

    private static string SnapshotTag(Guid snapshotId) => "snap-" + snapshotId.ToString("N");

    private static string KeepTag(Guid snapshotId) => "keep-" + snapshotId.ToString("N");

    public async Task<IReadOnlyList<SnapshotInfo>> ListSnapshotsAsync(Guid id, CancellationToken cancellationToken) =>
        [.. (await SnapshotImagesAsync(id, cancellationToken)).Select(s => s.Info).OrderBy(s => s.CreatedAt)];

    private async Task<List<(SnapshotInfo Info, ImagesListResponse Image)>> SnapshotImagesAsync(Guid id, CancellationToken cancellationToken)
    {
        var images = await guests.CallAsync("Could not list the container's snapshots",
            client => client.Images.ListImagesAsync(new ImagesListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{ContainerEngineClient.SnapshotOfLabel}={id}"] = true } },
            }, cancellationToken), cancellationToken);
        var result = new List<(SnapshotInfo, ImagesListResponse)>();
        foreach (var image in images)
        {
            var labels = image.Labels ?? new Dictionary<string, string>();
            if (!labels.TryGetValue(SnapshotIdLabel, out var sid) || !Guid.TryParse(sid, out var snapshotId)
                || !(image.RepoTags ?? []).Any(t => t.EndsWith(":" + SnapshotTag(snapshotId), StringComparison.Ordinal)))
            {
                continue;
            }

            Guid? parent = labels.TryGetValue(SnapshotParentLabel, out var p) && Guid.TryParse(p, out var pid) ? pid : null;
            var created = labels.TryGetValue(SnapshotCreatedLabel, out var c) && DateTimeOffset.TryParse(c, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MinValue;
            var description = labels.TryGetValue(SnapshotDescriptionLabel, out var d) ? DecodeDescription(d) : null;
            result.Add((new SnapshotInfo(snapshotId, (labels.TryGetValue(SnapshotNameLabel, out var n) ? n : sid), description, parent, false, created, image.Size), image));
        }

        return result;
    }

    public async Task<SnapshotInfo> TakeSnapshotAsync(Guid id, SnapshotRequest request, CancellationToken cancellationToken)
    {
        if (request.IncludeMemory)
        {
            throw new GuestException("Container snapshots with memory need CRIU checkpointing, which this host's kernel does not support; take it without memory.");
        }

        var container = await guests.GetAsync(id, cancellationToken);
        var existing = await SnapshotImagesAsync(id, cancellationToken);
        if (existing.Any(s => s.Info.Name == request.Name))
        {
            throw new GuestException($"Container {ContainerEngineClient.ToInfo(container).Name} already has a snapshot named '{request.Name}'.");
        }

        // The parent: the newest snapshot taken of this container since it was (re)made, else the snapshot it was made from.
        var inspect = await guests.CallAsync("Could not inspect the container", client => client.Containers.InspectContainerAsync(container.ID, cancellationToken), cancellationToken);
        var since = existing.Where(s => s.Info.CreatedAt >= inspect.Created.ToUniversalTime()).OrderByDescending(s => s.Info.CreatedAt).FirstOrDefault();
        Guid? parent = since.Image is not null ? since.Info.Id
            : inspect.Config?.Labels is { } labels && labels.TryGetValue(CurrentSnapshotLabel, out var current) && Guid.TryParse(current, out var cid) && existing.Any(s => s.Info.Id == cid) ? cid
            : null;
        var now = DateTimeOffset.UtcNow;
        var changes = new List<string>
        {
            $"LABEL {ContainerEngineClient.SnapshotOfLabel}={id}",
            $"LABEL {SnapshotIdLabel}={request.SnapshotId}",
            $"LABEL {SnapshotNameLabel}={request.Name}",
            $"LABEL {SnapshotParentLabel}={parent?.ToString() ?? "none"}",
            $"LABEL {SnapshotCreatedLabel}={now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)}",
            $"LABEL {SnapshotDescriptionLabel}={EncodeDescription(request.Description)}",
        };
        var committed = await guests.CallAsync($"Could not commit container '{ContainerEngineClient.ToInfo(container).Name}'",
            client => client.Images.CommitContainerChangesAsync(new CommitContainerChangesParameters
            {
                ContainerID = container.ID,
                RepositoryName = ContainerEngineClient.SnapshotRepository,
                Tag = SnapshotTag(request.SnapshotId),
                Comment = $"Ringmaster snapshot {request.Name}",
                Changes = changes,
                Pause = true,
                Config = new Config(),
            }, cancellationToken), cancellationToken);
        await guests.CallAsync("Could not tag the snapshot",
            client => client.Images.TagImageAsync(committed.ID, new ImageTagParameters { RepositoryName = ContainerEngineClient.SnapshotRepository, Tag = KeepTag(request.SnapshotId) }, cancellationToken), cancellationToken);
        logger.LogInformation("Snapshot {Snapshot} of container {Name} committed as {Image}", request.Name, ContainerEngineClient.ToInfo(container).Name, committed.ID);
        var info = (await SnapshotImagesAsync(id, cancellationToken)).FirstOrDefault(s => s.Info.Id == request.SnapshotId).Info;
        return info ?? new SnapshotInfo(request.SnapshotId, request.Name, request.Description, parent, false, now, 0);
    }

    /// <summary>
    /// A description as a label value: its UTF-8 in base64 (any text, quotes and line breaks too, in
    /// one word of a commit's LABEL change), or <see cref="NoDescription"/>. The label is always
    /// written, so a snapshot never inherits the description of the image its container came from.
    /// </summary>
    private static string EncodeDescription(string? description) =>
        string.IsNullOrEmpty(description) ? NoDescription : Convert.ToBase64String(Encoding.UTF8.GetBytes(description));

    /// <summary>The description a label holds: null for <see cref="NoDescription"/>, and for anything that is not base64 of UTF-8 text.</summary>
    private static string? DecodeDescription(string? label)
    {
        if (string.IsNullOrEmpty(label) || label == NoDescription)
        {
            return null;
        }

        try
        {
            return s_strictUtf8.GetString(Convert.FromBase64String(label));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>The label value of a snapshot without a description ("none" is no base64 of UTF-8 text, so it never stands for one).</summary>
    private const string NoDescription = "none";

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public async Task<GuestInfo> RevertSnapshotAsync(Guid id, Guid snapshotId, CancellationToken cancellationToken)
    {
        var container = await guests.GetAsync(id, cancellationToken);
        if (!(await SnapshotImagesAsync(id, cancellationToken)).Any(s => s.Info.Id == snapshotId))
        {
            throw new GuestException($"Container {ContainerEngineClient.ToInfo(container).Name} has no such snapshot.");
        }

        var wasRunning = container.State is "running" or "paused";
        await RecreateAsync(container.ID, $"{ContainerEngineClient.SnapshotRepository}:{SnapshotTag(snapshotId)}", null, new Dictionary<string, string> { [CurrentSnapshotLabel] = snapshotId.ToString() }, cancellationToken);
        return wasRunning ? await lifecycle.StartAsync(id, cancellationToken) : await guests.InfoAsync(id, cancellationToken);
    }

    public async Task DeleteSnapshotAsync(Guid id, Guid snapshotId, CancellationToken cancellationToken)
    {
        var snapshots = await SnapshotImagesAsync(id, cancellationToken);
        if (!snapshots.Any(s => s.Info.Id == snapshotId))
        {
            throw new GuestException("The container has no such snapshot.");
        }

        // Untag it; the image itself goes when nothing (a later snapshot, the container) builds on it.
        await guests.CallAsync("Could not delete the snapshot",
            client => client.Images.DeleteImageAsync($"{ContainerEngineClient.SnapshotRepository}:{SnapshotTag(snapshotId)}", new ImageDeleteParameters(), cancellationToken), cancellationToken);
        try
        {
            await guests.CallAsync("Could not remove the snapshot's image",
                client => client.Images.DeleteImageAsync($"{ContainerEngineClient.SnapshotRepository}:{KeepTag(snapshotId)}", new ImageDeleteParameters(), cancellationToken), cancellationToken);
        }
        catch (GuestException e)
        {
            logger.LogInformation("Snapshot image of {Snapshot} stays for what builds on it: {Reason}", snapshotId, e.Message);
        }
    }

    public async Task<GuestInfo> CloneAsync(Guid id, CloneRequest request, IProgress<int> progress, CancellationToken cancellationToken)
    {
        if (request.IncludeMemory)
        {
            throw new GuestException("Forking a container with its memory needs CRIU checkpointing, which this host's kernel does not support; clone it without memory.");
        }

        var source = await guests.GetAsync(id, cancellationToken);
        await guests.EnsureNameFreeAsync(request.Definition.Name, cancellationToken);
        progress.Report(10);
        var image = $"{ContainerEngineClient.CloneRepository}:{request.Definition.Id:N}";
        await guests.CallAsync($"Could not commit container '{ContainerEngineClient.ToInfo(source).Name}'",
            client => client.Images.CommitContainerChangesAsync(new CommitContainerChangesParameters
            {
                ContainerID = source.ID,
                RepositoryName = ContainerEngineClient.CloneRepository,
                Tag = request.Definition.Id.ToString("N"),
                Comment = $"Ringmaster clone {request.Definition.Name}",
                Pause = true,
                Config = new Config(),
            }, cancellationToken), cancellationToken);
        progress.Report(60);
        await CreateLikeAsync(source.ID, image, request.Definition, null, cancellationToken);
        progress.Report(95);
        return await guests.InfoAsync(request.Definition.Id, cancellationToken);
    }

    /// <summary>Replaces a container with one made from <paramref name="image"/>: same name, settings and labels (plus <paramref name="extraLabels"/>).</summary>
    private async Task RecreateAsync(string containerId, string image, GuestDefinition? identity, Dictionary<string, string>? extraLabels, CancellationToken cancellationToken)
    {
        var inspect = await guests.CallAsync("Could not inspect the container", client => client.Containers.InspectContainerAsync(containerId, cancellationToken), cancellationToken);
        var parameters = Like(inspect, image, identity, extraLabels);
        await guests.CallAsync("Could not remove the container to replace it",
            client => client.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true }, cancellationToken), cancellationToken);
        await guests.CallAsync($"Could not create container '{parameters.Name}'", client => client.Containers.CreateContainerAsync(parameters, cancellationToken), cancellationToken);
    }

    /// <summary>Creates a container like an existing one, from another image, with a new identity.</summary>
    private async Task CreateLikeAsync(string containerId, string image, GuestDefinition identity, Dictionary<string, string>? extraLabels, CancellationToken cancellationToken)
    {
        var inspect = await guests.CallAsync("Could not inspect the container", client => client.Containers.InspectContainerAsync(containerId, cancellationToken), cancellationToken);
        var parameters = Like(inspect, image, identity, extraLabels);
        await guests.CallAsync($"Could not create container '{parameters.Name}'", client => client.Containers.CreateContainerAsync(parameters, cancellationToken), cancellationToken);
    }

    private CreateContainerParameters Like(ContainerInspectResponse inspect, string image, GuestDefinition? identity, Dictionary<string, string>? extraLabels)
    {
        var labels = new Dictionary<string, string>(inspect.Config?.Labels ?? new Dictionary<string, string>());
        if (identity is not null)
        {
            foreach (var key in labels.Keys.Where(k => k.StartsWith(GuestLabels.UserPrefix, StringComparison.Ordinal) || k == CurrentSnapshotLabel).ToList())
            {
                labels.Remove(key);
            }

            labels[GuestLabels.Id] = identity.Id.ToString();
            labels[GuestLabels.Name] = identity.Name;
            labels[GuestLabels.Spec] = JsonSerializer.Serialize(identity.Spec, GuestLabels.Json);
            foreach (var (key, value) in identity.Labels)
            {
                labels[GuestLabels.UserPrefix + key] = value;
            }
        }

        foreach (var (key, value) in extraLabels ?? [])
        {
            labels[key] = value;
        }

        if (guests.Options.Owner is { } owner)
        {
            labels[GuestLabels.Host] = owner;
        }

        return new CreateContainerParameters
        {
            Name = identity?.Name ?? inspect.Name.TrimStart('/'),
            Image = image,
            Cmd = inspect.Config?.Cmd,
            Entrypoint = inspect.Config?.Entrypoint,
            Env = inspect.Config?.Env,
            WorkingDir = inspect.Config?.WorkingDir,
            User = inspect.Config?.User,
            Labels = labels,
            Tty = inspect.Config?.Tty ?? true,
            OpenStdin = inspect.Config?.OpenStdin ?? true,
            StdinOnce = false,
            AttachStdin = true,
            AttachStdout = true,
            AttachStderr = true,
            HostConfig = new HostConfig
            {
                NanoCPUs = inspect.HostConfig?.NanoCPUs ?? 0,
                Memory = inspect.HostConfig?.Memory ?? 0,
            },
        };
    }
}
