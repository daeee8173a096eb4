using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Ringmaster.Core.Services;

public static class SnapshotExtensions
{
    /// <summary>Snapshots, clones, backups and their schedules. The archive transfer between hosts' stores is replaceable (the transfer relay registers its own first).</summary>
    public static IHostApplicationBuilder AddSnapshotsAndBackups(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SnapshotService>();
        builder.Services.AddSingleton<BackupService>();
        builder.Services.AddSingleton<ScheduleService>();
        builder.Services.TryAddSingleton<IBackupArchiveTransfer, SharedStoreOnly>();
        builder.Services.AddHostedService<ScheduleRunner>();
        return builder;
    }
}
