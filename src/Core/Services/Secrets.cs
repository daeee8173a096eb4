using System.Security.Cryptography;
using System.Text;

namespace Ringmaster.Core.Services;

/// <summary>Random secrets and the only form in which they are stored: their SHA-256.</summary>
public static class Secrets
{
    public const string TokenPrefix = "rmt_";
    public const string JoinTokenPrefix = "rmj_";
    public const string AgentPrefix = "rma_";

    /// <summary>A new secret: the prefix and 32 random bytes, base64url.</summary>
    public static string New(string prefix) =>
        prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The SHA-256 of a secret, lower-case hex.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>What may be shown of a secret: its first characters.</summary>
    public static string Shown(string secret) => secret.Length <= 8 ? "…" : secret[..8] + "…";
}
