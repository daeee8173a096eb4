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

public sealed class JoinTokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    JoinToken joinToken) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AgentJoinToken";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
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
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!joinToken.Matches(presented))
        {
            return Task.FromResult(AuthenticateResult.Fail("The join token is not valid."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Role, "agent")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
