using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Ringmaster.Core.Contracts;

namespace Ringmaster.Agents.Drivers.Emulator;

public static class EmulatorDriverExtensions
{
    /// <summary>Registers the emulator driver as the <see cref="IGuestDriver"/> for <see cref="MachineKind.Vm"/>; its VMs live under the agent's data folder.</summary>
    public static IHostApplicationBuilder AddEmulatorDriver(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EmulatorDriverOptions>()
            .BindConfiguration(EmulatorDriverOptions.SectionName)
            .PostConfigure<IOptions<AgentOptions>>((o, agent) => o.VmsPath ??= Path.Combine(Path.GetFullPath(agent.Value.Data), "vms"))
            .Validate(o => o.SliceBudget is >= 10_000 and <= 1_000_000_000, "Ringmaster:Emulator:SliceBudget must be between 10^4 and 10^9.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<EmulatorDriverOptions>>().Value);
        builder.Services.AddGuestEngine(MachineKind.Vm)
            .Sharing<GuestImages>()
            .With<EmulatorDriver>();
        return builder;
    }
}
