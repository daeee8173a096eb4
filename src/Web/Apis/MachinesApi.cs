using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

public static class MachinesApi
{
    public static IEndpointRouteBuilder MapMachinesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/machines").WithTags("Machines");
        api.MapGet("/", ListMachines)
            .WithName("ListMachines").WithSummary("List machines, a page at a time, with filters");
        api.MapGet("/{id}", GetMachine)
            .WithName("GetMachine").WithSummary("Read one machine");
        api.MapPost("/", CreateMachine)
            .WithName("CreateMachine").WithSummary("Create (and start) a machine from a template");
        api.MapPost("/{id}/{action}", ActOnMachine)
            .WithName("ActOnMachine").WithSummary("Start, stop, force-stop, restart, pause or resume a machine, or eject a QEMU VM's ISO");
        api.MapDelete("/{id}", DeleteMachine)
            .WithName("DeleteMachine").WithSummary("Delete a machine and what its host stores for it");
        return app;
    }

    public sealed record MachineServices(IDbContextFactory<RingmasterDbContext> Db, MachineService Machines);

    public static async Task<Results<Ok<Page<MachineView>>, ValidationProblem>> ListMachines(
        [AsParameters] MachineServices services,
        int? limit,
        string? cursor,
        MachineState? state,
        MachineKind? kind,
        string? host,
        string? label,
        string? q,
        CancellationToken cancellationToken)
    {
        if (!ApiResults.TryLimit(limit, out var take))
        {
            return ApiResults.Invalid("limit", $"limit must be between 1 and {ApiResults.MaxLimit}.");
        }

        if (!ApiResults.TryDecodeCursor(cursor, out var after))
        {
            return ApiResults.Invalid("cursor", "The cursor is not one this API gave out.");
        }

        await using var db = await services.Db.CreateDbContextAsync(cancellationToken);
        IReadOnlyCollection<Guid>? hostIds = null;
        if (!string.IsNullOrWhiteSpace(host))
        {
            hostIds = await db.Hosts.Where(h => h.Name == host || h.Id.ToString() == host).Select(h => h.Id).ToListAsync(cancellationToken);
        }

        var query = new MachineFilter(q, state, kind, hostIds, label).Apply(db, db.Machines.AsNoTracking());
        if (after is not null)
        {
            query = query.Where(m => string.Compare(m.Name, after) > 0);
        }

        var rows = await query.OrderBy(m => m.Name).Take(take + 1).ToListAsync(cancellationToken);
        var names = await Views.HostNamesAsync(db, rows, cancellationToken);
        var items = rows.Take(take).Select(m => m.ToView(m.HostId is { } id ? names.GetValueOrDefault(id) : null)).ToList();
        var next = rows.Count > take ? ApiResults.EncodeCursor(items[^1].Name) : null;
        return TypedResults.Ok(new Page<MachineView>(items, next));
    }

    public static async Task<Results<Ok<MachineView>, ProblemHttpResult>> GetMachine(
        [AsParameters] MachineServices services, string id, HttpContext http, CancellationToken cancellationToken)
    {
        await using var db = await services.Db.CreateDbContextAsync(cancellationToken);
        var machine = await MachineLookup.FindAsync(db, id, cancellationToken);
        if (machine is null)
        {
            return ApiResults.Problem(ResultKind.NotFound, "No such machine.");
        }

        var hostName = machine.HostId is { } hostId ? await db.Hosts.Where(h => h.Id == hostId).Select(h => h.Name).FirstOrDefaultAsync(cancellationToken) : null;
        http.Response.Headers.ETag = MachinePatchApi.ETagFor(machine.Version);
        return TypedResults.Ok(machine.ToView(hostName));
    }

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> CreateMachine(
        [AsParameters] MachineServices services, [FromBody] CreateMachineRequest request, HttpContext http, CancellationToken cancellationToken) =>
        await Idempotency.RunAsync(http, services.Db, request, async () =>
            ApiResults.Accepted(await services.Machines.CreateAsync(request, ApiResults.UserOf(http), cancellationToken)), cancellationToken);

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> ActOnMachine(
        [AsParameters] MachineServices services, string id, string action, HttpContext http, CancellationToken cancellationToken,
        [Description("For stop and restart: seconds the guest may take to power off before it is forced (0–600); by default 10 for containers, 60 for QEMU VMs.")] int? timeout = null)
    {
        var machineId = await MachineLookup.ResolveAsync(services.Db, id, cancellationToken);
        return machineId is null
            ? ApiResults.Problem(ResultKind.NotFound, "No such machine.")
            : await Idempotency.RunAsync(http, services.Db, new { machine = machineId, action, timeout }, async () =>
                ApiResults.Accepted(await services.Machines.ActAsync(machineId.Value, action, ApiResults.UserOf(http), cancellationToken, timeout)), cancellationToken);
    }

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> DeleteMachine(
        [AsParameters] MachineServices services, string id, HttpContext http, CancellationToken cancellationToken)
    {
        var machineId = await MachineLookup.ResolveAsync(services.Db, id, cancellationToken);
        return machineId is null
            ? ApiResults.Problem(ResultKind.NotFound, "No such machine.")
            : ApiResults.Accepted(await services.Machines.DeleteAsync(machineId.Value, ApiResults.UserOf(http), cancellationToken));
    }
}

/// <summary>Finds a machine by id or by name.</summary>
internal static class MachineLookup
{
    public static async Task<Core.Domain.MachineEntity?> FindAsync(RingmasterDbContext db, string idOrName, CancellationToken cancellationToken) =>
        Guid.TryParse(idOrName, out var id)
            ? await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, cancellationToken)
            : idOrName.Length <= MachineNames.MaxLength
                ? await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Name == idOrName, cancellationToken)
                : null;

    public static async Task<Guid?> ResolveAsync(IDbContextFactory<RingmasterDbContext> factory, string idOrName, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return (await FindAsync(db, idOrName, cancellationToken))?.Id;
    }
}
