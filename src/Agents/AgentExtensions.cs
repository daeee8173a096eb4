using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Ringmaster.Agents.Drivers;

namespace Ringmaster.Agents;

public static class AgentExtensions
{
    /// <summary>
    /// The host agent: its connection worker, runtime, consoles, host probe and drivers. The
    /// standalone agent and the web's embedded agent both use this; only the server address differs.
    /// </summary>
    public static IServiceCollection AddRingmasterAgent(this IServiceCollection services, bool stopOnRejectedToken)
    {
        services.AddOptions<AgentOptions>()
            .BindConfiguration(AgentOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Data), "Agent:Data must name a folder.")
            .Validate(o => o.MetricsSeconds is >= 0.2 and <= 600, "Agent:MetricsSeconds must be between 0.2 and 600.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<GuestDrivers>();
        services.AddSingleton<ConsoleSessions>();
        services.AddSingleton<AgentRuntime>();
        services.AddSingleton<HostProbe>();
        services.AddSingleton(sp =>
        {
            var worker = ActivatorUtilities.CreateInstance<AgentWorker>(sp);
            worker.StopOnRejectedToken = stopOnRejectedToken;
            return worker;
        });
        services.AddHostedService(sp => sp.GetRequiredService<AgentWorker>());
        services.AddGuestDrivers();
        return services;
    }

    /// <summary>The drivers, keyed by the kind of machine they run.</summary>
    public static IServiceCollection AddGuestDrivers(this IServiceCollection services) => services;
}
