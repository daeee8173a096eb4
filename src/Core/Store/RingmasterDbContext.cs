using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;

namespace Ringmaster.Core.Store;

/// <summary>
/// The inventory: hosts, machines, templates, images, snapshots, operations and events; users,
/// projects, tokens and the audit log. Machines (and their operations and events) are filtered by
/// the caller's <see cref="IAccessScope"/>. This type is the SQLite store and its migrations;
/// <see cref="PostgresRingmasterDbContext"/> is the same model on PostgreSQL with migrations of its own.
/// It also keeps the Data Protection key ring, so every web node signs and reads the same cookies and
/// antiforgery tokens, and a restart keeps them valid.
/// </summary>
public class RingmasterDbContext : IdentityDbContext<UserEntity>, IDataProtectionKeyContext
{
    private readonly IAccessScope? _scope;

    public RingmasterDbContext(DbContextOptions<RingmasterDbContext> options, IAccessScope? scope = null)
        : this((DbContextOptions)options, scope)
    {
    }

    /// <summary>For a provider's own context: the options may be those of this type or of the derived one.</summary>
    protected RingmasterDbContext(DbContextOptions options, IAccessScope? scope)
        : base(options) => _scope = scope;

    public DbSet<HostEntity> Hosts => Set<HostEntity>();
    public DbSet<MachineEntity> Machines => Set<MachineEntity>();
    public DbSet<MachineLabelEntity> MachineLabels => Set<MachineLabelEntity>();
    public DbSet<TemplateEntity> Templates => Set<TemplateEntity>();
    public DbSet<ImageEntity> Images => Set<ImageEntity>();
    public DbSet<SnapshotEntity> Snapshots => Set<SnapshotEntity>();
    public DbSet<OperationEntity> Operations => Set<OperationEntity>();
    public DbSet<EventEntity> Events => Set<EventEntity>();
    public DbSet<IdempotencyEntity> IdempotencyKeys => Set<IdempotencyEntity>();
    public DbSet<ProjectEntity> Projects => Set<ProjectEntity>();
    public DbSet<ProjectMemberEntity> ProjectMembers => Set<ProjectMemberEntity>();
    public DbSet<ApiTokenEntity> ApiTokens => Set<ApiTokenEntity>();
    public DbSet<JoinTokenEntity> JoinTokens => Set<JoinTokenEntity>();
    public DbSet<AgentCredentialEntity> AgentCredentials => Set<AgentCredentialEntity>();
    public DbSet<AuditEntity> Audit => Set<AuditEntity>();
    public DbSet<BackupEntity> Backups => Set<BackupEntity>();
    public DbSet<ScheduleEntity> Schedules => Set<ScheduleEntity>();
    public DbSet<MetricSeriesEntity> MetricSeries => Set<MetricSeriesEntity>();
    public DbSet<MetricSlotEntity> MetricSlots => Set<MetricSlotEntity>();
    public DbSet<AlertEntity> Alerts => Set<AlertEntity>();
    public DbSet<AlertRuleEntity> AlertRules => Set<AlertRuleEntity>();
    public DbSet<WebhookEntity> Webhooks => Set<WebhookEntity>();
    public DbSet<WebhookDeliveryEntity> WebhookDeliveries => Set<WebhookDeliveryEntity>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>The projects the caller sees (null: all); read by the query filters for every query.</summary>
    private IReadOnlyCollection<string>? VisibleProjects => _scope?.Projects;

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.AddInterceptors(MachineVersionInterceptor.Instance, MachineLabelIndex.Instance);

    /// <summary>
    /// Finds what changed once per save. Each full DetectChanges compares every tracked entity, and a
    /// machine's JSON columns (spec, labels, command) by their JSON, which with thousands of machines
    /// tracked is most of a save; the interceptors (<see cref="MachineVersionInterceptor"/>,
    /// <see cref="MachineLabelIndex"/>) read the entries found here and record what they change
    /// through those entries, so the save itself does not look again.
    /// </summary>
    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        var auto = DetectOnce();
        try
        {
            return base.SaveChanges(acceptAllChangesOnSuccess);
        }
        finally
        {
            ChangeTracker.AutoDetectChangesEnabled = auto;
        }
    }

    /// <inheritdoc cref="SaveChanges(bool)"/>
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var auto = DetectOnce();
        try
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ChangeTracker.AutoDetectChangesEnabled = auto;
        }
    }

    /// <summary>Detects the changes (even with automatic detection off, as the interceptors always did) and turns automatic detection off for the save; returns what it was.</summary>
    private bool DetectOnce()
    {
        var auto = ChangeTracker.AutoDetectChangesEnabled;
        ChangeTracker.DetectChanges();
        ChangeTracker.AutoDetectChangesEnabled = false;
        return auto;
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(RingmasterDbContext).Assembly);
        modelBuilder.Entity<MachineEntity>().HasQueryFilter(m => VisibleProjects == null || VisibleProjects.Contains(m.Project));
        modelBuilder.Entity<OperationEntity>().HasQueryFilter(o => VisibleProjects == null || (o.Project != null && VisibleProjects.Contains(o.Project)));
        modelBuilder.Entity<BackupEntity>().HasQueryFilter(b => VisibleProjects == null || VisibleProjects.Contains(b.Project));
        modelBuilder.Entity<ScheduleEntity>().HasQueryFilter(s => VisibleProjects == null || VisibleProjects.Contains(s.Project));
        modelBuilder.Entity<ScalingGroupEntity>().HasQueryFilter(g => VisibleProjects == null || VisibleProjects.Contains(g.Project));
        modelBuilder.Entity<AlertRuleEntity>().HasQueryFilter(r => VisibleProjects == null || VisibleProjects.Contains(r.Project));
        modelBuilder.Entity<AlertEntity>().HasQueryFilter(a => VisibleProjects == null || a.Project == null || VisibleProjects.Contains(a.Project));
        modelBuilder.Entity<EventEntity>().HasQueryFilter(e => VisibleProjects == null || e.MachineId == null
            || Set<MachineEntity>().Any(m => m.Id == e.MachineId));
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every timestamp is UTC; providers hand DateTime back unspecified, so say so on the way out.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }
}
