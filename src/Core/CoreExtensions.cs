using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core;

/// <summary>Where Ringmaster keeps its data, and its database.</summary>
public sealed record RingmasterOptions
{
    public const string Section = "Ringmaster";

    /// <summary>
    /// The data folder (env RINGMASTER_DATA). A relative path is taken from the repository's root when
    /// the product runs from a source checkout (so <c>dotnet run --project src/Web</c> keeps it in
    /// <c>./data</c>), from the working directory otherwise.
    /// </summary>
    public string Data { get; init; } = "data";

    /// <summary>
    /// The database connection string; empty means SQLite in the data folder. PostgreSQL's keyword form
    /// (<c>Host=…;Port=…;Username=…;Password=…;Database=…</c>) selects PostgreSQL, and the database is
    /// created when missing; anything else is a SQLite connection string.
    /// </summary>
    public string? ConnectionString { get; init; }

    /// <summary>
    /// A Redis endpoint (StackExchange.Redis' configuration form, e.g. <c>127.0.0.1:6379</c>) that the
    /// web nodes share as their backplane: agents, dashboards and event streams may then be on any
    /// node. Empty: this node sees only what passes through it (one node, the default).
    /// </summary>
    public string? Redis { get; init; }

    /// <summary>
    /// With a backplane: the address the other web nodes reach this one at (e.g. <c>http://web-a:5080</c>),
    /// for the bytes of a migration, backup or display whose hosts' agents are served by different
    /// nodes. Empty: the first address this node listens on, a wildcard one under the machine's host name.
    /// </summary>
    public string? NodeUrl { get; init; }

    public string DataPath => Resolve(Data);

    /// <summary>The full path of a data folder setting (null: the default).</summary>
    public static string Resolve(string? data)
    {
        data = string.IsNullOrWhiteSpace(data) ? "data" : data;
        return Path.IsPathRooted(data) ? Path.GetFullPath(data) : Path.GetFullPath(data, RelativeBase);
    }

    private static string RelativeBase => SourceCheckout.Root ?? Environment.CurrentDirectory;
}

public static class CoreExtensions
{
    /// <summary>The inventory, operations, live view and consoles; SQLite in the data folder by default, or PostgreSQL.</summary>
    public static IHostApplicationBuilder AddRingmasterCore(this IHostApplicationBuilder builder)
    {
        if (Environment.GetEnvironmentVariable("RINGMASTER_DATA") is { Length: > 0 } data)
        {
            builder.Configuration[$"{RingmasterOptions.Section}:Data"] = data;
        }

        // Before anything is written: the database, the join token, images and the embedded
        // agent's VMs and backups are the owner's alone, and so is what an earlier version left.
        PrivateData.RestrictNewFiles();
        PrivateData.Secure(RingmasterOptions.Resolve(builder.Configuration[$"{RingmasterOptions.Section}:Data"]));

        builder.Services.AddOptions<RingmasterOptions>()
            .BindConfiguration(RingmasterOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Data), "Ringmaster:Data must name a folder.")
            .ValidateOnStart();

        // SQLite in the data folder unless Ringmaster:ConnectionString names a PostgreSQL server.
        builder.Services.AddDbContextFactory<RingmasterDbContext, RingmasterDbContextFactory>((services, options) =>
            DatabaseProvider.Configure(options, services.GetRequiredService<IOptions<RingmasterOptions>>().Value));

        builder.Services.AddSingleton<LiveFeed>();
        builder.Services.AddSingleton<ConsoleBroker>();
        builder.Services.AddSingleton<PendingCommands>();
        builder.Services.AddSingleton<InventoryService>();
        builder.Services.AddOptions<PlacementOptions>().BindConfiguration(PlacementOptions.Section)
            .Validate(o => o.MemoryOvercommitRatio is >= 0.1 and <= 100, "Placement:MemoryOvercommitRatio must be between 0.1 and 100.").ValidateOnStart();
        builder.Services.AddSingleton<MachineService>();
        builder.Services.AddSingleton<CatalogService>();
        builder.Services.AddSingleton<ProjectService>();
        builder.Services.AddScoped<UserService>();
        builder.Services.AddSingleton<ProjectQuotas>();
        builder.Services.TryAddSingleton<IAccessScope>(UnrestrictedScope.Instance);
        builder.Services.AddSingleton<MachineUpdateService>();
        builder.Services.AddOptions<ImageOptions>().BindConfiguration(RingmasterOptions.Section)
            .Validate(o => o.MaxImageMiB > 0, "Ringmaster:MaxImageMiB must be positive.").ValidateOnStart();
        builder.Services.AddSingleton<ImageService>();
        builder.Services.AddSingleton<OperationService>();
        builder.Services.AddSingleton(TimeProvider.System);

        // Order matters: the database is ready before operations are recovered.
        builder.Services.AddHostedService<DatabaseInitializer>();
        // Then who leads: the recovery of interrupted operations below asks it once at start.
        builder.Services.AddOptions<LeadershipOptions>().BindConfiguration(LeadershipOptions.Section)
            .Validate(o => o.PollSeconds is >= 0.1 and <= 60, "Leadership:PollSeconds must be between 0.1 and 60.").ValidateOnStart();
        builder.Services.AddSingleton<ILeadership>(sp => DatabaseProvider.IsPostgres(sp.GetRequiredService<IOptions<RingmasterOptions>>().Value.ConnectionString)
            ? ActivatorUtilities.CreateInstance<PostgresLeadership>(sp)
            : ActivatorUtilities.CreateInstance<SoleLeadership>(sp));
        builder.Services.AddSingleton(sp => (IHostedService)sp.GetRequiredService<ILeadership>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OperationService>());
        builder.Services.AddOptions<RecoveryOptions>().BindConfiguration(RecoveryOptions.Section)
            .Validate(o => o.HostGraceSeconds is >= 1 and <= 86_400, "Recovery:HostGraceSeconds must be between 1 and 86400.")
            .Validate(o => o.NodeGraceSeconds is >= 1 and <= 86_400, "Recovery:NodeGraceSeconds must be between 1 and 86400.").ValidateOnStart();
        builder.Services.AddSingleton<OperationRecovery>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OperationRecovery>());
        builder.Services.AddSingleton<MetricsHistory>();
        builder.Services.AddHostedService<MetricsHistoryWriter>();
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section)
            .Validate(o => o.Attempts is >= 1 and <= 100, "Webhooks:Attempts must be between 1 and 100.")
            .Validate(o => o.BackoffSeconds is > 0 and <= 3600, "Webhooks:BackoffSeconds must be above 0 and at most 3600.")
            .Validate(o => o.TimeoutSeconds is > 0 and <= 300, "Webhooks:TimeoutSeconds must be above 0 and at most 300.").ValidateOnStart();
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        builder.Services.AddSingleton<WebhookService>();
        builder.Services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section)
            .Validate(o => o.QuotaThresholdPercent is > 0 and <= 100, "Alerts:QuotaThresholdPercent must be above 0 and at most 100.")
            .Validate(o => o.GroupMachinesAbove >= 1, "Alerts:GroupMachinesAbove must be at least 1.").ValidateOnStart();
        builder.Services.AddSingleton<AlertService>();
        builder.Services.AddSingleton<AlertRuleService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AlertService>());
        builder.AddSnapshotsAndBackups();
        return builder;
    }
}
