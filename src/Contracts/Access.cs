using System.Text.Json.Serialization;

namespace Ringmaster.Contracts;

/// <summary>What a user or token may do; each role includes the ones before it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AccessRole>))]
public enum AccessRole
{
    Viewer,
    Operator,
    Admin,
}

/// <summary>The body of <c>POST /api/v1/tokens</c>: role defaults to the creator's, expiry to 90 days.</summary>
public sealed record CreateTokenRequest(string? Name, AccessRole? Role = null, string? Project = null, DateTimeOffset? ExpiresAt = null);

/// <summary>A new token: <see cref="Token"/> is the secret, shown this once.</summary>
public sealed record TokenCreated(Guid Id, string Name, AccessRole Role, string? Project, DateTimeOffset? ExpiresAt, string Token);

/// <summary>A token as lists show it: never its secret.</summary>
public sealed record TokenView(Guid Id, string Name, string Prefix, AccessRole Role, string? Project, string? User, string CreatedBy,
    DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>The body of <c>POST /api/v1/auth/login</c>.</summary>
public sealed record LoginRequest(string? UserName, string? Password, string? TokenName = null);

/// <summary>What <c>POST /api/v1/auth/login</c> answers: a personal token for the CLI.</summary>
public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, string UserName, AccessRole Role);

/// <summary>Limits on a project (null: none).</summary>
public sealed record ProjectQuotasView(int? MaxVcpus, int? MaxMemoryMiB, int? MaxDiskGiB, int? MaxNetworks, int? MaxMachines);

/// <summary>A project, its quotas and what its machines use.</summary>
public sealed record ProjectView(string Name, string? Description, ProjectQuotasView Quotas, ProjectUsageView Usage, IReadOnlyList<string> Members, DateTimeOffset CreatedAt);

public sealed record ProjectUsageView(int Vcpus, int MemoryMiB, int DiskGiB, int Networks, int Machines);

/// <summary>The body of <c>POST /api/v1/projects</c>.</summary>
public sealed record CreateProjectRequest(string? Name, string? Description = null, ProjectQuotasView? Quotas = null);

/// <summary>A user: never a password. A disabled user cannot sign in and its tokens are refused; <see cref="DisabledAt"/> says since when.</summary>
public sealed record UserView(string Id, string UserName, AccessRole Role, IReadOnlyList<string> Projects, DateTimeOffset CreatedAt, bool Disabled, DateTimeOffset? DisabledAt);

/// <summary>The body of <c>POST /api/v1/users</c>.</summary>
public sealed record CreateUserRequest(string? UserName, string? Password, AccessRole? Role = null, IReadOnlyList<string>? Projects = null);

/// <summary>The body of <c>PUT /api/v1/users/{name}/role</c>.</summary>
public sealed record UserRoleRequest(AccessRole? Role);

/// <summary>The body of <c>PATCH /api/v1/users/{name}</c>: <c>disabled</c> true disables the user, false enables it again.</summary>
public sealed record UpdateUserRequest(bool? Disabled);

/// <summary>One entry of the audit log.</summary>
public sealed record AuditView(long Id, DateTimeOffset At, string User, string Action, string Target, string? RemoteIp, int Status, string? Detail);

/// <summary>The body of <c>POST /api/v1/join-tokens</c>.</summary>
public sealed record CreateJoinTokenRequest(string? Name, DateTimeOffset? ExpiresAt = null);

/// <summary>A new join token: <see cref="Token"/> is the secret, shown this once.</summary>
public sealed record JoinTokenCreated(Guid Id, string Name, DateTimeOffset? ExpiresAt, string Token);

public sealed record JoinTokenView(Guid Id, string Name, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

/// <summary>An agent's credential: which host, since when, whether revoked, whether connected now.</summary>
public sealed record AgentCredentialView(Guid HostId, string? Host, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, bool Connected);

