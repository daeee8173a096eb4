using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>The container engine's registration (see <c>Drivers/README.md</c>).</summary>
public static class ContainerDriverExtensions
{
    /// <summary>The kind of machine the engine runs.</summary>
    public const MachineKind Kind = MachineKind.Container;

    /// <summary>
    /// The one registration: the shared client and helpers, then the capability classes, keyed by
    /// <see cref="MachineKind.Container"/>. Needs <see cref="ContainerDriverOptions"/>.
    /// </summary>
    public static IServiceCollection AddContainerEngine(this IServiceCollection services)
    {
        services.AddGuestEngine(Kind)
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

    /// <summary>The container engine with <see cref="ContainerDriverOptions"/> bound from <c>Ringmaster:Containers</c>.</summary>
    public static IHostApplicationBuilder AddContainerDriver(this IHostApplicationBuilder builder)
    {
        builder.AddEngineOptions<ContainerDriverOptions>(ContainerDriverOptions.SectionName)
            .Validate(o => o.StopTimeout >= TimeSpan.Zero && o.EngineStartTimeout > TimeSpan.Zero, "Timeouts of Ringmaster:Containers must be positive.")
            .ValidateOnStart();
        builder.Services.AddContainerEngine();
        return builder;
    }
}
