using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;

namespace Ringmaster.Web.Access;

/// <summary>The fallback policy's one requirement: a signed-in Ringmaster user or token, except on the public paths.</summary>
public sealed class SignedInRequirement : IAuthorizationRequirement;

public sealed class SignedInHandler : AuthorizationHandler<SignedInRequirement>
{
    private static readonly string[] s_publicPrefixes = ["/healthz", "/readyz", "/openapi", "/api/docs", "/login", "/account/login", "/_framework", "/_content", "/lib", "/css"];

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, SignedInRequirement requirement)
    {
        if (context.User.RoleOf() is not null || (context.Resource is HttpContext http && IsPublic(http.Request)))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }

    /// <summary>Health probes, the API's documents and the login page: answered without sign-in.</summary>
    public static bool IsPublicPath(PathString path) => s_publicPrefixes.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>Health probes, the API's documents, the login page and static assets.</summary>
    public static bool IsPublic(HttpRequest request)
    {
        var path = request.Path;
        if (IsPublicPath(path))
        {
            return true;
        }

        // Static assets (styles, scripts, images, fonts) carry a file extension; no API or page path does.
        var value = path.Value ?? "";
        return HttpMethods.IsGet(request.Method) && !path.StartsWithSegments("/api") && Path.HasExtension(value);
    }
}

/// <summary>Marks an endpoint any signed-in role may call with a write method (its handler checks what the caller may do).</summary>
public sealed class AnyRoleMayWrite
{
    public static AnyRoleMayWrite Instance { get; } = new();
}

/// <summary>Any non-GET request under /api/v1 (and the console) needs Operator unless the endpoint says otherwise: new endpoints are covered without edits.</summary>
public sealed class WriteRuleMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments("/api/v1")
            && (!(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsOptions(context.Request.Method)) || IsConsole(context.Request.Path))
            && context.User.RoleOf() is { } role && role < AccessRole.Operator
            && context.GetEndpoint()?.Metadata is var metadata
            && metadata?.GetMetadata<IAllowAnonymous>() is null && metadata?.GetMetadata<AnyRoleMayWrite>() is null)
        {
            return Results.Problem($"Your role ({role}) may only read; this needs Operator or Admin.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden").ExecuteAsync(context);
        }

        return next(context);
    }

    /// <summary>A console (text or graphical) is typing into a machine: Operator's, though it opens with a GET.</summary>
    internal static bool IsConsole(PathString path) =>
        path.StartsWithSegments("/api/v1/machines", out var rest) && rest.Value is { } r
        && (r.EndsWith("/console", StringComparison.Ordinal) || r.EndsWith(Apis.DisplayApi.PathSuffix, StringComparison.Ordinal));
}
