using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Access;

/// <summary>
/// The names the audit log gives what a change was made to: "web-1", "backup of web-1 at …", never a raw
/// id. The dashboard names its targets through these, and the API's audit through <see cref="OfRequestAsync"/>.
/// </summary>
public sealed class AuditTargets(IDbContextFactory<RingmasterDbContext> dbFactory)
{
    /// <summary>The largest JSON body read for the name of what a create makes (uploads are never read).</summary>
    private const long MaxBodyRead = 64 * 1024;

    /// <summary>
    /// What an API request changes, by name: the object its path names by id (looked up before the request
    /// runs, so a delete still finds it), with the snapshot or script under it as the dashboard names them
    /// ("web-1/s1"), or for a create the name in its JSON body; null when it has neither, and the path then
    /// stands for itself.
    /// </summary>
    public async Task<string?> OfRequestAsync(HttpRequest request)
    {
        var segments = (request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length < 3 || segments[0] != "api" || segments[1] != "v1")
        {
            return null;
        }

        if (segments.Length >= 4 && Guid.TryParse(segments[3], out var id))
        {
            var name = await NameAsync(segments[2], id, request.HttpContext.RequestAborted);
            return name is not null && segments.Length >= 6 && segments[4] is "snapshots" or "scripts"
                ? $"{name}/{Uri.UnescapeDataString(segments[5])}"
                : name;
        }

        return segments.Length == 3 && HttpMethods.IsPost(request.Method) ? await BodyNameAsync(request) : null;
    }

    /// <summary>The name of the object of <paramref name="collection"/> (as the API's path spells it) with <paramref name="id"/>; null when there is none.</summary>
    public async Task<string?> NameAsync(string collection, Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return collection switch
        {
            "machines" => await FirstAsync(db.Machines.IgnoreQueryFilters().Where(m => m.Id == id).Select(m => m.Name), cancellationToken),
            "hosts" or "agents" => await FirstAsync(db.Hosts.IgnoreQueryFilters().Where(h => h.Id == id).Select(h => h.Name), cancellationToken),
            "schedules" => await FirstAsync(db.Schedules.IgnoreQueryFilters().Where(s => s.Id == id).Select(s => s.Name), cancellationToken),
            "scaling-groups" => await FirstAsync(db.Set<ScalingGroupEntity>().IgnoreQueryFilters().Where(g => g.Id == id).Select(g => g.Name), cancellationToken),
            "tokens" => await FirstAsync(db.ApiTokens.IgnoreQueryFilters().Where(t => t.Id == id).Select(t => t.Name), cancellationToken),
            "join-tokens" => await FirstAsync(db.JoinTokens.IgnoreQueryFilters().Where(t => t.Id == id).Select(t => t.Name), cancellationToken),
            "webhooks" => await FirstAsync(db.Webhooks.IgnoreQueryFilters().Where(w => w.Id == id).Select(w => w.Name), cancellationToken),
            "alert-rules" => await FirstAsync(db.AlertRules.IgnoreQueryFilters().Where(r => r.Id == id).Select(r => r.Name), cancellationToken),
            "alerts" => await FirstAsync(db.Alerts.IgnoreQueryFilters().Where(a => a.Id == id).Select(a => a.Subject), cancellationToken),
            "backups" => Backup(await db.Backups.IgnoreQueryFilters().Where(b => b.Id == id)
                .Select(b => new { b.MachineName, b.CreatedAt }).Take(1).ToListAsync(cancellationToken) is [var b] ? (b.MachineName, b.CreatedAt) : null),
            "operations" => await db.Operations.IgnoreQueryFilters().Where(o => o.Id == id)
                .Select(o => new { o.Kind, o.Target }).Take(1).ToListAsync(cancellationToken) is [var o] ? $"{o.Kind.Name()} of {o.Target}" : null,
            _ => null,
        };
    }

    private static string? Backup((string MachineName, DateTime CreatedAt)? backup) =>
        backup is { } b ? $"backup of {b.MachineName} at {DateTime.SpecifyKind(b.CreatedAt, DateTimeKind.Utc).ToString("u", CultureInfo.InvariantCulture)}" : null;

    private static async Task<string?> FirstAsync(IQueryable<string> query, CancellationToken cancellationToken) =>
        (await query.Take(1).ToListAsync(cancellationToken)) is [var first] ? first : null;

    /// <summary>The "name" (or "userName") of a small JSON body, read so that the endpoint still reads the whole body after it.</summary>
    private static async Task<string?> BodyNameAsync(HttpRequest request)
    {
        if (request.ContentLength is > MaxBodyRead or 0 || request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return null;
        }

        request.EnableBuffering();
        var buffer = new byte[MaxBodyRead + 1];
        var length = 0;
        try
        {
            int read;
            while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted)) > 0)
            {
                length += read;
            }
        }
        finally
        {
            request.Body.Position = 0;
        }

        if (length is 0 or > (int)MaxBodyRead)
        {
            return null;
        }

        try
        {
            using var body = JsonDocument.Parse(buffer.AsMemory(0, length));
            return body.RootElement.ValueKind == JsonValueKind.Object
                ? body.RootElement.EnumerateObject()
                    .Where(p => p.Value.ValueKind == JsonValueKind.String
                        && (p.Name.Equals("name", StringComparison.OrdinalIgnoreCase) || p.Name.Equals("userName", StringComparison.OrdinalIgnoreCase)))
                    .Select(p => p.Value.GetString())
                    .FirstOrDefault(n => !string.IsNullOrWhiteSpace(n))
                : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not JSON, or a name that is not text (half a surrogate pair): the endpoint answers it with its own problem.
            return null;
        }
    }
}
