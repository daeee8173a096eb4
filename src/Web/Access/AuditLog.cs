using Microsoft.EntityFrameworkCore;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Web.Access;

/// <summary>Writes the audit log: who did what to what, when, from where, and how it ended.</summary>
public sealed class AuditLog(IDbContextFactory<RingmasterDbContext> dbFactory, ILogger<AuditLog> logger)
{
    public async Task RecordAsync(string user, string action, string target, string? remoteIp, int status, string? detail = null)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            db.Audit.Add(new AuditEntity
            {
                At = DateTime.UtcNow,
                User = InputText.Clip(user, 255),
                Action = InputText.Clip(action, 127),
                Target = InputText.Clip(target, 511),
                RemoteIp = remoteIp is null ? null : InputText.Clip(remoteIp, 63),
                Status = status,
                Detail = detail is null ? null : InputText.Clip(detail, 2047),
            });
            await db.SaveChangesAsync();
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or ObjectDisposedException)
        {
            logger.LogWarning(ex, "Could not write the audit record of {Action} on {Target}", action, target);
        }
    }

    public Task RecordAsync(HttpContext http, string action, string target, int status, string? detail = null, string? user = null) =>
        RecordAsync(user ?? http.User.Identity?.Name ?? "anonymous", action, target, AccessExtensions.RemoteIp(http), status, detail);
}

/// <summary>
/// Records every change through the API (any non-GET under /api/v1) once its answer is sent, refusals
/// included, with what it changed by name (its path kept as the detail); endpoints marked
/// <see cref="NotAChange"/> are not changes.
/// </summary>
public sealed class AuditMiddleware(RequestDelegate next, AuditLog audit, AuditTargets targets)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.Path.StartsWithSegments("/api/v1") || HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
            || context.GetEndpoint()?.Metadata is { } metadata && (metadata.GetMetadata<AuditedByHandler>() is not null || metadata.GetMetadata<NotAChange>() is not null))
        {
            await next(context);
            return;
        }

        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        var action = $"{request.Method} {route ?? request.Path.Value}";
        var path = request.Path.Value ?? "";
        string? name;
        try
        {
            name = await targets.OfRequestAsync(request);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.Data.Common.DbException)
        {
            // Naming the target is for the reader of the log: the request goes on, audited by its path.
            name = null;
        }

        context.Response.OnCompleted(() => audit.RecordAsync(context, action, name ?? path, context.Response.StatusCode, name is null ? null : path));
        await next(context);
    }
}

/// <summary>Marks an endpoint that writes its own audit record (sign-ins name the user they tried).</summary>
public sealed class AuditedByHandler
{
    public static AuditedByHandler Instance { get; } = new();
}

/// <summary>Marks a write endpoint that changes nothing worth auditing (a console's terminal size follows the browser window).</summary>
public sealed class NotAChange
{
    public static NotAChange Instance { get; } = new();
}
