namespace Ringmaster.Web.Access;

/// <summary>Sign-in, tokens and their limits (section <c>Access</c>).</summary>
public sealed record AccessOptions
{
    public const string Section = "Access";

    /// <summary>The first admin's password (env RINGMASTER_ADMIN_PASSWORD); generated and logged once when unset.</summary>
    public string? AdminPassword { get; init; }

    /// <summary>An admin API token created with exactly this value at first start (env RINGMASTER_BOOTSTRAP_TOKEN).</summary>
    public string? BootstrapToken { get; init; }

    /// <summary>Sign-in attempts (login page and <c>/api/v1/auth/login</c>) per client address per minute.</summary>
    public int SignInPermitLimit { get; init; } = 10;

    /// <summary>Requests with a bearer token that is not valid, per client address per minute.</summary>
    public int FailedTokenPermitLimit { get; init; } = 30;

    /// <summary>Requests per token per minute; 0 turns the limit off (load benchmarks).</summary>
    public int TokenRequestsPerMinute { get; init; } = 20_000;

    /// <summary>How long the personal token from <c>POST /api/v1/auth/login</c> lives.</summary>
    public int LoginTokenDays { get; init; } = 30;

    /// <summary>How long a token lives when its creator names no expiry.</summary>
    public int DefaultTokenDays { get; init; } = 90;

    /// <summary>How often an open dashboard tab's user is read again (a disabled or deleted user is signed out of it).</summary>
    public int CircuitRecheckSeconds { get; init; } = 30;
}
