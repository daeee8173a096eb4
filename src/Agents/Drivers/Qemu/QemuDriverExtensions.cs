using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ringmaster.Agents.Drivers.Qemu;

public static class QemuDriverExtensions
{
    /// <summary>Registers the QEMU engine for x86_64 VMs; its VMs live under the agent's data folder.</summary>
    public static IHostApplicationBuilder AddQemuDriver(this IHostApplicationBuilder builder)
    {
        builder.AddEngineOptions<QemuDriverOptions>(QemuDriverOptions.SectionName)
            .PostConfigure<IOptions<AgentOptions>>((o, agent) => o.VmsPath ??= Path.Combine(Path.GetFullPath(agent.Value.Data), "qemu"))
            .Validate(o => o.MaxVcpus is >= 1 and <= 1024, "Ringmaster:Qemu:MaxVcpus must be between 1 and 1024.")
            .ValidateOnStart();
        builder.Services.AddQemuEngine();
        return builder;
    }

    /// <summary>The QEMU engine's one registration: its store of VMs and images, and its capability classes. Needs <see cref="QemuDriverOptions"/>.</summary>
    public static IServiceCollection AddQemuEngine(this IServiceCollection services) =>
        services.AddGuestEngine(GuestEngineKey.Qemu)
            .Sharing<QemuImages>()
            .Sharing<QemuGuests>()
            .Sharing<QemuDiskImport>()
            .With<QemuLifecycle>()
            .With<QemuSnapshots>()
            .With<QemuIsoImport>()
            .With<QemuDisplay>()
            .Services;
}
