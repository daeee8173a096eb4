using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Containers;
using Ringmaster.Agents.Drivers.Emulator;
using Ringmaster.Agents.Drivers.Qemu;
using Ringmaster.Shared;

namespace Ringmaster.Agents;

public static class AgentExtensions
{
    /// <summary>
    /// The host agent: its connection worker, runtime, consoles, host probe and drivers. The
    /// standalone agent and the web's embedded agent both use this; only the server address differs.
    /// </summary>
    public static IHostApplicationBuilder AddRingmasterAgent(this IHostApplicationBuilder builder, bool stopOnRejectedToken)
    {
        // The agent's data (VM disks, memory states, snapshots, backups, images, its credential) is
        // the owner's alone: new files are born so, and what is there already is made so.
        PrivateData.RestrictNewFiles();
        var configured = builder.Configuration.GetSection(AgentOptions.Section).Get<AgentOptions>() ?? new AgentOptions();
        if (!string.IsNullOrWhiteSpace(configured.Data))
        {
            PrivateData.Secure(Path.GetFullPath(configured.Data));
        }

        if (!string.IsNullOrWhiteSpace(configured.BackupStore))
        {
            PrivateData.Secure(Path.GetFullPath(configured.BackupStore));
        }

        var services = builder.Services;
        services.AddOptions<AgentOptions>()
            .BindConfiguration(AgentOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Data), "Agent:Data must name a folder.")
            .Validate(o => o.MetricsSeconds is >= 0.2 and <= 600, "Agent:MetricsSeconds must be between 0.2 and 600.")
            .Validate(o => !InputText.HasHiddenCharacters(o.Name), $"Agent:Name (--name) {InputText.HiddenCharacters}.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AgentIdentity>();
        services.AddSingleton<GuestDrivers>();
        services.AddSingleton<ConsoleSessions>();
        services.AddSingleton<DisplaySessions>();
        services.AddSingleton<ImageFetcher>();
        services.AddSingleton<AgentRuntime>();
        services.AddSingleton(sp => new BackupStore(sp.GetRequiredService<IOptions<AgentOptions>>()));
        services.AddSingleton<Transfers.HostTransfers>();
        services.AddSingleton<Transfers.BackupArchives>();
        services.AddSingleton<Migration.AgentMigrations>();
        services.AddSingleton<HostProbe>();
        services.AddSingleton(sp =>
        {
            var worker = ActivatorUtilities.CreateInstance<AgentWorker>(sp);
            worker.StopOnRejectedToken = stopOnRejectedToken;
            return worker;
        });
        services.AddHostedService(sp => sp.GetRequiredService<AgentWorker>());
        builder.AddGuestDrivers();
        return builder;
    }

    /// <summary>The drivers, keyed by the kind of machine they run.</summary>
    public static IHostApplicationBuilder AddGuestDrivers(this IHostApplicationBuilder builder)
    {
        builder.AddContainerDriver();
        builder.AddEmulatorDriver();
        builder.AddQemuDriver();
        builder.Services.AddSingleton<IPostConfigureOptions<ContainerDriverOptions>, ContainerOwner>();
        builder.Services.AddSingleton<IContainerEngineProbe, ContainerEngineProbe>();
        return builder;
    }
}

/// <summary>Containers belong to the host whose agent made them.</summary>
internal sealed class ContainerOwner(AgentIdentity identity) : IPostConfigureOptions<ContainerDriverOptions>
{
    public void PostConfigure(string? name, ContainerDriverOptions options) => options.Owner ??= identity.HostId.ToString();
}
