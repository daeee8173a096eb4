using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Shared;
using Ringmaster.Web.Access;

namespace Ringmaster.Web.Apis;

/// <summary>
/// Signing in: <c>POST /api/v1/auth/login</c> trades a user name and password for a personal token
/// (the CLI's <c>ringmaster login</c>); <c>/account/login</c> and <c>/account/logout</c> are the
/// dashboard's cookie sign-in form posts.
/// </summary>
public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/auth/login", Login).WithTags("Auth")
            .AllowAnonymous().RequireRateLimiting(AccessExtensions.SignInLimit).WithMetadata(AuditedByHandler.Instance)
            .WithName("Login").WithSummary("Sign in with a user name and password and get a personal API token");
        app.MapPost("/account/login", SignIn).ExcludeFromDescription()
            .AllowAnonymous().RequireRateLimiting(AccessExtensions.SignInLimit);
        app.MapPost("/account/logout", SignOut).ExcludeFromDescription();
        return app;
    }

    public static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> Login(
        [FromBody] LoginRequest request, UserManager<UserEntity> users, ApiTokens tokens, AuditLog audit, HttpContext http, CancellationToken cancellationToken)
    {
        if (InputText.HasHiddenCharacters(request.TokenName))
        {
            return ApiResults.Invalid("tokenName", $"A token name {InputText.HiddenCharacters}.");
        }

        var user = await CheckAsync(users, request.UserName, request.Password);
        if (user is null)
        {
            await audit.RecordAsync(http, "auth.login", "token", StatusCodes.Status401Unauthorized, "wrong user name or password", InputText.Clip(request.UserName ?? "(none)", 63));
            return TypedResults.Problem("The user name or password is wrong.", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
        }

        if (user.DisabledAt is not null)
        {
            await audit.RecordAsync(http, "auth.login", "token", StatusCodes.Status403Forbidden, "account disabled", user.UserName);
            return TypedResults.Problem(Disabled, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
        }

        var response = await tokens.IssueLoginTokenAsync(user, request.TokenName, cancellationToken);
        await audit.RecordAsync(http, "auth.login", "token", StatusCodes.Status200OK, null, user.UserName);
        return TypedResults.Ok(response);
    }

    public static async Task<RedirectHttpResult> SignIn(
        [FromForm] string? userName, [FromForm] string? password, [FromForm] string? returnUrl, UserManager<UserEntity> users, AuditLog audit, HttpContext http)
    {
        var back = IsLocal(returnUrl) ? returnUrl! : "/";
        var user = await CheckAsync(users, userName, password);
        if (user is null)
        {
            await audit.RecordAsync(http, "auth.sign-in", "dashboard", StatusCodes.Status401Unauthorized, "wrong user name or password", InputText.Clip(userName ?? "(none)", 63));
            return TypedResults.LocalRedirect($"/login?error=1&returnUrl={Uri.EscapeDataString(back)}");
        }

        if (user.DisabledAt is not null)
        {
            await audit.RecordAsync(http, "auth.sign-in", "dashboard", StatusCodes.Status403Forbidden, "account disabled", user.UserName);
            return TypedResults.LocalRedirect($"/login?error={DisabledError}&returnUrl={Uri.EscapeDataString(back)}");
        }

        await http.SignInAsync(AccessExtensions.CookieScheme, AccessExtensions.CookiePrincipal(user));
        await audit.RecordAsync(http, "auth.sign-in", "dashboard", StatusCodes.Status200OK, null, user.UserName);
        return TypedResults.LocalRedirect(back);
    }

    public static async Task<RedirectHttpResult> SignOut(HttpContext http, AuditLog audit, [FromForm] string? returnUrl)
    {
        var name = http.User.Identity?.Name;
        await http.SignOutAsync(AccessExtensions.CookieScheme);
        await audit.RecordAsync(http, "auth.sign-out", "dashboard", StatusCodes.Status200OK, null, name);
        return TypedResults.LocalRedirect("/login");
    }

    /// <summary>What a disabled user is told once its password is right (a wrong one says only that).</summary>
    public const string Disabled = "This account is disabled; ask an admin to enable it.";

    /// <summary>The sign-in page's <c>error</c> for a disabled account.</summary>
    public const string DisabledError = "disabled";

    private static async Task<UserEntity?> CheckAsync(UserManager<UserEntity> users, string? userName, string? password)
    {
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(password) || userName.Length > 256 || password.Length > 1024)
        {
            return null;
        }

        var user = await users.Users.FirstOrDefaultAsync(u => u.NormalizedUserName == users.NormalizeName(userName));
        return user is not null && await users.CheckPasswordAsync(user, password) ? user : null;
    }

    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);
}
