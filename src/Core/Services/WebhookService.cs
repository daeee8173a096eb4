using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

/// <summary>The webhooks alerts are sent to, and what was sent to each.</summary>
public sealed class WebhookService(IDbContextFactory<RingmasterDbContext> dbFactory, WebhookDispatcher dispatcher, TimeProvider clock)
{
    public const int MinSecretLength = 16;

    private static WebhookView ToView(WebhookEntity w, WebhookDeliveryEntity? last) => new(
        w.Id, w.Name, w.Url, w.Enabled, Views.Utc(w.CreatedAt),
        new DeliverySummary(last?.Event, last?.State.ToString().ToLowerInvariant(), last?.LastStatus, last is null ? null : Views.Utc(last.DeliveredAt ?? last.CreatedAt)));

    public static WebhookDeliveryView ToView(WebhookDeliveryEntity d) => new(
        d.Id, d.WebhookId, d.AlertId, d.Event, d.State.ToString().ToLowerInvariant(), d.Attempts, d.LastStatus, d.LastError,
        d.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries), Views.Utc(d.CreatedAt), Views.Utc(d.NextAttemptAt), Views.Utc(d.DeliveredAt));

    public async Task<IReadOnlyList<WebhookView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var hooks = await db.Webhooks.AsNoTracking().OrderBy(w => w.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        var views = new List<WebhookView>(hooks.Count);
        foreach (var hook in hooks)
        {
            var last = await db.WebhookDeliveries.AsNoTracking().Where(d => d.WebhookId == hook.Id)
                .OrderByDescending(d => d.CreatedAt).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            views.Add(ToView(hook, last));
        }

        return views;
    }

    public async Task<ServiceResult<WebhookCreated>> CreateAsync(CreateWebhookRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, string[]>();
        if (!SnapshotService.IsValidName(request.Name))
        {
            errors["name"] = [$"A webhook name is {SnapshotService.NameRule}."];
        }

        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || request.Url!.Length > 2048)
        {
            errors["url"] = ["The URL is an absolute http:// or https:// address of at most 2048 characters, e.g. https://alerts.example/hooks/ringmaster."];
        }
        else if (!string.IsNullOrEmpty(url.UserInfo))
        {
            errors["url"] = ["Put no user name or password in the URL: receivers check the X-Ringmaster-Signature header instead."];
        }

        if (request.Secret is { } given && (given.Length is < MinSecretLength or > 256 || InputText.HasHiddenCharacters(given)))
        {
            errors["secret"] = [$"A secret is {MinSecretLength} to 256 visible characters; leave it out to have one made."];
        }

        if (errors.Count > 0)
        {
            return ServiceResult<WebhookCreated>.Invalid(errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (await db.Webhooks.AnyAsync(w => w.Name == request.Name, cancellationToken).ConfigureAwait(false))
        {
            return ServiceResult<WebhookCreated>.Conflict($"A webhook named '{request.Name}' exists.");
        }

        var hook = new WebhookEntity
        {
            Id = Guid.NewGuid(),
            Name = request.Name!,
            Url = url!.ToString(),
            Secret = request.Secret ?? Secrets.New("rmw_"),
            Enabled = request.Enabled,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Webhooks.Add(hook);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ServiceResult<WebhookCreated>.Ok(new WebhookCreated(hook.Id, hook.Name, hook.Url, hook.Enabled, Views.Utc(hook.CreatedAt), hook.Secret));
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.Webhooks.Where(w => w.Id == id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>The newest deliveries to a webhook, with each attempt; null when there is no such webhook.</summary>
    public async Task<IReadOnlyList<WebhookDeliveryView>?> DeliveriesAsync(Guid id, int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (!await db.Webhooks.AnyAsync(w => w.Id == id, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var rows = await db.WebhookDeliveries.AsNoTracking().Where(d => d.WebhookId == id)
            .OrderByDescending(d => d.CreatedAt).Take(limit).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(ToView)];
    }

    /// <summary>Queues a <c>webhook.test</c> delivery (no alert) to one webhook, enabled or not; null when there is no such webhook.</summary>
    public async Task<WebhookDeliveryView?> TestAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (!await db.Webhooks.AnyAsync(w => w.Id == id, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var queued = (await dispatcher.QueueAsync(db, "webhook.test", null, cancellationToken, onlyWebhook: id).ConfigureAwait(false)).Single();
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        dispatcher.Wake();
        return ToView(queued);
    }
}
