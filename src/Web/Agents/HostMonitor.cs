using Microsoft.Extensions.Options;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Agents;

/// <summary>Marks hosts offline when their heartbeats stop.</summary>
public sealed class HostMonitor(InventoryService inventory, IOptions<AgentHubOptions> options, ILogger<HostMonitor> logger) : BackgroundService
{
    /// <summary>Before the server listens: no agent is connected yet, so no host is online.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await inventory.ResetConnectionsAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        WorkScope.Enter(new SystemScope("host monitor"));
        var offlineAfter = TimeSpan.FromSeconds(options.Value.OfflineAfterSeconds);
        // After a server restart, give agents one full period to dial back in before judging them.
        await Task.Delay(offlineAfter, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            try
            {
                await inventory.SweepAsync(offlineAfter, stoppingToken);
            }
            catch (Exception ex)
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    // shutting down: the services the sweep uses may already be disposed
                    return;
                }

                logger.LogWarning(ex, "Checking host heartbeats failed");
            }
        }
    }
}

/// <summary>Settings of the agent hub.</summary>
public sealed record AgentHubOptions
{
    public const string Section = "Agent";

    /// <summary>Whether the web runs its own agent for this host (Agent:Embedded).</summary>
    public bool Embedded { get; init; } = true;

    /// <summary>A host whose agent sent no heartbeat for this long is offline (Agent:OfflineAfterSeconds).</summary>
    public double OfflineAfterSeconds { get; init; } = 10;
}
