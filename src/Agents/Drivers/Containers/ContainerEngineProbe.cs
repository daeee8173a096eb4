namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>Reports the container engine the driver reaches (starting Podman's service if it must), or none.</summary>
internal sealed class ContainerEngineProbe(ContainerDriver driver) : IContainerEngineProbe
{
    public async Task<Core.Contracts.ContainerEngineInfo?> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await driver.GetEngineInfoAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (GuestException)
        {
            return null;
        }
    }
}
