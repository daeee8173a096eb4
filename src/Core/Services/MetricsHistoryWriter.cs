using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ringmaster.Core.Domain;

namespace Ringmaster.Core.Services;

/// <summary>
/// Keeps <see cref="MetricsHistory"/> written and tidy: flushes what it summed every
/// <see cref="FlushInterval"/> (and at shutdown), deletes a removed machine's history, and sweeps
/// away the series of machines and hosts the inventory lost track of (at start, then hourly). After
/// each flush the leader evaluates the users' metric rules against what is stored
/// (<see cref="AlertRuleService"/>).
/// </summary>
/// <remarks>
/// Every web node flushes what the agents connected to it reported and forgets the machines it saw
/// removed; the hourly sweep and the rules run on the node that leads.
/// </remarks>
public sealed class MetricsHistoryWriter(
    MetricsHistory history,
    AlertRuleService rules,
    LiveFeed feed,
    ILeadership leadership,
    ILogger<MetricsHistoryWriter> logger) : BackgroundService
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_sweepInterval = TimeSpan.FromHours(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        WorkScope.Enter(new SystemScope("metrics history"));
        return Task.WhenAll(FlushLoopAsync(stoppingToken), ForgetRemovedAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await history.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task FlushLoopAsync(CancellationToken stoppingToken)
    {
        var nextSweep = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(FlushInterval);
        do
        {
            try
            {
                await history.FlushAsync(stoppingToken).ConfigureAwait(false);
                if (DateTimeOffset.UtcNow >= nextSweep && leadership.IsLeader)
                {
                    nextSweep = DateTimeOffset.UtcNow + s_sweepInterval;
                    if (await history.SweepAsync(stoppingToken).ConfigureAwait(false) is > 0 and var swept)
                    {
                        logger.LogInformation("Deleted the metrics history of {Count} machines and hosts that are gone", swept);
                    }
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Keeping the metrics history failed");
            }

            try
            {
                if (leadership.IsLeader)
                {
                    await rules.EvaluateAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Evaluating the alert rules failed");
            }
        }
        while (await TickAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> TickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ForgetRemovedAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var change in feed.SubscribeAsync(stoppingToken).ConfigureAwait(false))
            {
                if (change is MachineRemoved removed)
                {
                    try
                    {
                        await history.ForgetAsync(MetricOwner.Machine, removed.MachineId, stoppingToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                    {
                        logger.LogWarning(ex, "Deleting the metrics history of machine {MachineId} failed; the hourly sweep retries", removed.MachineId);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
