using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ringmaster.Core.Services;

/// <summary>
/// Checks the schedules every 15 seconds of the injected clock and starts what is due; only on the
/// node that leads, so a job due while several web nodes run starts once.
/// </summary>
public sealed class ScheduleRunner(ScheduleService schedules, ILeadership leadership, TimeProvider clock, ILogger<ScheduleRunner> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeadingAsync(LeadAsync, stoppingToken);

    private async Task LeadAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, clock, stoppingToken).ConfigureAwait(false);
                await schedules.RunDueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "The scheduler could not start due jobs");
            }
        }
    }
}
