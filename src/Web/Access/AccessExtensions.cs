using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Apis;

namespace Ringmaster.Web.Access;

/// <summary>Who may do what: users, cookie and token sign-in, roles, the fallback policy, rate limits and the audit log.</summary>
public static class AccessExtensions
{
    /// <summary>The default scheme: a bearer token when one is sent, the dashboard's cookie otherwise.</summary>
    public const string SchemeName = "Ringmaster";
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string SignInLimit = "sign-in";

    public static IHostApplicationBuilder AddRingmasterAccess(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        // The environment variables named in the docs win over the Access section.
        if (configuration["RINGMASTER_ADMIN_PASSWORD"] is { Length: > 0 } password)
        {
            configuration[$"{AccessOptions.Section}:{nameof(AccessOptions.AdminPassword)}"] = password;
        }

        if (configuration["RINGMASTER_BOOTSTRAP_TOKEN"] is { Length: > 0 } bootstrap)
        {
            configuration[$"{AccessOptions.Section}:{nameof(AccessOptions.BootstrapToken)}"] = bootstrap;
        }

        builder.Services.AddOptions<AccessOptions>()
            .BindConfiguration(AccessOptions.Section)
            .Validate(o => o.SignInPermitLimit >= 1 && o.FailedTokenPermitLimit >= 1 && o.TokenRequestsPerMinute >= 0 && o.CircuitRecheckSeconds >= 1, "Access limits must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => AccessSettings.From(configuration));

        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<IAccessScope, HttpAccessScope>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<AuditTargets>();
        builder.Services.AddSingleton<ApiTokens>();
        builder.Services.AddIdentityCore<UserEntity>(o =>
            {
                o.Password.RequiredLength = 8;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._@";
            })
            .AddEntityFrameworkStores<RingmasterDbContext>();

        // One key ring in the inventory: a cookie or antiforgery token made by one web node is read
        // by every other, and survives a restart (on SQLite as on PostgreSQL).
        builder.Services.AddDataProtection()
            .SetApplicationName("Ringmaster")
            .PersistKeysToDbContext<RingmasterDbContext>();

        builder.Services.AddAuthentication(o =>
            {
                o.DefaultScheme = SchemeName;
                o.DefaultChallengeScheme = SchemeName;
            })
            .AddPolicyScheme(SchemeName, "Token or cookie", o =>
                o.ForwardDefaultSelector = context => TokenAuthentication.BearerOf(context.Request) is not null ? TokenAuthentication.SchemeName : CookieScheme)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthentication>(TokenAuthentication.SchemeName, null)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = ".Ringmaster.Session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.LoginPath = "/login";
                o.LogoutPath = "/account/logout";
                o.AccessDeniedPath = "/login";
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = context => ApiOr(context, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = context => ApiOr(context, StatusCodes.Status403Forbidden);
                o.Events.OnValidatePrincipal = RefreshPrincipalAsync;
            });

        builder.Services.AddSingleton<IAuthorizationHandler, SignedInHandler>();
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().AddRequirements(new SignedInRequirement()).Build())
            .AddPolicy(nameof(AccessRole.Admin), p => p.RequireRole(nameof(AccessRole.Admin)))
            .AddPolicy(nameof(AccessRole.Operator), p => p.RequireRole(nameof(AccessRole.Operator)))
            .AddPolicy(nameof(AccessRole.Viewer), p => p.RequireRole(nameof(AccessRole.Viewer)));
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, CircuitRevalidation>();
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, CircuitAccess>();

        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                await Results.Problem("Too many requests from this client or token; wait a minute and try again.", statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests")
                    .ExecuteAsync(context.HttpContext);
            };
            o.AddPolicy(SignInLimit, context =>
            {
                var limit = context.RequestServices.GetRequiredService<AccessSettings>().SignInPermitLimit;
                return RateLimitPartition.GetFixedWindowLimiter("sign-in:" + RemoteIp(context), _ => new FixedWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                // Agents (the hub, and their transfers' bytes, which a node passes on to another with
                // the agent's credential) present their own credential, not an API token.
                if (context.Request.Path.StartsWithSegments(Contracts.AgentHubPaths.Hub) || context.Request.Path.StartsWithSegments(Agents.TransferEndpoints.Path)
                    || TokenAuthentication.BearerOf(context.Request) is null)
                {
                    return RateLimitPartition.GetNoLimiter("none");
                }

                var settings = context.RequestServices.GetRequiredService<AccessSettings>();
                if (context.User.TokenIdOf() is { } tokenId)
                {
                    return settings.TokenRequestsPerMinute == 0
                        ? RateLimitPartition.GetNoLimiter("none")
                        : RateLimitPartition.GetFixedWindowLimiter("token:" + tokenId, _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.TokenRequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
                }

                return RateLimitPartition.GetFixedWindowLimiter("bad-token:" + RemoteIp(context), _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.FailedTokenPermitLimit, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
        });

        builder.Services.Configure<OpenApiOptions>("v1", o => o.AddDocumentTransformer<SecuritySchemes>());
        builder.Services.AddHostedService<AccessBootstrap>();
        return builder;
    }

    /// <summary>Rate limits, the audit log and the write rule (any non-GET under /api/v1 needs Operator); runs between authentication and authorization.</summary>
    public static WebApplication UseRingmasterAccess(this WebApplication app)
    {
        app.UseRateLimiter();
        app.UseMiddleware<AuditMiddleware>();
        app.UseMiddleware<WriteRuleMiddleware>();
        return app;
    }

    /// <summary>Sign-in, tokens, projects, users, the audit log and agents' join tokens and credentials.</summary>
    public static IEndpointRouteBuilder MapAccessApis(this IEndpointRouteBuilder app)
    {
        app.MapAuthApi();
        app.MapTokensApi();
        app.MapProjectsApi();
        app.MapUsersApi();
        app.MapAuditApi();
        app.MapAgentsApi();
        return app;
    }

    public static string RemoteIp(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    public static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api");

    private static Task ApiOr(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        // Machines' clients (the API, the dashboard's circuit, agents, a Prometheus scraping /metrics) get the status, not a login page.
        if (IsApi(context.Request) || context.Request.Path.StartsWithSegments("/_blazor") || context.Request.Path.StartsWithSegments("/hubs")
            || context.Request.Path.StartsWithSegments("/metrics"))
        {
            context.Response.StatusCode = status;
            if (status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
            }

            return Task.CompletedTask;
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>Every request with the cookie reads the user again (one lookup by key): a deleted or disabled user is signed out, a changed role or membership applies at once.</summary>
    private static async Task RefreshPrincipalAsync(CookieValidatePrincipalContext context)
    {
        var dbFactory = context.HttpContext.RequestServices.GetRequiredService<IDbContextFactory<RingmasterDbContext>>();
        await using var db = await dbFactory.CreateDbContextAsync(context.HttpContext.RequestAborted);
        var user = await SessionUserAsync(db, context.Principal, context.HttpContext.RequestAborted);
        if (user is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
            return;
        }

        var fresh = await AccessClaims.BuildAsync(db, user, CookieScheme, user.UserName!, null, null, null, context.HttpContext.RequestAborted);
        ((ClaimsIdentity)fresh.Identity!).AddClaim(new Claim(SecurityStampClaim, user.SecurityStamp ?? ""));
        context.ReplacePrincipal(fresh);
    }

    public const string SecurityStampClaim = "ringmaster:stamp";

    /// <summary>
    /// The user a signed-in principal still stands for: the same user, not disabled, its security
    /// stamp unchanged since sign-in. Null when the session must end (the cookie on each request and
    /// an open dashboard tab alike).
    /// </summary>
    public static async Task<UserEntity?> SessionUserAsync(RingmasterDbContext db, ClaimsPrincipal? principal, CancellationToken cancellationToken)
    {
        if (principal?.UserIdOf() is not { } id)
        {
            return null;
        }

        var stamp = principal.FindFirstValue(SecurityStampClaim);
        return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id && u.DisabledAt == null && u.SecurityStamp == stamp, cancellationToken);
    }

    /// <summary>The cookie's principal at sign-in; <see cref="RefreshPrincipalAsync"/> fills in role and projects on each request.</summary>
    public static ClaimsPrincipal CookiePrincipal(UserEntity user) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, user.Id), new Claim(ClaimTypes.Name, user.UserName!), new Claim(SecurityStampClaim, user.SecurityStamp ?? "")],
        CookieScheme, ClaimTypes.Name, ClaimTypes.Role));
}

/// <summary>The limits, read once (the rate limiter's partitions need them synchronously).</summary>
public sealed record AccessSettings(int SignInPermitLimit, int FailedTokenPermitLimit, int TokenRequestsPerMinute)
{
    public static AccessSettings From(IConfiguration configuration)
    {
        var o = configuration.GetSection(AccessOptions.Section).Get<AccessOptions>() ?? new AccessOptions();
        return new AccessSettings(o.SignInPermitLimit, o.FailedTokenPermitLimit, o.TokenRequestsPerMinute);
    }
}
