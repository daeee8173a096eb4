using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Ringmaster.Core.Services.Scaling;

public static class ScalingExtensions
{
    /// <summary>Scaling groups: the service, the metrics they decide on, and the controller that keeps them.</summary>
    public static IHostApplicationBuilder AddRingmasterScaling(this IHostApplicationBuilder builder)
    {
        // The scaling clock is its own service, so tests can drive schedules and cooldowns without
        // moving the clock the agents and operations run on.
        builder.Services.TryAddKeyedSingleton(ScalingMetrics.ClockKey, TimeProvider.System);
        builder.Services.AddSingleton<ScalingMetrics>();
        builder.Services.AddSingleton<ScalingService>();
        builder.Services.AddSingleton<ScalingController>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ScalingMetrics>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ScalingController>());
        return builder;
    }
}
