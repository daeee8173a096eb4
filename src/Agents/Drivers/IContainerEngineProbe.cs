using Ringmaster.Core.Contracts;

namespace Ringmaster.Agents.Drivers;

/// <summary>Tells which container engine answers on this host, for the host's capabilities.</summary>
public interface IContainerEngineProbe
{
    Task<ContainerEngineInfo?> ProbeAsync(CancellationToken cancellationToken);
}
