using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Apis;

/// <summary>Users' metric rules: an alert opens when a machine's or host's figure stays past a threshold for a while.</summary>
public static class AlertRulesApi
{
    public static IEndpointRouteBuilder MapAlertRulesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/alert-rules").WithTags("Alert rules");
        api.MapGet("/", ListAlertRules)
            .WithName("ListAlertRules").WithSummary("List metric alert rules with whether each is firing");
        api.MapPost("/", CreateAlertRule)
            .WithName("CreateAlertRule").WithSummary("Add a metric alert rule: a figure past a threshold for a while opens an alert");
        api.MapGet("/{id:guid}", GetAlertRule)
            .WithName("GetAlertRule").WithSummary("Read one metric alert rule");
        api.MapPatch("/{id:guid}", UpdateAlertRule)
            .WithName("UpdateAlertRule").WithSummary("Change a metric alert rule's condition, severity or name, or disable it");
        api.MapDelete("/{id:guid}", DeleteAlertRule)
            .WithName("DeleteAlertRule").WithSummary("Delete a metric alert rule and resolve its open alerts");
        return app;
    }

    private static ProblemHttpResult NoRule() => ApiResults.Problem(ResultKind.NotFound, "No such alert rule.");

    public static async Task<Ok<IReadOnlyList<AlertRuleView>>> ListAlertRules(AlertRuleService rules, CancellationToken cancellationToken) =>
        TypedResults.Ok(await rules.ListAsync(cancellationToken));

    public static async Task<Results<Ok<AlertRuleView>, ProblemHttpResult>> GetAlertRule(AlertRuleService rules, Guid id, CancellationToken cancellationToken) =>
        await rules.GetAsync(id, cancellationToken) is { } rule ? TypedResults.Ok(rule) : NoRule();

    public static async Task<Results<Created<AlertRuleView>, ValidationProblem, ProblemHttpResult>> CreateAlertRule(
        AlertRuleService rules, [FromBody] CreateAlertRuleRequest request, CancellationToken cancellationToken)
    {
        var result = await rules.CreateAsync(request, cancellationToken);
        return result.Kind switch
        {
            ResultKind.Ok => TypedResults.Created($"/api/v1/alert-rules/{result.Value!.Id}", result.Value),
            ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, title: "The request is not valid."),
            _ => ApiResults.Problem(result.Kind, result.Message),
        };
    }

    public static async Task<Results<Ok<AlertRuleView>, ValidationProblem, ProblemHttpResult>> UpdateAlertRule(
        AlertRuleService rules, Guid id, [FromBody] UpdateAlertRuleRequest request, CancellationToken cancellationToken)
    {
        var result = await rules.UpdateAsync(id, request, cancellationToken);
        return result.Kind switch
        {
            ResultKind.Ok => TypedResults.Ok(result.Value!),
            ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, title: "The request is not valid."),
            _ => ApiResults.Problem(result.Kind, result.Message),
        };
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAlertRule(AlertRuleService rules, Guid id, CancellationToken cancellationToken) =>
        await rules.DeleteAsync(id, cancellationToken) ? TypedResults.NoContent() : NoRule();
}
