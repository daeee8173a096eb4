namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>Reports the container engine the driver reaches (starting Podman's service if it must), or why there is none.</summary>
internal sealed class ContainerEngineProbe(ContainerEngineClient driver) : IContainerEngineProbe
{
    public async Task<ContainerEngineProbeResult> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            return new(await driver.GetEngineInfoAsync(cancellationToken).ConfigureAwait(false), null);
        }
        catch (GuestException ex)
        {
            return new(null, ex.Message);
        }
    }
}
