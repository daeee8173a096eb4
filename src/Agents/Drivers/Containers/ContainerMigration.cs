using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Ringmaster.Agents.Drivers.Common;
using Ringmaster.Agents.Migration;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>
/// Offline migration of containers: stop, export the filesystem, import it on the target as an
/// image, create the container from it with the same settings and start it. Live migration would
/// need CRIU (checkpoint/restore), which does not work on this kernel; the server refuses it.
/// </summary>
public sealed class ContainerMigration(ContainerEngineClient guests, ContainerLifecycle lifecycle, ILogger<ContainerMigration> logger) : IMigratableDriver
{
    /// <summary>Containers sent away and not yet deleted: whether each ran, to put it back on an abort.</summary>
    private readonly ConcurrentDictionary<Guid, (bool WasRunning, string Name)> _sent = new();

    public async Task<MigrationProbe> ProbeAsync(MigrationProbeRequest request, CancellationToken cancellationToken)
    {
        if (request.Manifest is null)
        {
            return new MigrationProbe(true, true, true, new ImageManifest(request.Image, []), null);
        }

        var mine = await lifecycle.ListAsync(cancellationToken);
        var clash = mine.FirstOrDefault(g => g.Id == request.MachineId || g.Name == request.Name);
        return new MigrationProbe(true, clash is null, true, null, clash is null ? null : $"A container named '{clash.Name}' ({clash.Id}) is already on this host.");
    }

    public async Task<MigrationFigures> SendAsync(Guid id, MigrationOrder order, Transfers.TransferSink output, IProgress<int> progress, CancellationToken cancellationToken)
    {
        if (order.Live)
        {
            throw new GuestException("Live migration of containers needs CRIU, which does not work on this kernel; move it offline.");
        }

        var container = await guests.GetAsync(id, cancellationToken);
        var info = ContainerEngineClient.ToInfo(container);
        var wasRunning = container.State is "running" or "paused";
        var inspect = await guests.CallAsync($"Could not inspect container '{info.Name}'",
            client => client.Containers.InspectContainerAsync(container.ID, cancellationToken), cancellationToken);
        var settings = new Ringmaster.Agents.Migration.ContainerSettings(inspect.Config?.Cmd, inspect.Config?.Entrypoint, inspect.Config?.Env, inspect.Config?.WorkingDir, inspect.Config?.Tty ?? true);
        var definition = new GuestDefinition(id, info.Name, MachineKind.Container, info.Image, inspect.Config?.Cmd?.ToList() ?? [], info.Spec, info.Labels);
        long bytes = 0;
        var renamed = false;
        _sent[id] = (wasRunning, info.Name);
        try
        {
            if (wasRunning)
            {
                await lifecycle.StopAsync(id, Timeout.InfiniteTimeSpan, false, cancellationToken);
            }

            progress.Report(20);
            var header = Frames.Header(new MigrationHeader(definition, false, 0, null, settings, wasRunning));
            await output.WriteAsync(header, cancellationToken);
            bytes += header.Length;
            var client = await guests.ClientAsync(cancellationToken);
            await using (var export = await client.Containers.ExportContainerAsync(container.ID, cancellationToken))
            {
                var buffer = new byte[Frames.DataChunk];
                long offset = 0;
                int n;
                while ((n = await export.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
                {
                    var frame = Frames.Data(FrameKind.Export, offset, buffer.AsSpan(0, n));
                    await output.WriteAsync(frame, cancellationToken);
                    bytes += frame.Length;
                    offset += n;
                }
            }

            // Free the name: the target may share this engine and create the container under it.
            await guests.CallAsync($"Could not rename container '{info.Name}'",
                c => c.Containers.RenameContainerAsync(container.ID, new ContainerRenameParameters { NewName = $"{info.Name}-moving-{id.ToString("N")[..8]}" }, cancellationToken),
                cancellationToken);
            renamed = true;
            await output.WriteAsync(Frames.Simple(FrameKind.End), cancellationToken);
            bytes++;
            logger.LogInformation("Sent container {Name} ({Id}): {Bytes} bytes", info.Name, id, bytes);
            return new MigrationFigures(bytes, 0, 0);
        }
        catch
        {
            await PutBackAsync(container.ID, id, renamed);
            throw;
        }
    }

    public async Task<GuestInfo> AbortSendAsync(Guid id, CancellationToken cancellationToken)
    {
        var container = await guests.GetAsync(id, cancellationToken);
        await PutBackAsync(container.ID, id, renamed: true);
        return await guests.InfoAsync(id, cancellationToken);
    }

    /// <summary>The source's container as it was: its name back, running again when it ran.</summary>
    private async Task PutBackAsync(string containerId, Guid id, bool renamed)
    {
        if (!_sent.TryRemove(id, out var sent))
        {
            return;
        }

        try
        {
            var client = await guests.ClientAsync(CancellationToken.None);
            if (renamed)
            {
                await client.Containers.RenameContainerAsync(containerId, new ContainerRenameParameters { NewName = sent.Name }, CancellationToken.None);
            }

            if (sent.WasRunning)
            {
                await client.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), CancellationToken.None);
            }
        }
        catch (DockerApiException ex)
        {
            logger.LogWarning("Could not put container {Name} back after a failed migration: {Reason}", sent.Name, ex.Message);
        }
    }

