using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Apis;

/// <summary>Alerts (what the dashboard's bell shows) and the webhooks they are sent to (admins only).</summary>
public static class AlertsApi
{
    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var alerts = app.MapGroup("/api/v1/alerts").WithTags("Alerts");
        alerts.MapGet("/", ListAlerts)
            .WithName("ListAlerts").WithSummary("List alerts, newest first: the open ones, or all with state=all");
        alerts.MapPost("/{id:guid}/acknowledge", AcknowledgeAlert)
            .WithName("AcknowledgeAlert").WithSummary("Acknowledge an open alert: it leaves the open list");

        var webhooks = app.MapGroup("/api/v1/webhooks").WithTags("Webhooks").RequireAuthorization(nameof(AccessRole.Admin));
        webhooks.MapGet("/", ListWebhooks)
            .WithName("ListWebhooks").WithSummary("List the webhooks alerts are sent to");
        webhooks.MapPost("/", CreateWebhook)
            .WithName("CreateWebhook").WithSummary("Add a webhook (its secret is shown once when it is generated)");
        webhooks.MapDelete("/{id:guid}", DeleteWebhook)
            .WithName("DeleteWebhook").WithSummary("Remove a webhook and its delivery log");
        webhooks.MapGet("/{id:guid}/deliveries", ListDeliveries)
            .WithName("ListWebhookDeliveries").WithSummary("List a webhook's deliveries, newest first, with every attempt");
        webhooks.MapPost("/{id:guid}/test", TestWebhook)
            .WithName("TestWebhook").WithSummary("Send a webhook.test event to a webhook");
        return app;
    }

    public static async Task<Results<Ok<IReadOnlyList<AlertView>>, ValidationProblem>> ListAlerts(AlertService alerts, string? state, CancellationToken cancellationToken) =>
        state is null or "open" or "all"
            ? TypedResults.Ok(await alerts.ListAsync(openOnly: state != "all", cancellationToken: cancellationToken))
            : ApiResults.Invalid("state", "state is 'open' (the default) or 'all'.");

    public static async Task<Results<Ok<AlertView>, ProblemHttpResult>> AcknowledgeAlert(AlertService alerts, ClaimsPrincipal user, Guid id, CancellationToken cancellationToken)
    {
        var result = await alerts.AcknowledgeAsync(id, user.Identity?.Name ?? "unknown", cancellationToken);
        return result.Kind == ResultKind.Ok ? TypedResults.Ok(result.Value!) : ApiResults.Problem(result.Kind, result.Message);
    }

    public static async Task<Ok<IReadOnlyList<WebhookView>>> ListWebhooks(WebhookService webhooks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await webhooks.ListAsync(cancellationToken));

    public static async Task<Results<Created<WebhookCreated>, ValidationProblem, ProblemHttpResult>> CreateWebhook(
        WebhookService webhooks, [FromBody] CreateWebhookRequest request, CancellationToken cancellationToken)
    {
        var result = await webhooks.CreateAsync(request, cancellationToken);
        return result.Kind switch
        {
            ResultKind.Ok => TypedResults.Created($"/api/v1/webhooks/{result.Value!.Id}", result.Value),
            ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, title: "The request is not valid."),
            _ => ApiResults.Problem(result.Kind, result.Message),
        };
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteWebhook(WebhookService webhooks, Guid id, CancellationToken cancellationToken) =>
        await webhooks.DeleteAsync(id, cancellationToken) ? TypedResults.NoContent() : ApiResults.Problem(ResultKind.NotFound, "No such webhook.");

    public static async Task<Results<Ok<IReadOnlyList<WebhookDeliveryView>>, ProblemHttpResult>> ListDeliveries(WebhookService webhooks, Guid id, CancellationToken cancellationToken) =>
        await webhooks.DeliveriesAsync(id, cancellationToken: cancellationToken) is { } deliveries
            ? TypedResults.Ok(deliveries)
            : ApiResults.Problem(ResultKind.NotFound, "No such webhook.");

    public static async Task<Results<Accepted<WebhookDeliveryView>, ProblemHttpResult>> TestWebhook(WebhookService webhooks, Guid id, CancellationToken cancellationToken) =>
        await webhooks.TestAsync(id, cancellationToken) is { } delivery
            ? TypedResults.Accepted($"/api/v1/webhooks/{id}/deliveries", delivery)
            : ApiResults.Problem(ResultKind.NotFound, "No such webhook.");
}
