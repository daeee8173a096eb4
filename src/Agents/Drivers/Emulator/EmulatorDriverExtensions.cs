using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Emulator;

public static class EmulatorDriverExtensions
{
    /// <summary>Registers the emulator engine for <see cref="MachineKind.Vm"/>; its VMs live under the agent's data folder.</summary>
    public static IHostApplicationBuilder AddEmulatorDriver(this IHostApplicationBuilder builder)
    {
        builder.AddEngineOptions<EmulatorDriverOptions>(EmulatorDriverOptions.SectionName)
            .PostConfigure<IOptions<AgentOptions>>((o, agent) => o.VmsPath ??= Path.Combine(Path.GetFullPath(agent.Value.Data), "vms"))
            .Validate(o => o.SliceBudget is >= 10_000 and <= 1_000_000_000, "Ringmaster:Emulator:SliceBudget must be between 10^4 and 10^9.")
            .ValidateOnStart();
        builder.Services.AddEmulatorEngine();
        return builder;
    }

    /// <summary>The emulator engine's one registration: its shared store and helpers, and its capability classes keyed by <see cref="MachineKind.Vm"/>. Needs <see cref="EmulatorDriverOptions"/>.</summary>
    public static IServiceCollection AddEmulatorEngine(this IServiceCollection services) =>
        services.AddGuestEngine(MachineKind.Vm)
            .Sharing<GuestImages>()
            .Sharing<EmulatorLayers>()
            .Sharing<EmulatorNetwork>()
            .Sharing<EmulatorGuests>()
            .Sharing<ImageHashes>()
            .Sharing<MigratedSnapshots>()
            .With<EmulatorLifecycle>()
            .With<EmulatorSnapshots>()
            .With<EmulatorBackups>()
            .With<EmulatorMigration>()
            .With<EmulatorSpecUpdater>()
            .With<EmulatorImageImport>()
            .With<EmulatorLeftovers>()
            .Services;
}
