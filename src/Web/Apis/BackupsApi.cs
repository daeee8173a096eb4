using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

/// <summary>Backups: take one of a machine, list, restore (replacing the machine or as a new one on any host), verify, delete.</summary>
public static class BackupsApi
{
    public static IEndpointRouteBuilder MapBackupsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/machines/{id}/backups", BackupMachine).WithTags("Backups")
            .WithName("BackupMachine").WithSummary("Back up a machine (incremental to its last backup unless full)");
        var api = app.MapGroup("/api/v1/backups").WithTags("Backups");
        api.MapGet("/", ListBackups)
            .WithName("ListBackups").WithSummary("List backups, optionally of one machine");
        api.MapGet("/{id:guid}", GetBackup)
            .WithName("GetBackup").WithSummary("Read one backup");
        api.MapPost("/{id:guid}/restore", RestoreBackup)
            .WithName("RestoreBackup").WithSummary("Restore a backup in place or as a new machine");
        api.MapPost("/{id:guid}/verify", VerifyBackup)
            .WithName("VerifyBackup").WithSummary("Verify a backup's chain (checksums, optionally a test boot)");
        api.MapDelete("/{id:guid}", DeleteBackup)
            .WithName("DeleteBackup").WithSummary("Delete a backup");
        return app;
    }

    public sealed record BackupServices(IDbContextFactory<RingmasterDbContext> Db, BackupService Backups);

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> BackupMachine(
        [AsParameters] BackupServices services, string id, HttpContext http, CancellationToken cancellationToken)
    {
        var request = await OptionalBodyAsync<BackupMachineRequest>(http, cancellationToken);
        var machineId = await MachineLookup.ResolveAsync(services.Db, id, cancellationToken);
        return machineId is null
            ? ApiResults.Problem(ResultKind.NotFound, "No such machine.")
            : ApiResults.Accepted(await services.Backups.BackupAsync(machineId.Value, request ?? new BackupMachineRequest(), ApiResults.UserOf(http), cancellationToken));
    }

    public static async Task<Results<Ok<IReadOnlyList<BackupView>>, ProblemHttpResult>> ListBackups(
        [AsParameters] BackupServices services, string? machine, CancellationToken cancellationToken)
    {
        Guid? machineId = null;
        if (!string.IsNullOrWhiteSpace(machine))
        {
            machineId = Guid.TryParse(machine, out var id) ? id : await MachineLookup.ResolveAsync(services.Db, machine, cancellationToken);
            if (machineId is null)
            {
                return ApiResults.Problem(ResultKind.NotFound, "No such machine.");
            }
        }

        return TypedResults.Ok(await services.Backups.ListAsync(machineId, cancellationToken));
    }

    public static async Task<Results<Ok<BackupView>, ProblemHttpResult>> GetBackup([AsParameters] BackupServices services, Guid id, CancellationToken cancellationToken) =>
        await services.Backups.GetAsync(id, cancellationToken) is { } backup ? TypedResults.Ok(backup) : ApiResults.Problem(ResultKind.NotFound, "No such backup.");

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> RestoreBackup(
        [AsParameters] BackupServices services, Guid id, HttpContext http, CancellationToken cancellationToken) =>
        ApiResults.Accepted(await services.Backups.RestoreAsync(id, await OptionalBodyAsync<RestoreBackupRequest>(http, cancellationToken) ?? new RestoreBackupRequest(), ApiResults.UserOf(http), cancellationToken));

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> VerifyBackup(
        [AsParameters] BackupServices services, Guid id, HttpContext http, CancellationToken cancellationToken) =>
        ApiResults.Accepted(await services.Backups.VerifyAsync(id, await OptionalBodyAsync<VerifyBackupRequest>(http, cancellationToken) ?? new VerifyBackupRequest(), ApiResults.UserOf(http), cancellationToken));

    /// <summary>
    /// These bodies are optional: a POST without one (or without a content type) means the defaults.
    /// Read by hand so the route does not require a JSON content type. Bad JSON is a 400 problem
    /// (the app's bad-request handler turns the exception into one).
    /// </summary>
    private static async Task<T?> OptionalBodyAsync<T>(HttpContext http, CancellationToken cancellationToken)
        where T : class
    {
        if (http.Request.ContentLength == 0 || (http.Request.ContentLength is null && !http.Request.Headers.ContainsKey("Transfer-Encoding")))
        {
            return null;
        }

        if (!http.Request.HasJsonContentType())
        {
            throw new BadHttpRequestException("Send the body as application/json (or send none for the defaults).", StatusCodes.Status415UnsupportedMediaType);
        }

        try
        {
            return await http.Request.ReadFromJsonAsync<T>(cancellationToken);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new BadHttpRequestException("The body is not valid JSON: " + ex.Message, ex);
        }
    }

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> DeleteBackup(
        [AsParameters] BackupServices services, Guid id, HttpContext http, CancellationToken cancellationToken) =>
        ApiResults.Accepted(await services.Backups.DeleteAsync(id, ApiResults.UserOf(http), cancellationToken));
}
