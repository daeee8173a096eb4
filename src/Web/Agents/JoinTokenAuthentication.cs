using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Ringmaster.Web.Agents;

/// <summary>The join token agents present (bearer header, or access_token on the query for WebSockets).</summary>
public sealed record JoinToken(string Value)
{
    /// <summary>RINGMASTER_JOIN_TOKEN, else Agent:JoinToken, else a random token kept in the data folder.</summary>
    public static JoinToken Resolve(IConfiguration configuration, string dataPath)
    {
        var configured = Environment.GetEnvironmentVariable("RINGMASTER_JOIN_TOKEN") ?? configuration["Agent:JoinToken"];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new JoinToken(configured.Trim());
        }

        Directory.CreateDirectory(dataPath);
        var file = Path.Combine(dataPath, "join-token");
        if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: >= 16 } stored)
        {
            return new JoinToken(stored);
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        File.WriteAllText(file, token);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return new JoinToken(token);
    }

    public bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(Value));

    public override string ToString() => "JoinToken(***)";
}

/// <summary>
/// Agents on the hub: the configured join token (the bootstrap one the embedded agent uses), a join
/// token an admin created, or the agent's own credential (claim <see cref="HostClaim"/> names its host).
/// </summary>
public sealed class JoinTokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    JoinToken joinToken,
    AgentCredentials credentials) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AgentJoinToken";
    public const string ProofClaim = "ringmaster:agent-proof";
    public const string HostClaim = "ringmaster:agent-host";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? presented = null;
        var header = Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = header["Bearer ".Length..].Trim();
        }
        else if (Request.Query.TryGetValue("access_token", out var query))
        {
            presented = query.ToString();
        }

        if (presented is null)
        {
            return AuthenticateResult.NoResult();
        }

        var claims = new List<Claim> { new(ClaimTypes.Role, "agent") };
        if (joinToken.Matches(presented))
        {
            claims.Add(new Claim(ProofClaim, nameof(AgentProof.JoinToken)));
        }
        else if (await credentials.CheckAsync(presented, Context.RequestAborted) is { } proof)
        {
            claims.Add(new Claim(ProofClaim, proof.Proof.ToString()));
            if (proof.HostId is { } hostId)
            {
                claims.Add(new Claim(HostClaim, hostId.ToString()));
            }
        }
        else
        {
            return AuthenticateResult.Fail("The join token or agent credential is not valid.");
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }
}
