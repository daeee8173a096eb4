using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>Tells which container engine answers on this host, or why none does, for the host's capabilities.</summary>
public interface IContainerEngineProbe
{
    Task<ContainerEngineProbeResult> ProbeAsync(CancellationToken cancellationToken);
}

/// <summary>The engine that answers, or (<see cref="Engine"/> null) why none does, in words with what fixes it.</summary>
public sealed record ContainerEngineProbeResult(ContainerEngineInfo? Engine, string? Problem);
