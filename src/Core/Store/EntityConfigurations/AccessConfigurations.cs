using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Ringmaster.Core.Domain;

namespace Ringmaster.Core.Store.EntityConfigurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<UserEntity>
{
    public void Configure(EntityTypeBuilder<UserEntity> builder) =>
        builder.Property(u => u.Role).HasConversion<string>().HasMaxLength(16);
}

internal sealed class ProjectConfiguration : IEntityTypeConfiguration<ProjectEntity>
{
    public void Configure(EntityTypeBuilder<ProjectEntity> builder)
    {
        builder.ToTable("Projects");
        builder.HasKey(p => p.Name);
        builder.Property(p => p.Name).HasMaxLength(63);
        builder.Property(p => p.Description).HasMaxLength(1024);
    }
}

internal sealed class ProjectMemberConfiguration : IEntityTypeConfiguration<ProjectMemberEntity>
{
    public void Configure(EntityTypeBuilder<ProjectMemberEntity> builder)
    {
        builder.ToTable("ProjectMembers");
        builder.HasKey(m => new { m.Project, m.UserId });
        builder.HasIndex(m => m.UserId);
        builder.HasOne<ProjectEntity>().WithMany().HasForeignKey(m => m.Project).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<UserEntity>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiTokenEntity>
{
    public void Configure(EntityTypeBuilder<ApiTokenEntity> builder)
    {
        builder.ToTable("ApiTokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Name).HasMaxLength(128);
        builder.Property(t => t.Hash).HasMaxLength(64);
        builder.HasIndex(t => t.Hash).IsUnique();
        builder.Property(t => t.Prefix).HasMaxLength(16);
        builder.Property(t => t.Role).HasConversion<string>().HasMaxLength(16);
        builder.Property(t => t.Project).HasMaxLength(63);
        builder.Property(t => t.CreatedBy).HasMaxLength(256);
        builder.HasIndex(t => t.UserId);
        builder.HasOne<UserEntity>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class JoinTokenConfiguration : IEntityTypeConfiguration<JoinTokenEntity>
{
    public void Configure(EntityTypeBuilder<JoinTokenEntity> builder)
    {
        builder.ToTable("JoinTokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Name).HasMaxLength(128);
        builder.Property(t => t.Hash).HasMaxLength(64);
        builder.HasIndex(t => t.Hash).IsUnique();
        builder.Property(t => t.CreatedBy).HasMaxLength(256);
    }
}

internal sealed class AgentCredentialConfiguration : IEntityTypeConfiguration<AgentCredentialEntity>
{
    public void Configure(EntityTypeBuilder<AgentCredentialEntity> builder)
    {
        builder.ToTable("AgentCredentials");
        builder.HasKey(c => c.HostId);
        builder.Property(c => c.Hash).HasMaxLength(64);
        builder.HasIndex(c => c.Hash).IsUnique();
    }
}

internal sealed class AuditConfiguration : IEntityTypeConfiguration<AuditEntity>
{
    public void Configure(EntityTypeBuilder<AuditEntity> builder)
    {
        builder.ToTable("Audit");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.User).HasMaxLength(256);
        builder.Property(a => a.Action).HasMaxLength(128);
        builder.Property(a => a.Target).HasMaxLength(512);
        builder.Property(a => a.RemoteIp).HasMaxLength(64);
        builder.Property(a => a.Detail).HasMaxLength(2048);
        builder.HasIndex(a => a.At);
    }
}
