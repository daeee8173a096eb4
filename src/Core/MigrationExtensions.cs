using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Ringmaster.Core.Services;

namespace Ringmaster.Core;

public static class MigrationExtensions
{
    /// <summary>The host-to-host transfer relay and the migration service (the web adds <see cref="IMigrationProbes"/>).</summary>
    public static IHostApplicationBuilder AddMigrations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TransferRelay>();
        builder.Services.AddSingleton<MigrationService>();
        return builder;
    }
}