    public async Task<(GuestInfo Guest, MigrationFigures Figures)> ReceiveAsync(GuestDefinition definition, MigrationOrder order, IAsyncEnumerable<byte[]> input, CancellationToken cancellationToken)
    {
        if (await guests.FindAsync(definition.Id, cancellationToken) is not null)
        {
            throw new GuestException($"Guest {definition.Id} is already on this host.");
        }

        var repository = $"localhost/ringmaster/migrated-{definition.Id:N}";
        var client = await guests.ClientAsync(cancellationToken);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        Task? import = null;
        string? importError = null;
        MigrationHeader? header = null;
        string? containerId = null;
        long bytes = 0;
        var ended = false;
        try
        {
            await foreach (var chunk in input.WithCancellation(cancellationToken))
            {
                bytes += chunk.Length;
                switch ((FrameKind)chunk[0])
                {
                    case FrameKind.Header:
                        header = Frames.ReadHeader(chunk.AsSpan(1));
                        import = client.Images.CreateImageAsync(
                            new ImagesCreateParameters { FromSrc = "-", Repo = repository, Tag = "latest", Message = $"Ringmaster: {definition.Name} moved from another host" },
                            pipe.Reader.AsStream(),
                            null,
                            new SynchronousProgress<JSONMessage>(m => importError ??= m.Error?.Message ?? m.ErrorMessage),
                            cancellationToken);
                        break;
                    case FrameKind.Export:
                        var (_, data) = Frames.ReadData(chunk.AsMemory(1));
                        await pipe.Writer.WriteAsync(data, cancellationToken);
                        break;
                    case FrameKind.End:
                        ended = true;
                        break;
                    default:
                        throw new GuestException($"The migration stream has an unexpected frame '{(char)chunk[0]}'.");
                }
            }

            if (!ended || header?.Container is not { } settings || import is null)
            {
                throw new GuestException("The migration stream ended early.");
            }

            await pipe.Writer.CompleteAsync();
            await import;
            if (!await guests.ImageExistsAsync($"{repository}:latest", cancellationToken))
            {
                throw new GuestException($"The engine did not import the container's filesystem: {importError ?? "no image"}");
            }

            await guests.EnsureNameFreeAsync(definition.Name, cancellationToken);
            var labels = GuestLabels.For(definition with { Kind = MachineKind.Container }, guests.Options.Owner);
            var created = await guests.CallAsync($"Could not create container '{definition.Name}'",
                c => c.Containers.CreateContainerAsync(new CreateContainerParameters
                {
                    Name = definition.Name,
                    Image = $"{repository}:latest",
                    Cmd = settings.Cmd,
                    Entrypoint = settings.Entrypoint,
                    Env = settings.Env,
                    WorkingDir = settings.WorkingDir,
                    Labels = labels,
                    Tty = settings.Tty,
                    OpenStdin = true,
                    StdinOnce = false,
                    AttachStdin = true,
                    AttachStdout = true,
                    AttachStderr = true,
                    HostConfig = new HostConfig
                    {
                        NanoCPUs = definition.Spec.Vcpus * 1_000_000_000L,
                        Memory = definition.Spec.MemoryMiB * 1024L * 1024L,
                    },
                }, cancellationToken),
                cancellationToken);
            containerId = created.ID;
            if (header.WasRunning)
            {
                await lifecycle.StartAsync(definition.Id, cancellationToken);
            }

            logger.LogInformation("Received container {Name} ({Id}): {Bytes} bytes", definition.Name, definition.Id, bytes);
            return (await guests.InfoAsync(definition.Id, cancellationToken), new MigrationFigures(bytes, 0, 0));
        }
        catch (Exception ex)
        {
            await pipe.Writer.CompleteAsync(ex);
            if (import is not null)
            {
                await import.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (containerId is not null)
            {
                await guests.RemoveQuietlyAsync(containerId);
            }

            try
            {
                await client.Images.DeleteImageAsync($"{repository}:latest", new ImageDeleteParameters { Force = true }, CancellationToken.None);
            }
            catch (DockerApiException)
            {
            }

            if (ex is GuestException or OperationCanceledException)
            {
                throw;
            }

            throw new GuestException($"Receiving the container failed: {ex.Message}", ex);
        }
    }
}
