using Microsoft.Extensions.Options;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Agents;

/// <summary>
/// Marks hosts offline when their heartbeats stop: only on the node that leads, from the heartbeat
/// times in the inventory, which every node writes for the agents connected to it.
/// </summary>
public sealed class HostMonitor(InventoryService inventory, ILeadership leadership, IOptions<AgentHubOptions> options, ILogger<HostMonitor> logger) : BackgroundService
{
    /// <summary>
    /// Before the server listens: no agent is connected yet, so no host is online. Not when other
    /// nodes may share the inventory: their agents are connected; the leader's sweep turns the
    /// hosts of a node that is gone offline once their heartbeats are a period old.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!leadership.Shared)
        {
            await inventory.ResetConnectionsAsync(cancellationToken);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeadingAsync(LeadAsync, stoppingToken);

    private async Task LeadAsync(CancellationToken stoppingToken)
    {
        WorkScope.Enter(new SystemScope("host monitor"));
        var offlineAfter = TimeSpan.FromSeconds(options.Value.OfflineAfterSeconds);
        // After a server restart or a handover, give agents one full period to dial (back) in before judging them.
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
