using System.Net.Http.Json;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Ringmaster.Contracts;
using Ringmaster.Agents.Drivers.Common;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>Changes a container's limits.</summary>
public sealed class ContainerSpecUpdater(ContainerEngineClient guests, ILogger<ContainerSpecUpdater> logger) : IGuestSpecUpdater
{
    /// <summary>
    /// Changes a container's CPU and memory limits in place, running or not: Docker's container
    /// update; on Podman (whose Docker-compatible API lacks it before 5.0) Podman's own
    /// <c>libpod/containers/{id}/update</c> on the same socket.
    /// </summary>
    public async Task<GuestInfo> UpdateSpecAsync(Guid id, MachineSpec spec, CancellationToken cancellationToken)
    {
        var container = await guests.GetAsync(id, cancellationToken);
        var memory = spec.MemoryMiB * 1024L * 1024L;
        var engine = await guests.EngineAsync(cancellationToken);
        if (engine.Info.Name.Equals("podman", StringComparison.OrdinalIgnoreCase) && engine.Info.Endpoint.StartsWith("unix://", StringComparison.Ordinal))
        {
            await LibpodUpdateAsync(engine.Info.Endpoint["unix://".Length..], container.ID, spec, memory, cancellationToken);
            logger.LogInformation("Container {Id} now has {Vcpus} vCPUs and {Memory} MiB", id, spec.Vcpus, spec.MemoryMiB);
            return (await guests.InfoAsync(id, cancellationToken)) with { Spec = spec };
        }

        try
        {
            await engine.Client.Containers.UpdateContainerAsync(container.ID, new ContainerUpdateParameters
            {
                NanoCPUs = spec.Vcpus * 1_000_000_000L,
                Memory = memory,
                MemorySwap = memory,
            }, cancellationToken);
        }
        catch (DockerApiException e)
        {
            throw new GuestException($"Could not change the container's limits: {ContainerEngineClient.EngineMessage(e)}", e);
        }

        logger.LogInformation("Container {Id} now has {Vcpus} vCPUs and {Memory} MiB", id, spec.Vcpus, spec.MemoryMiB);
        return (await guests.InfoAsync(id, cancellationToken)) with { Spec = spec };
    }

    private static async Task LibpodUpdateAsync(string socketPath, string containerId, MachineSpec spec, long memory, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = new Uri("http://engine/"), Timeout = TimeSpan.FromSeconds(30) };
        const long Period = 100_000;
        var body = new
        {
            cpu = new { quota = spec.Vcpus * Period, period = Period },
            memory = new { limit = memory, swap = memory },
        };
        using var response = await http.PostAsJsonAsync($"v4.0.0/libpod/containers/{Uri.EscapeDataString(containerId)}/update", body, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new GuestException($"Could not change the container's limits: the engine answered {(int)response.StatusCode} {text.Trim()}");
        }
    }
}
