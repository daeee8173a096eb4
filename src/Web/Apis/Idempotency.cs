using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

/// <summary>
/// <c>Idempotency-Key</c> on POST: the first request with a key runs; a retry with the same key and
/// the same request answers with the operation the first one started instead of doing it again; the
/// same key with a different request is refused (422).
/// </summary>
internal static class Idempotency
{
    public const string Header = "Idempotency-Key";

    public static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> RunAsync(
        HttpContext http,
        IDbContextFactory<RingmasterDbContext> dbFactory,
        object request,
        Func<Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>>> action,
        CancellationToken cancellationToken)
    {
        if (!http.Request.Headers.TryGetValue(Header, out var values))
        {
            return await action();
        }

        var key = values.ToString();
        if (key.Length is 0 or > 128 || key.Any(c => c is < '!' or > '~'))
        {
            return ApiResults.Invalid(Header, "An Idempotency-Key is 1–128 printable ASCII characters without spaces.");
        }

        var fingerprint = Fingerprint(http, request);
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            if (await db.IdempotencyKeys.AsNoTracking().FirstOrDefaultAsync(i => i.Key == key, cancellationToken) is { } seen)
            {
                return seen.Fingerprint != fingerprint
                    ? TypedResults.Problem("This Idempotency-Key was already used for a different request.", statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused")
                    : await ReplayAsync(db, seen.OperationId, cancellationToken);
            }
        }

        var result = await action();
        if (result.Result is Accepted<OperationAccepted> { Value: { } accepted })
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            db.IdempotencyKeys.Add(new IdempotencyEntity { Key = key, Fingerprint = fingerprint, OperationId = accepted.Operation.Id, CreatedAt = DateTime.UtcNow });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // A concurrent request with the same key got there first; both answered.
            }
        }

        return result;
    }

    private static async Task<Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> ReplayAsync(RingmasterDbContext db, Guid operationId, CancellationToken cancellationToken)
    {
        var operation = await db.Operations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == operationId, cancellationToken);
        if (operation is null)
        {
            return ApiResults.Problem(ResultKind.Conflict, "The operation this Idempotency-Key started is gone.");
        }

        MachineView? machine = null;
        if (operation.MachineId is { } machineId && await db.Machines.AsNoTracking().FirstOrDefaultAsync(m => m.Id == machineId, cancellationToken) is { } entity)
        {
            var hostName = entity.HostId is { } hostId ? await db.Hosts.Where(h => h.Id == hostId).Select(h => h.Name).FirstOrDefaultAsync(cancellationToken) : null;
            machine = entity.ToView(hostName);
        }

        return TypedResults.Accepted($"/api/v1/operations/{operation.Id}", new OperationAccepted(operation.ToView(), machine));
    }

    private static string Fingerprint(HttpContext http, object request)
    {
        var text = $"{http.Request.Method} {http.Request.Path}\n{JsonSerializer.Serialize(request, request.GetType(), JsonSerializerOptions.Web)}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
