using System.Text.Json;
using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;
using Ringmaster.Core.Contracts;

namespace Ringmaster.Agents.Drivers.Containers;

public sealed partial class ContainerDriver
{
    public async Task<GuestInfo> CreateAsync(GuestDefinition definition, IProgress<int> progress, CancellationToken cancellationToken)
    {
        Validate(definition);
        progress.Report(0);

        if (await FindAsync(definition.Id, cancellationToken) is { } existing)
        {
            throw new GuestException($"Guest {definition.Id} already exists on this host as container '{ToInfo(existing).Name}'.");
        }

        await EnsureNameFreeAsync(definition.Name, cancellationToken);
        progress.Report(5);

        await using var revert = new Revert();

        // The image stays when a later step fails: it is shared and costs nothing to keep.
        var image = await EnsureImageAsync(definition.Image, new SynchronousProgress<int>(p => progress.Report(5 + (p * 65 / 100))), cancellationToken);
        progress.Report(70);

        var command = definition.Command.Count > 0 ? definition.Command.ToList()
            : image.BuiltIn ? ["sh"]
            : null;
        var labels = GuestLabels.For(definition, _options.Owner);
        var parameters = new CreateContainerParameters
        {
            Name = definition.Name,
            Image = image.Reference,
            Cmd = command,
            Labels = labels,
            Tty = true,
            OpenStdin = true,
            StdinOnce = false,
            AttachStdin = true,
            AttachStdout = true,
            AttachStderr = true,
            HostConfig = new HostConfig
            {
                // The core four: vCPUs and memory become engine limits (0 = no limit). Disks and networks
                // are not mapped yet: the container gets the image's filesystem and the engine's default
                // bridge network, whatever the spec lists.
                NanoCPUs = definition.Spec.Vcpus * 1_000_000_000L,
                Memory = definition.Spec.MemoryMiB * 1024L * 1024L,
            },
        };

        CreateContainerResponse created;
        try
        {
            created = await CallAsync(
                $"Could not create container '{definition.Name}'",
                client => client.Containers.CreateContainerAsync(parameters, cancellationToken),
                cancellationToken);
        }
        catch (GuestException e) when (e.InnerException is DockerApiException { StatusCode: System.Net.HttpStatusCode.Conflict })
        {
            // Lost a race with someone else's create of the same name.
            await EnsureNameFreeAsync(definition.Name, cancellationToken);
            throw;
        }

        revert.Add(() => RemoveQuietlyAsync(created.ID));
        foreach (var warning in created.Warnings ?? [])
        {
            _logger.LogWarning("Creating container {Name}: {Warning}", definition.Name, warning);
        }

        progress.Report(90);
        var info = await InfoAsync(definition.Id, cancellationToken);
        progress.Report(100);
        revert.Success();
        return info;
    }

    public async Task<GuestInfo> StartAsync(Guid id, CancellationToken cancellationToken)
    {
        var container = await GetAsync(id, cancellationToken);
        switch (container.State)
        {
            case "running":
                return ToInfo(container);
            case "paused":
                throw new GuestException($"Guest {id} is paused: resume it instead.");
        }

        await CallAsync(
            $"Could not start container '{ToInfo(container).Name}'",
            client => client.Containers.StartContainerAsync(container.ID, new ContainerStartParameters(), cancellationToken),
            cancellationToken);
        return await InfoAsync(id, cancellationToken);
    }

    public async Task<GuestInfo> StopAsync(Guid id, TimeSpan timeout, bool force, CancellationToken cancellationToken)
    {
        var container = await GetAsync(id, cancellationToken);
        var name = ToInfo(container).Name;
        if (container.State is not ("running" or "paused"))
        {
            return ToInfo(container);
        }

        if (container.State == "paused")
        {
            // A frozen process cannot act on its signal; thaw it first so the stop means the same either way.
            await CallAsync($"Could not resume container '{name}' to stop it",
                client => client.Containers.UnpauseContainerAsync(container.ID, cancellationToken), cancellationToken);
        }

        if (force)
        {
            await CallAsync($"Could not kill container '{name}'",
                client => client.Containers.KillContainerAsync(container.ID, new ContainerKillParameters { Signal = "SIGKILL" }, cancellationToken),
                cancellationToken);
            await CallAsync($"Could not wait for container '{name}'",
                client => client.Containers.WaitContainerAsync(container.ID, cancellationToken), cancellationToken);
        }
        else
        {
            // A negative timeout (Timeout.InfiniteTimeSpan) means the configured default; zero means kill right after SIGTERM.
            var grace = timeout < TimeSpan.Zero ? _options.StopTimeout : timeout;
            await CallAsync($"Could not stop container '{name}'",
                client => client.Containers.StopContainerAsync(
                    container.ID,
                    new ContainerStopParameters { WaitBeforeKillSeconds = (uint)Math.Ceiling(grace.TotalSeconds) },
                    cancellationToken),
                cancellationToken);
        }

        return await InfoAsync(id, cancellationToken);
    }

