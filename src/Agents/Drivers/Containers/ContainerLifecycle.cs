using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>What every container does: create, start, stop, pause, resume, delete, list, its console, its logs and its figures.</summary>
public sealed partial class ContainerLifecycle(ContainerEngineClient guests, ContainerImages images, ILogger<ContainerLifecycle> logger) : IGuestDriver
{
    public MachineKind Kind => MachineKind.Container;

    public async Task<DriverAvailability> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            var info = await guests.GetEngineInfoAsync(cancellationToken);
            return new DriverAvailability(true, $"{info.Name} {info.Version} at {info.Endpoint}");
        }
        catch (GuestException e)
        {
            return new DriverAvailability(false, e.Message);
        }
    }

    public async Task<GuestInfo> CreateAsync(GuestDefinition definition, IProgress<int> progress, CancellationToken cancellationToken)
    {
        Validate(definition);
        progress.Report(0);

        if (await guests.FindAsync(definition.Id, cancellationToken) is { } existing)
        {
            throw new GuestException($"Guest {definition.Id} already exists on this host as container '{ContainerEngineClient.ToInfo(existing).Name}'.");
        }

        await guests.EnsureNameFreeAsync(definition.Name, cancellationToken);
        progress.Report(5);

        await using var revert = new Revert();

        // The image stays when a later step fails: it is shared and costs nothing to keep.
        var image = await images.EnsureImageAsync(definition.Image, new SynchronousProgress<int>(p => progress.Report(5 + (p * 65 / 100))), cancellationToken);
        progress.Report(70);

        var command = definition.Command.Count > 0 ? definition.Command.ToList()
            : image.BuiltIn ? ["sh"]
            : null;
        var labels = GuestLabels.For(definition, guests.Options.Owner);
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
            created = await guests.CallAsync(
                $"Could not create container '{definition.Name}'",
                client => client.Containers.CreateContainerAsync(parameters, cancellationToken),
                cancellationToken);
        }
        catch (GuestException e) when (e.InnerException is DockerApiException { StatusCode: System.Net.HttpStatusCode.Conflict })
        {
            // Lost a race with someone else's create of the same name.
            await guests.EnsureNameFreeAsync(definition.Name, cancellationToken);
            throw;
        }

        revert.Add(() => guests.RemoveQuietlyAsync(created.ID));
        foreach (var warning in created.Warnings ?? [])
        {
            logger.LogWarning("Creating container {Name}: {Warning}", definition.Name, warning);
        }

        progress.Report(90);
        var info = await guests.InfoAsync(definition.Id, cancellationToken);
        progress.Report(100);
        revert.Success();
        return info;
    }

    public async Task<GuestInfo> StartAsync(Guid id, CancellationToken cancellationToken)
    {
        var container = await guests.GetAsync(id, cancellationToken);
        switch (container.State)
        {
            case "running":
                return ContainerEngineClient.ToInfo(container);
            case "paused":
                throw new GuestException($"Guest {id} is paused: resume it instead.");
        }

        await guests.CallAsync(
            $"Could not start container '{ContainerEngineClient.ToInfo(container).Name}'",
            client => client.Containers.StartContainerAsync(container.ID, new ContainerStartParameters(), cancellationToken),
            cancellationToken);
        return await guests.InfoAfterChangeAsync(id, container.ID, cancellationToken);
    }

    public async Task<GuestInfo> StopAsync(Guid id, TimeSpan timeout, bool force, CancellationToken cancellationToken)
    {
        var container = await guests.GetAsync(id, cancellationToken);
        var name = ContainerEngineClient.ToInfo(container).Name;
        if (container.State is not ("running" or "paused"))
        {
            return ContainerEngineClient.ToInfo(container);
        }

        if (container.State == "paused")
        {
            // A frozen process cannot act on its signal; thaw it first so the stop means the same either way.
            await guests.CallAsync($"Could not resume container '{name}' to stop it",
                client => client.Containers.UnpauseContainerAsync(container.ID, cancellationToken), cancellationToken);
        }

        if (force)
        {
            await guests.CallAsync($"Could not kill container '{name}'",
                client => client.Containers.KillContainerAsync(container.ID, new ContainerKillParameters { Signal = "SIGKILL" }, cancellationToken),
                cancellationToken);
            await guests.CallAsync($"Could not wait for container '{name}'",
                client => client.Containers.WaitContainerAsync(container.ID, cancellationToken), cancellationToken);
        }
        else
        {
            // A negative timeout (Timeout.InfiniteTimeSpan) means the configured default; zero means kill right after SIGTERM.
            var grace = timeout < TimeSpan.Zero ? guests.Options.StopTimeout : timeout;
            await guests.CallAsync($"Could not stop container '{name}'",
                client => client.Containers.StopContainerAsync(
                    container.ID,
                    new ContainerStopParameters { WaitBeforeKillSeconds = (uint)Math.Ceiling(grace.TotalSeconds) },
                    cancellationToken),
                cancellationToken);
        }

        return await guests.InfoAfterChangeAsync(id, container.ID, cancellationToken);
    }

    public async Task<GuestInfo> PauseAsync(Guid id, CancellationToken cancellationToken)
    {
        var container = await guests.GetAsync(id, cancellationToken);
        switch (container.State)
        {
            case "paused":
                return ContainerEngineClient.ToInfo(container);
            case not "running":
                throw new GuestException($"Guest {id} is not running, so it cannot be paused.");
        }

        try
        {
            await guests.CallAsync($"Could not pause container '{ContainerEngineClient.ToInfo(container).Name}'",
                client => client.Containers.PauseContainerAsync(container.ID, cancellationToken), cancellationToken);
        }
        catch (GuestException e) when (e.InnerException is DockerApiException
            && (e.Message.Contains("freezer", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("not supported", StringComparison.OrdinalIgnoreCase)))
        {
            throw new GuestException($"{e.Message} (pausing is not supported by this host's container engine: it needs the cgroup freezer)", e.InnerException);
        }

        return await guests.InfoAfterChangeAsync(id, container.ID, cancellationToken);
    }

    public async Task<GuestInfo> ResumeAsync(Guid id, CancellationToken cancellationToken)
    {
        var container = await guests.GetAsync(id, cancellationToken);
        switch (container.State)
        {
            case "running":
                return ContainerEngineClient.ToInfo(container);
            case not "paused":
                throw new GuestException($"Guest {id} is not paused, so it cannot be resumed.");
        }

        await guests.CallAsync($"Could not resume container '{ContainerEngineClient.ToInfo(container).Name}'",
            client => client.Containers.UnpauseContainerAsync(container.ID, cancellationToken), cancellationToken);
        return await guests.InfoAfterChangeAsync(id, container.ID, cancellationToken);
    }

    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        // Every container carrying the id goes, should there ever be more than one.
        var containers = await guests.CallAsync(
            $"Could not look up guest {id}",
            client => client.Containers.ListContainersAsync(
                new ContainersListParameters { All = true, Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = guests.OwnedLabels(id) } },
                cancellationToken),
            cancellationToken);
        foreach (var container in containers)
        {
            try
            {
                await guests.CallAsync($"Could not delete container '{ContainerEngineClient.ToInfo(container).Name}'",
                    client => client.Containers.RemoveContainerAsync(
                        container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken),
                    cancellationToken);
            }
            catch (GuestException e) when (e.InnerException is DockerApiException api && ContainerEngineClient.IsNotFound(api))
            {
                // Gone already: deleting is idempotent.
            }
        }

        _lastCpu.TryRemove(id, out _);
        await guests.RemoveSavedImagesAsync(id, cancellationToken);
    }

    public async Task<IReadOnlyList<GuestInfo>> ListAsync(CancellationToken cancellationToken)
    {
        var containers = await guests.CallAsync(
            "Could not list containers",
            client => client.Containers.ListContainersAsync(ContainerEngineClient.LabelFilter(guests.Options.Owner is { } owner ? $"{GuestLabels.Host}={owner}" : GuestLabels.Id), cancellationToken),
            cancellationToken);
        var listed = new List<GuestInfo>();
        foreach (var container in containers.Where(c => c.Labels is not null && c.Labels.TryGetValue(GuestLabels.Id, out var v) && Guid.TryParse(v, out _)))
        {
            listed.Add(await guests.WithStartAsync(container, fresh: false, cancellationToken));
        }

        return [.. listed.OrderBy(g => g.Name, StringComparer.Ordinal)];
    }

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

    /// <summary>
    /// Attaches to the container's terminal (its stdin and its output, as a stream). Each call is an
    /// attachment of its own, so several consoles can be open on one container at once.
    /// </summary>
    public async Task<IGuestConsole> AttachConsoleAsync(Guid id, CancellationToken cancellationToken)
    {
        var container = await guests.GetAsync(id, cancellationToken);
        var name = ContainerEngineClient.ToInfo(container).Name;
        if (container.State is not ("running" or "created" or "paused"))
        {
            throw new GuestException($"Guest '{name}' is not running: start it to open its console.");
        }

        var client = await guests.ClientAsync(cancellationToken);
        var stream = await guests.CallAsync(
            $"Could not attach to the console of '{name}'",
            c => c.Containers.AttachContainerAsync(
                container.ID,
                tty: true,
                new ContainerAttachParameters { Stream = true, Stdin = true, Stdout = true, Stderr = true },
                cancellationToken),
            cancellationToken);
        return new ContainerConsole(client, container.ID, name, stream, logger);
    }

    /// <summary>What the container printed so far (its terminal output), the last <paramref name="tail"/> lines when given.</summary>
    public async Task<string> GetLogsAsync(Guid id, int? tail, CancellationToken cancellationToken)
    {
        var container = await guests.GetAsync(id, cancellationToken);
        return await guests.CallAsync(
            $"Could not read the logs of '{ContainerEngineClient.ToInfo(container).Name}'",
            async client =>
            {
                using var stream = await client.Containers.GetContainerLogsAsync(
                    container.ID,
                    tty: true,
                    new ContainerLogsParameters { ShowStdout = true, ShowStderr = true, Tail = tail?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "all" },
                    cancellationToken);
                var (stdout, stderr) = await stream.ReadOutputToEndAsync(cancellationToken);
                return stdout + stderr;
            },
            cancellationToken);
    }

    // The previous CPU sample of each guest, for engines whose one-shot stats carry no previous sample.
    private readonly ConcurrentDictionary<Guid, CpuSample> _lastCpu = new();

    private readonly record struct CpuSample(ulong ContainerNs, ulong SystemNs, uint OnlineCpus);

    public async Task<GuestMetrics?> GetMetricsAsync(Guid id, CancellationToken cancellationToken)
    {
        var container = await guests.GetAsync(id, cancellationToken);
        if (container.State is not ("running" or "paused"))
        {
            _lastCpu.TryRemove(id, out _);
            return null;
        }

        ContainerStatsResponse? stats = null;
        await guests.CallAsync(
            $"Could not read the figures of '{ContainerEngineClient.ToInfo(container).Name}'",
            client => client.Containers.GetContainerStatsAsync(
                container.ID,
                new ContainerStatsParameters { Stream = false },
                new SynchronousProgress<ContainerStatsResponse>(s => stats ??= s),
                cancellationToken),
            cancellationToken);
        if (stats is null)
        {
            return null;
        }

        var current = new CpuSample(stats.CPUStats?.CPUUsage?.TotalUsage ?? 0, stats.CPUStats?.SystemUsage ?? 0, stats.CPUStats?.OnlineCPUs ?? 0);
        var previous = stats.PreCPUStats is { SystemUsage: > 0 } pre
            ? new CpuSample(pre.CPUUsage?.TotalUsage ?? 0, pre.SystemUsage, pre.OnlineCPUs)
            : _lastCpu.TryGetValue(id, out var last) ? last : (CpuSample?)null;
        _lastCpu[id] = current;

        var blkio = stats.BlkioStats?.IoServiceBytesRecursive ?? [];
        var networks = stats.Networks?.Values ?? [];
        return new GuestMetrics(
            id,
            DateTimeOffset.UtcNow,
            CpuPercent(previous, current),
            (long)(stats.MemoryStats?.Usage ?? 0),
            (long)(stats.MemoryStats?.Limit ?? 0),
            (long)blkio.Where(e => string.Equals(e.Op, "read", StringComparison.OrdinalIgnoreCase)).Sum(e => (decimal)e.Value),
            (long)blkio.Where(e => string.Equals(e.Op, "write", StringComparison.OrdinalIgnoreCase)).Sum(e => (decimal)e.Value),
            (long)networks.Sum(n => (decimal)n.RxBytes),
            (long)networks.Sum(n => (decimal)n.TxBytes));
    }

    /// <summary>Docker's formula: the container's share of all CPU time between two samples, times the online CPUs (100 = one core).</summary>
    private static double CpuPercent(CpuSample? previous, CpuSample current)
    {
        if (previous is not { } before || current.SystemNs <= before.SystemNs || current.ContainerNs < before.ContainerNs)
        {
            return 0;
        }

        var cpus = current.OnlineCpus > 0 ? current.OnlineCpus : (uint)Environment.ProcessorCount;
        return (double)(current.ContainerNs - before.ContainerNs) / (current.SystemNs - before.SystemNs) * cpus * 100.0;
    }
}
