using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;

namespace Ringmaster.Core.Services;

/// <summary>How webhook deliveries are tried (section <c>Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>Attempts per delivery before it is given up as failed.</summary>
    public int Attempts { get; set; } = 6;

    /// <summary>The wait before the second attempt; it doubles after each failure (2, 4, 8… s by default).</summary>
    public double BackoffSeconds { get; set; } = 2;

    /// <summary>How long one attempt waits for the receiver's answer.</summary>
    public double TimeoutSeconds { get; set; } = 10;
}

/// <summary>
/// Sends queued webhook deliveries: each is a row written in the same transaction as the alert it
/// carries, so nothing is lost when the server stops; this loop POSTs it, signed, until the receiver
/// answers 2xx or the attempts run out, waiting longer after each failure and logging every attempt.
/// Only the node that leads sends (two senders would each post a delivery); deliveries other nodes
/// queue are not woken here, so while nodes share the inventory it looks for them every poll.
/// </summary>
public sealed class WebhookDispatcher(
    IDbContextFactory<RingmasterDbContext> dbFactory,
    ILeadership leadership,
    IOptions<WebhookOptions> options,
    TimeProvider clock,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string SignatureHeader = "X-Ringmaster-Signature";
    public const string EventHeader = "X-Ringmaster-Event";
    public const string DeliveryHeader = "X-Ringmaster-Delivery";

    private readonly SemaphoreSlim _wake = new(0);
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The signature header's value for a body: <c>sha256=</c> and the hex HMAC-SHA256 with the secret.</summary>
    public static string Sign(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    /// <summary>
    /// Adds a delivery of the event to every enabled webhook (or to <paramref name="onlyWebhook"/>,
    /// enabled or not) to <paramref name="db"/> and returns them; the caller saves.
    /// </summary>
    public async Task<IReadOnlyList<WebhookDeliveryEntity>> QueueAsync(RingmasterDbContext db, string eventName, AlertView? alert, CancellationToken cancellationToken, Guid? onlyWebhook = null)
    {
        var targets = await db.Webhooks.Where(w => onlyWebhook == null ? w.Enabled : w.Id == onlyWebhook)
            .Select(w => w.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        var queued = new List<WebhookDeliveryEntity>(targets.Count);
        foreach (var webhook in targets)
        {
            var id = Guid.NewGuid();
            queued.Add(new WebhookDeliveryEntity
            {
                Id = id,
                WebhookId = webhook,
                AlertId = alert?.Id,
                Event = eventName,
                Body = JsonSerializer.Serialize(new WebhookPayload(id, eventName, now, alert), JsonSerializerOptions.Web),
                State = DeliveryState.Pending,
                CreatedAt = now.UtcDateTime,
                NextAttemptAt = now.UtcDateTime,
            });
        }

        db.WebhookDeliveries.AddRange(queued);
        return queued;
    }

    /// <summary>Looks for due deliveries now instead of at the next poll.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeadingAsync(LeadAsync, stoppingToken);

    private async Task LeadAsync(CancellationToken stoppingToken)
    {
        WorkScope.Enter(new SystemScope("webhooks"));
        var idle = leadership.Shared ? leadership.PollInterval : TimeSpan.FromSeconds(30);
        while (!stoppingToken.IsCancellationRequested)
        {
            DateTime? next;
            try
            {
                next = await SendDueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Sending webhook deliveries failed");
                next = null;
            }

            var wait = next is { } at ? at - clock.GetUtcNow().UtcDateTime : idle;
            wait = wait < TimeSpan.Zero ? TimeSpan.Zero : wait > idle ? idle : wait;
            try
            {
                await _wake.WaitAsync(wait, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Sends every delivery that is due; returns when the next one is due (null: none waiting).</summary>
    private async Task<DateTime?> SendDueAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.WebhookDeliveries.Where(d => d.State == DeliveryState.Pending && d.NextAttemptAt <= now)
            .OrderBy(d => d.CreatedAt).Take(50).ToListAsync(cancellationToken).ConfigureAwait(false);
        var hooks = due.Count == 0 ? [] : await db.Webhooks.Where(w => due.Select(d => d.WebhookId).Contains(w.Id))
            .ToDictionaryAsync(w => w.Id, cancellationToken).ConfigureAwait(false);
        foreach (var delivery in due)
        {
            if (hooks.TryGetValue(delivery.WebhookId, out var hook))
            {
                await AttemptAsync(hook, delivery, cancellationToken).ConfigureAwait(false);
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return await db.WebhookDeliveries.Where(d => d.State == DeliveryState.Pending)
            .MinAsync(d => d.NextAttemptAt, cancellationToken).ConfigureAwait(false);
    }

    private async Task AttemptAsync(WebhookEntity hook, WebhookDeliveryEntity delivery, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        delivery.Attempts++;
        using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url)
        {
            Content = new StringContent(delivery.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(SignatureHeader, Sign(hook.Secret, delivery.Body));
        request.Headers.Add(EventHeader, delivery.Event);
        request.Headers.Add(DeliveryHeader, delivery.Id.ToString());
        request.Headers.UserAgent.ParseAdd("Ringmaster-Webhook/1");
        string outcome;
        var delivered = false;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
            try
            {
                using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                delivery.LastStatus = (int)response.StatusCode;
                delivery.LastError = response.IsSuccessStatusCode ? null : $"The receiver answered {(int)response.StatusCode} {response.ReasonPhrase}.";
                delivered = response.IsSuccessStatusCode;
                outcome = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                delivery.LastStatus = null;
                delivery.LastError = ex is OperationCanceledException
                    ? $"The receiver did not answer within {settings.TimeoutSeconds:0.#} s."
                    : $"The receiver could not be reached: {ex.Message}";
                outcome = delivery.LastError;
            }
        }

        var now = clock.GetUtcNow().UtcDateTime;
        delivery.Log += $"{now:u} attempt {delivery.Attempts}: {outcome}\n";
        if (delivered)
        {
            delivery.State = DeliveryState.Delivered;
            delivery.DeliveredAt = now;
            delivery.NextAttemptAt = null;
        }
        else if (delivery.Attempts >= settings.Attempts)
        {
            delivery.State = DeliveryState.Failed;
            delivery.NextAttemptAt = null;
            logger.LogWarning("Webhook {Webhook} gave up on {Event} after {Attempts} attempts: {Error}", hook.Name, delivery.Event, delivery.Attempts, delivery.LastError);
        }
        else
        {
            delivery.NextAttemptAt = now + TimeSpan.FromSeconds(settings.BackoffSeconds * Math.Pow(2, delivery.Attempts - 1));
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        _wake.Dispose();
        base.Dispose();
    }
}