    public async Task<GuestInfo> PauseAsync(Guid id, CancellationToken cancellationToken)
    {
        var container = await GetAsync(id, cancellationToken);
        switch (container.State)
        {
            case "paused":
                return ToInfo(container);
            case not "running":
                throw new GuestException($"Guest {id} is not running, so it cannot be paused.");
        }

        try
        {
            await CallAsync($"Could not pause container '{ToInfo(container).Name}'",
                client => client.Containers.PauseContainerAsync(container.ID, cancellationToken), cancellationToken);
        }
        catch (GuestException e) when (e.InnerException is DockerApiException
            && (e.Message.Contains("freezer", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("not supported", StringComparison.OrdinalIgnoreCase)))
        {
            throw new GuestException($"{e.Message} (pausing is not supported by this host's container engine: it needs the cgroup freezer)", e.InnerException);
        }

        return await InfoAsync(id, cancellationToken);
    }

    public async Task<GuestInfo> ResumeAsync(Guid id, CancellationToken cancellationToken)
    {
        var container = await GetAsync(id, cancellationToken);
        switch (container.State)
        {
            case "running":
                return ToInfo(container);
            case not "paused":
                throw new GuestException($"Guest {id} is not paused, so it cannot be resumed.");
        }

        await CallAsync($"Could not resume container '{ToInfo(container).Name}'",
            client => client.Containers.UnpauseContainerAsync(container.ID, cancellationToken), cancellationToken);
        return await InfoAsync(id, cancellationToken);
    }

    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        // Every container carrying the id goes, should there ever be more than one.
        var containers = await CallAsync(
            $"Could not look up guest {id}",
            client => client.Containers.ListContainersAsync(
                new ContainersListParameters { All = true, Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = OwnedLabels(id) } },
                cancellationToken),
            cancellationToken);
        foreach (var container in containers)
        {
            try
            {
                await CallAsync($"Could not delete container '{ToInfo(container).Name}'",
                    client => client.Containers.RemoveContainerAsync(
                        container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken),
                    cancellationToken);
            }
            catch (GuestException e) when (e.InnerException is DockerApiException api && IsNotFound(api))
            {
                // Gone already: deleting is idempotent.
            }
        }

        _lastCpu.TryRemove(id, out _);
        await RemoveSavedImagesAsync(id, cancellationToken);
    }

    public async Task<IReadOnlyList<GuestInfo>> ListAsync(CancellationToken cancellationToken)
    {
        var containers = await CallAsync(
            "Could not list containers",
            client => client.Containers.ListContainersAsync(LabelFilter(_options.Owner is { } owner ? $"{HostLabel}={owner}" : IdLabel), cancellationToken),
            cancellationToken);
        return containers
            .Where(c => c.Labels is not null && c.Labels.TryGetValue(IdLabel, out var v) && Guid.TryParse(v, out _))
            .Select(ToInfo)
            .OrderBy(g => g.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static ContainersListParameters LabelFilter(string label) => new()
    {
        All = true,
        Filters = new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool> { [label] = true },
        },
    };

    // The engine's rule for container names.
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex ContainerName();

    private static void Validate(GuestDefinition definition)
    {
        if (definition.Kind != MachineKind.Container)
        {
            throw new GuestException($"The container driver cannot create a guest of kind {definition.Kind}.");
        }

        if (string.IsNullOrWhiteSpace(definition.Name) || definition.Name.Length > 128 || !ContainerName().IsMatch(definition.Name))
        {
            throw new GuestException(
                $"'{definition.Name}' cannot name a container: use letters, digits, '_', '.' and '-', starting with a letter or digit (at most 128).");
        }

        if (string.IsNullOrWhiteSpace(definition.Image))
        {
            throw new GuestException("A container needs an image.");
        }

        if (definition.Spec.Vcpus < 0 || definition.Spec.MemoryMiB < 0)
        {
            throw new GuestException("vCPUs and memory cannot be negative.");
        }

        if (definition.Spec.MemoryMiB is > 0 and < 6)
        {
            throw new GuestException("A container needs at least 6 MiB of memory.");
        }
    }

    private async Task EnsureNameFreeAsync(string name, CancellationToken cancellationToken)
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

        if (holder.Config?.Labels is { } labels && labels.TryGetValue(IdLabel, out var owner))
        {
            throw new GuestException($"The name '{name}' is already used by guest {owner} on this host.");
        }

        throw new GuestException($"A container named '{name}' already exists on this host and was not made by Ringmaster; choose another name.");
    }

    private async Task RemoveQuietlyAsync(string containerId)
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
}
