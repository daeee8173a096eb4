using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;

namespace Ringmaster.Core.Store.EntityConfigurations;

internal static class JsonColumn
{
    public static PropertyBuilder<T> AsJson<T>(this PropertyBuilder<T> property) =>
        property.HasConversion(new JsonConverter<T>(), new JsonComparer<T>());
}

internal sealed class HostConfiguration : IEntityTypeConfiguration<HostEntity>
{
    public void Configure(EntityTypeBuilder<HostEntity> builder)
    {
        builder.ToTable("Hosts");
        builder.HasKey(h => h.Id);
        builder.Property(h => h.Name).HasMaxLength(253);
        builder.Property(h => h.AgentVersion).HasMaxLength(64);
        builder.Property(h => h.Capabilities).AsJson();
        builder.HasIndex(h => h.Name);
    }
}

internal sealed class MachineConfiguration : IEntityTypeConfiguration<MachineEntity>
{
    public void Configure(EntityTypeBuilder<MachineEntity> builder)
    {
        builder.ToTable("Machines");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Name).HasMaxLength(63);
        builder.HasIndex(m => m.Name).IsUnique();
        builder.Property(m => m.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(m => m.Engine).HasConversion<string>().HasMaxLength(16);
        builder.Property(m => m.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(m => m.LastKnownState).HasConversion<string>().HasMaxLength(16);
        builder.Property(m => m.Template).HasMaxLength(128);
        builder.Property(m => m.Image).HasMaxLength(256);
        builder.Property(m => m.Command).AsJson();
        builder.Property(m => m.Spec).AsJson();
        builder.Property(m => m.Labels).AsJson();
        builder.Property(m => m.Detail).HasMaxLength(2048);
        builder.Property(m => m.Iso).HasMaxLength(256);
        builder.HasIndex(m => m.HostId);
        builder.HasIndex(m => m.State);
        builder.Property(m => m.Project).HasMaxLength(63);
        builder.HasIndex(m => m.Project);
        builder.HasOne<HostEntity>().WithMany().HasForeignKey(m => m.HostId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class MachineLabelConfiguration : IEntityTypeConfiguration<MachineLabelEntity>
{
    public void Configure(EntityTypeBuilder<MachineLabelEntity> builder)
    {
        builder.ToTable("MachineLabels");
        builder.HasKey(l => new { l.MachineId, l.Key });
        builder.Property(l => l.Key).HasMaxLength(63);
        builder.Property(l => l.Value).HasMaxLength(256);
        builder.HasIndex(l => new { l.Key, l.Value });
        builder.HasOne<MachineEntity>().WithMany().HasForeignKey(l => l.MachineId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TemplateConfiguration : IEntityTypeConfiguration<TemplateEntity>
{
    public void Configure(EntityTypeBuilder<TemplateEntity> builder)
    {
        builder.ToTable("Templates");
        builder.HasKey(t => t.Name);
        builder.Property(t => t.Name).HasMaxLength(128);
        builder.Property(t => t.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(t => t.Engine).HasConversion<string>().HasMaxLength(16);
        builder.Property(t => t.Image).HasMaxLength(256);
        builder.Property(t => t.Description).HasMaxLength(1024);
        builder.Property(t => t.Command).AsJson();
    }
}

internal sealed class ImageConfiguration : IEntityTypeConfiguration<ImageEntity>
{
    public void Configure(EntityTypeBuilder<ImageEntity> builder)
    {
        builder.ToTable("Images");
        builder.HasKey(i => i.Name);
        builder.Property(i => i.Name).HasMaxLength(256);
        builder.Property(i => i.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(i => i.Source).HasMaxLength(1024);
        builder.Property(i => i.Sha256).HasMaxLength(64);
    }
}

internal sealed class SnapshotConfiguration : IEntityTypeConfiguration<SnapshotEntity>
{
    public void Configure(EntityTypeBuilder<SnapshotEntity> builder)
    {
        builder.ToTable("Snapshots");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Name).HasMaxLength(128);
        builder.Property(s => s.Description).HasMaxLength(1024);
        builder.HasIndex(s => new { s.MachineId, s.Name }).IsUnique();
        builder.HasOne<MachineEntity>().WithMany().HasForeignKey(s => s.MachineId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class OperationConfiguration : IEntityTypeConfiguration<OperationEntity>
{
    public void Configure(EntityTypeBuilder<OperationEntity> builder)
    {
        builder.ToTable("Operations");
        builder.HasKey(o => o.Id);
        builder.Property(o => o.Kind).HasMaxLength(64).HasConversion(k => k.Name(), s => OperationKinds.Parse(s));
        builder.Property(o => o.Target).HasMaxLength(256);
        builder.Property(o => o.User).HasMaxLength(256);
        builder.Property(o => o.Project).HasMaxLength(63);
        builder.HasIndex(o => o.Project);
        builder.Property(o => o.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(o => o.Message).HasMaxLength(2048);
        builder.Property(o => o.Error).HasMaxLength(4096);
        builder.Property(o => o.Intent).AsJson();
        builder.HasIndex(o => o.MachineId);
        builder.HasIndex(o => o.CreatedAt);
        builder.HasIndex(o => o.State);
    }
}

internal sealed class EventConfiguration : IEntityTypeConfiguration<EventEntity>
{
    public void Configure(EntityTypeBuilder<EventEntity> builder)
    {
        builder.ToTable("Events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Type).HasMaxLength(64);
        builder.Property(e => e.Message).HasMaxLength(2048);
        builder.HasIndex(e => e.At);
        builder.HasIndex(e => e.MachineId);
    }
}

internal sealed class IdempotencyConfiguration : IEntityTypeConfiguration<IdempotencyEntity>
{
    public void Configure(EntityTypeBuilder<IdempotencyEntity> builder)
    {
        builder.ToTable("IdempotencyKeys");
        builder.HasKey(i => i.Key);
        builder.Property(i => i.Key).HasMaxLength(128);
        builder.Property(i => i.Fingerprint).HasMaxLength(64);
        builder.HasIndex(i => i.CreatedAt);
    }
}
