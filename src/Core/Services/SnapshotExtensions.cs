using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Ringmaster.Core.Services;

public static class SnapshotExtensions
{
    /// <summary>Snapshots, clones, backups and their schedules. Archives move between hosts' stores through the transfer relay (<see cref="Core.MigrationExtensions.AddMigrations"/>).</summary>
    public static IHostApplicationBuilder AddSnapshotsAndBackups(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SnapshotService>();
        builder.Services.AddSingleton<BackupService>();
        builder.Services.AddSingleton<ScheduleService>();
        builder.Services.TryAddSingleton<IBackupArchiveTransfer, RelayBackupTransfer>();
        builder.Services.AddHostedService<ScheduleRunner>();
        return builder;
    }
}
