using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Ringmaster.Core.Domain;

namespace Ringmaster.Core.Store.EntityConfigurations;

internal sealed class ScalingGroupConfiguration : IEntityTypeConfiguration<ScalingGroupEntity>
{
    public void Configure(EntityTypeBuilder<ScalingGroupEntity> builder)
    {
        builder.ToTable("ScalingGroups");
        builder.HasKey(g => g.Id);
        builder.Property(g => g.Name).HasMaxLength(40);
        builder.HasIndex(g => g.Name).IsUnique();
        builder.Property(g => g.Project).HasMaxLength(63);
        builder.HasIndex(g => g.Project);
        builder.Property(g => g.Template).HasMaxLength(128);
        builder.Property(g => g.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(g => g.Placement).HasMaxLength(16);
        builder.Property(g => g.Labels).AsJson();
        builder.Property(g => g.Status).HasMaxLength(32);
        builder.Property(g => g.StatusDetail).HasMaxLength(2048);
        builder.Property(g => g.LastError).HasMaxLength(4096);
    }
}

internal sealed class ScalingPolicyConfiguration : IEntityTypeConfiguration<ScalingPolicyEntity>
{
    public void Configure(EntityTypeBuilder<ScalingPolicyEntity> builder)
    {
        builder.ToTable("ScalingPolicies");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Name).HasMaxLength(128);
        builder.Property(p => p.Kind).HasMaxLength(16);
        builder.Property(p => p.Metric).HasMaxLength(64);
        builder.Property(p => p.Operator).HasMaxLength(16);
        builder.Property(p => p.Cron).HasMaxLength(128);
        builder.Property(p => p.Target).HasMaxLength(16);
        builder.HasIndex(p => p.GroupId);
        builder.HasOne<ScalingGroupEntity>().WithMany().HasForeignKey(p => p.GroupId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ScalingScriptConfiguration : IEntityTypeConfiguration<ScalingScriptEntity>
{
    public void Configure(EntityTypeBuilder<ScalingScriptEntity> builder)
    {
        builder.ToTable("ScalingScripts");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Name).HasMaxLength(128);
        builder.Property(s => s.LastError).HasMaxLength(4096);
        builder.HasIndex(s => new { s.GroupId, s.Name }).IsUnique();
        builder.HasOne<ScalingGroupEntity>().WithMany().HasForeignKey(s => s.GroupId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ScalingScriptVersionConfiguration : IEntityTypeConfiguration<ScalingScriptVersionEntity>
{
    public void Configure(EntityTypeBuilder<ScalingScriptVersionEntity> builder)
    {
        builder.ToTable("ScalingScriptVersions");
        builder.HasKey(v => new { v.ScriptId, v.Version });
        builder.Property(v => v.User).HasMaxLength(256);
        builder.Property(v => v.Note).HasMaxLength(256);
        builder.HasOne<ScalingScriptEntity>().WithMany().HasForeignKey(v => v.ScriptId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ScalingDecisionConfiguration : IEntityTypeConfiguration<ScalingDecisionEntity>
{
    public void Configure(EntityTypeBuilder<ScalingDecisionEntity> builder)
    {
        builder.ToTable("ScalingDecisions");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Source).HasMaxLength(16);
        builder.Property(d => d.SourceName).HasMaxLength(128);
        builder.Property(d => d.Reason).HasMaxLength(4096);
        builder.HasIndex(d => new { d.GroupId, d.At });
        builder.HasOne<ScalingGroupEntity>().WithMany().HasForeignKey(d => d.GroupId).OnDelete(DeleteBehavior.Cascade);
    }
}
