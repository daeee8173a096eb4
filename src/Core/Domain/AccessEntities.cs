using Microsoft.AspNetCore.Identity;
using Ringmaster.Contracts;

namespace Ringmaster.Core.Domain;

/// <summary>A person who signs in to the dashboard or the CLI (ASP.NET Core Identity keeps the password hash).</summary>
public sealed class UserEntity : IdentityUser
{
    public AccessRole Role { get; set; } = AccessRole.Viewer;
    public DateTime CreatedAt { get; set; }
    /// <summary>When an admin disabled the user (null: enabled): no sign-in, its tokens and cookies refused, until enabled again.</summary>
    public DateTime? DisabledAt { get; set; }
}

/// <summary>A group of machines with its members and quotas (null: no limit).</summary>
public sealed class ProjectEntity
{
    public const string Default = "default";

    public required string Name { get; set; }
    public string? Description { get; set; }
    public int? MaxVcpus { get; set; }
    public int? MaxMemoryMiB { get; set; }
    public int? MaxDiskGiB { get; set; }
    public int? MaxNetworks { get; set; }
    public int? MaxMachines { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>
    /// Bumped on SQLite by every change that is checked against the quotas, inside the same
    /// transaction: the update holds the database's write lock until the change is saved, so two
    /// changes of one project are checked one after the other (PostgreSQL takes an advisory lock on
    /// the project instead: <see cref="Store.DatabaseProvider.LockProjectAsync"/>).
    /// </summary>
    public long QuotaStamp { get; set; }
}

/// <summary>A user's membership of a project.</summary>
public sealed class ProjectMemberEntity
{
    public required string Project { get; set; }
    public required string UserId { get; set; }
}

/// <summary>An API token: only the SHA-256 of its secret is kept.</summary>
public sealed class ApiTokenEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string Hash { get; set; }
    /// <summary>The first characters of the secret, so a user can tell tokens apart.</summary>
    public required string Prefix { get; set; }
    public AccessRole Role { get; set; }
    /// <summary>The one project the token is limited to; null: its user's projects.</summary>
    public string? Project { get; set; }
    /// <summary>The user the token speaks for; null for the bootstrap token.</summary>
    public string? UserId { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
}

/// <summary>A token an agent presents the first time it joins; only its hash is kept.</summary>
public sealed class JoinTokenEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string Hash { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

/// <summary>The credential one agent got when it registered; revoking it disconnects and refuses the agent.</summary>
public sealed class AgentCredentialEntity
{
    public Guid HostId { get; set; }
    public required string Hash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

/// <summary>One change someone made (or tried to): who, what, on what, when, from where, and how it ended.</summary>
public sealed class AuditEntity
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public required string User { get; set; }
    public required string Action { get; set; }
    public required string Target { get; set; }
    public string? RemoteIp { get; set; }
    public int Status { get; set; }
    public string? Detail { get; set; }
}
