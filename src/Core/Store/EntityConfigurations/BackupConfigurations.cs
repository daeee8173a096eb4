using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Ringmaster.Core.Domain;

namespace Ringmaster.Core.Store.EntityConfigurations;

internal sealed class BackupConfiguration : IEntityTypeConfiguration<BackupEntity>
{
    public void Configure(EntityTypeBuilder<BackupEntity> builder)
    {
        builder.ToTable("Backups");
        builder.HasKey(b => b.Id);
        builder.Property(b => b.MachineName).HasMaxLength(63);
        builder.Property(b => b.Project).HasMaxLength(63);
        builder.HasIndex(b => b.Project);
        builder.Property(b => b.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(b => b.File).HasMaxLength(1024);
        builder.Property(b => b.Image).HasMaxLength(256);
        builder.Property(b => b.Spec).AsJson();
        builder.HasIndex(b => new { b.MachineId, b.CreatedAt });
    }
}

internal sealed class ScheduleConfiguration : IEntityTypeConfiguration<ScheduleEntity>
{
    public void Configure(EntityTypeBuilder<ScheduleEntity> builder)
    {
        builder.ToTable("Schedules");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Name).HasMaxLength(63);
        builder.HasIndex(s => s.Name).IsUnique();
        builder.Property(s => s.Project).HasMaxLength(63);
        builder.HasIndex(s => s.Project);
        builder.Property(s => s.Job).HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.Cron).HasMaxLength(128);
        builder.Property(s => s.Selector).HasMaxLength(320);
    }
}
