using Microsoft.EntityFrameworkCore;
using Ringmaster.Core.Domain;

namespace Ringmaster.Core.Store;

/// <summary>The inventory: hosts, machines, templates, images, snapshots, operations and events.</summary>
public sealed class RingmasterDbContext(DbContextOptions<RingmasterDbContext> options) : DbContext(options)
{
    public DbSet<HostEntity> Hosts => Set<HostEntity>();
    public DbSet<MachineEntity> Machines => Set<MachineEntity>();
    public DbSet<TemplateEntity> Templates => Set<TemplateEntity>();
    public DbSet<ImageEntity> Images => Set<ImageEntity>();
    public DbSet<SnapshotEntity> Snapshots => Set<SnapshotEntity>();
    public DbSet<OperationEntity> Operations => Set<OperationEntity>();
    public DbSet<EventEntity> Events => Set<EventEntity>();
    public DbSet<IdempotencyEntity> IdempotencyKeys => Set<IdempotencyEntity>();
    public DbSet<BackupEntity> Backups => Set<BackupEntity>();
    public DbSet<ScheduleEntity> Schedules => Set<ScheduleEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(RingmasterDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every timestamp is UTC; providers hand DateTime back unspecified, so say so on the way out.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }
}
