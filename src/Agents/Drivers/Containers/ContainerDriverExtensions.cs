using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Ringmaster.Core.Contracts;

namespace Ringmaster.Agents.Drivers.Containers;

public static class ContainerDriverExtensions
{
    /// <summary>
    /// Registers the container engine: <see cref="ContainerDriverOptions"/> bound from
    /// <c>Ringmaster:Containers</c>, and its capability classes keyed by <see cref="MachineKind.Container"/>.
    /// </summary>
    public static IHostApplicationBuilder AddContainerDriver(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ContainerDriverOptions>()
            .BindConfiguration(ContainerDriverOptions.SectionName)
            .Validate(o => o.StopTimeout >= TimeSpan.Zero && o.EngineStartTimeout > TimeSpan.Zero, "Timeouts of Ringmaster:Containers must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<ContainerDriverOptions>>().Value);
        builder.Services.AddContainerEngine();
        return builder;
    }

    /// <summary>The container engine's one registration: its shared client and helpers, and its capability classes keyed by <see cref="MachineKind.Container"/>. Needs <see cref="ContainerDriverOptions"/>.</summary>
    public static IServiceCollection AddContainerEngine(this IServiceCollection services)
    {
        services.AddGuestEngine(MachineKind.Container)
            .Sharing<PodmanServices>()
            .Sharing<ContainerEngineLocator>()
            .Sharing<ContainerEngineClient>()
            .Sharing<ContainerImages>()
            .With<ContainerLifecycle>()
            .With<ContainerSnapshots>()
            .With<ContainerBackups>()
            .With<ContainerMigration>()
            .With<ContainerSpecUpdater>()
            .With<ContainerImageImport>();
        return services;
    }
}
