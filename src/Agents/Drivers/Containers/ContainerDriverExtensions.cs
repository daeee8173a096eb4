using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Ringmaster.Core.Contracts;

namespace Ringmaster.Agents.Drivers.Containers;

public static class ContainerDriverExtensions
{
    /// <summary>
    /// Registers the container driver: <see cref="ContainerDriverOptions"/> bound from
    /// <c>Ringmaster:Containers</c>, <see cref="ContainerDriver"/> as a singleton, and the same instance as
    /// the <see cref="IGuestDriver"/> keyed by <see cref="MachineKind.Container"/>.
    /// </summary>
    public static IHostApplicationBuilder AddContainerDriver(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ContainerDriverOptions>()
            .BindConfiguration(ContainerDriverOptions.SectionName)
            .Validate(o => o.StopTimeout >= TimeSpan.Zero && o.EngineStartTimeout > TimeSpan.Zero, "Timeouts of Ringmaster:Containers must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<ContainerDriverOptions>>().Value);
        builder.Services.AddGuestEngine(MachineKind.Container)
            .With<ContainerDriver>();
        return builder;
    }
}
