using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Apis;

/// <summary>Snapshot and backup schedules with retention.</summary>
public static class SchedulesApi
{
    public static IEndpointRouteBuilder MapSchedulesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/schedules").WithTags("Schedules");
        api.MapGet("/", ListSchedules)
            .WithName("ListSchedules").WithSummary("List snapshot and backup schedules");
        api.MapGet("/{id:guid}", GetSchedule)
            .WithName("GetSchedule").WithSummary("Read one schedule");
        api.MapPost("/", CreateSchedule)
            .WithName("CreateSchedule").WithSummary("Create a snapshot or backup schedule");
        api.MapDelete("/{id:guid}", DeleteSchedule)
            .WithName("DeleteSchedule").WithSummary("Delete a schedule");
        return app;
    }

    public static async Task<Ok<IReadOnlyList<ScheduleView>>> ListSchedules(ScheduleService schedules, CancellationToken cancellationToken) =>
        TypedResults.Ok(await schedules.ListAsync(cancellationToken));

    public static async Task<Results<Ok<ScheduleView>, ProblemHttpResult>> GetSchedule(ScheduleService schedules, Guid id, CancellationToken cancellationToken) =>
        await schedules.GetAsync(id, cancellationToken) is { } schedule ? TypedResults.Ok(schedule) : ApiResults.Problem(ResultKind.NotFound, "No such schedule.");

    public static async Task<Results<Created<ScheduleView>, ValidationProblem, ProblemHttpResult>> CreateSchedule(
        ScheduleService schedules, [FromBody] CreateScheduleRequest request, CancellationToken cancellationToken)
    {
        var result = await schedules.CreateAsync(request, cancellationToken);
        return result.Kind switch
        {
            ResultKind.Ok => TypedResults.Created($"/api/v1/schedules/{result.Value!.Id}", result.Value),
            ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, title: "The request is not valid."),
            _ => ApiResults.Problem(result.Kind, result.Message),
        };
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteSchedule(ScheduleService schedules, Guid id, CancellationToken cancellationToken) =>
        await schedules.DeleteAsync(id, cancellationToken) ? TypedResults.NoContent() : ApiResults.Problem(ResultKind.NotFound, "No such schedule.");
}
