using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;

namespace Ringmaster.Web.Apis;

/// <summary>
/// <c>PATCH /api/v1/machines/{id}</c>: a JSON merge patch (RFC 7396) of a machine's name, labels and
/// spec, under <c>If-Match</c> with the ETag of <c>GET /api/v1/machines/{id}</c> (428 without it,
/// 412 when the machine changed since). 200 with the machine and its new ETag; 202 with an
/// operation when the host changes a container's limits live; a VM's new vCPUs and memory take
/// effect at its next start (the answer's <c>detail</c> says so).
/// </summary>
public static class MachinePatchApi
{
    public const string MergePatchJson = "application/merge-patch+json";
    public const int MaxBodyBytes = 64 * 1024;

    private static readonly HashSet<string> s_readOnly = new(StringComparer.OrdinalIgnoreCase)
    {
        "id", "kind", "state", "lastKnownState", "template", "image", "hostId", "host", "detail", "createdAt", "updatedAt", "version",
    };

    /// <summary>What a PATCH body may hold (for the OpenAPI document; the body is read as a merge patch).</summary>
    public sealed record MachinePatchDocument(string? Name, Dictionary<string, string?>? Labels, MachineSpecPatch? Spec);

    /// <summary>The spec fields a PATCH may change.</summary>
    public sealed record MachineSpecPatch(int? Vcpus, int? MemoryMiB, int? DiskGiB);

    public static IEndpointRouteBuilder MapMachinePatchApi(this IEndpointRouteBuilder app)
    {
        app.MapPatch("/api/v1/machines/{id}", PatchMachine)
            .WithTags("Machines")
            .Accepts<MachinePatchDocument>(MergePatchJson, "application/json")
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithName("PatchMachine").WithSummary("Change a machine's name, labels or spec (JSON merge patch, If-Match)");
        return app;
    }

    /// <summary>The ETag of a machine's editable part (name, labels, spec) at <paramref name="version"/>.</summary>
    public static string ETagFor(long version) => string.Create(CultureInfo.InvariantCulture, $"\"{version}\"");

    public static async Task<Results<Ok<MachineView>, Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult>> PatchMachine(
        string id,
        HttpContext http,
        IDbContextFactory<RingmasterDbContext> dbFactory,
        MachineUpdateService updates,
        CancellationToken cancellationToken)
    {
        var machineId = await MachineLookup.ResolveAsync(dbFactory, id, cancellationToken);
        if (machineId is null)
        {
            return ApiResults.Problem(ResultKind.NotFound, "No such machine.");
        }

        var ifMatch = http.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(ifMatch))
        {
            return TypedResults.Problem(
                "Send If-Match with the ETag from GET /api/v1/machines/{id}, so a change made meanwhile is not overwritten.",
                statusCode: StatusCodes.Status428PreconditionRequired, title: "If-Match required");
        }

        var request = await ReadPatchAsync(http, cancellationToken);
        if (request.Problem is { } problem)
        {
            return problem;
        }

        if (request.Errors.Count > 0)
        {
            return TypedResults.ValidationProblem(request.Errors, title: "The request is not valid.");
        }

        long? expected = null;
        if (ifMatch.Trim() != "*")
        {
            var versions = ParseIfMatch(ifMatch);
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var current = await db.Machines.Where(m => m.Id == machineId).Select(m => m.Version).FirstAsync(cancellationToken);
            expected = versions.Contains(current) ? current : -1;
        }

        var result = await updates.UpdateAsync(machineId.Value, expected, request.Patch, ApiResults.UserOf(http), cancellationToken);
        if (result.Kind == ResultKind.Invalid)
        {
            return TypedResults.ValidationProblem(result.Errors!, title: "The request is not valid.");
        }

        if (result.Kind != ResultKind.Ok)
        {
            return ApiResults.Problem(result.Kind, result.Message);
        }

        var updated = result.Value!;
        http.Response.Headers.ETag = ETagFor(updated.Machine.Version);
        if (updated.Stale)
        {
            return TypedResults.Problem(
                $"Machine {updated.Machine.Name} changed since that ETag was read (it is now {ETagFor(updated.Machine.Version)}); GET it again and reapply the change.",
                statusCode: StatusCodes.Status412PreconditionFailed, title: "The machine changed meanwhile");
        }

        return updated.Operation is { } operation
            ? TypedResults.Accepted($"/api/v1/operations/{operation.Operation.Id}", operation)
            : TypedResults.Ok(updated.Machine);
    }

    /// <summary>The versions an If-Match lists (strong or weak tags; a tag that is not a version matches nothing).</summary>
    private static HashSet<long> ParseIfMatch(string header)
    {
        var versions = new HashSet<long>();
        if (EntityTagHeaderValue.TryParseList(header.Split(','), out var tags))
        {
            foreach (var tag in tags)
            {
                if (long.TryParse(tag.Tag.AsSpan().Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
                {
                    versions.Add(version);
                }
            }
        }

        return versions;
    }

    private sealed record PatchRequest(MachinePatch Patch, Dictionary<string, string[]> Errors, ProblemHttpResult? Problem = null);

    private static async Task<PatchRequest> ReadPatchAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field) ?? [], message];
        var empty = new MachinePatch();
        var contentType = http.Request.ContentType;
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var media)
            || !(media.MediaType.Equals(MergePatchJson, StringComparison.OrdinalIgnoreCase) || media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)))
        {
            return new PatchRequest(empty, errors, TypedResults.Problem(
                $"Send the change as {MergePatchJson} (or application/json).", statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type"));
        }

        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return new PatchRequest(empty, errors, TooLarge());
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                return new PatchRequest(empty, errors, TooLarge());
            }
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return new PatchRequest(empty, errors, TypedResults.Problem(
                $"The body is not valid JSON: {e.Message.Split(" Path:")[0]}", statusCode: StatusCodes.Status400BadRequest, title: "The request could not be read."));
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            Error("body", "The body must be a JSON object (a merge patch of the machine).");
            return new PatchRequest(empty, errors);
        }

        string? name = null;
        var clearLabels = false;
        Dictionary<string, string?>? labels = null;
        int? vcpus = null, memory = null, disk = null;
        try
        {
            Read();
        }
        catch (InvalidOperationException)
        {
            // JsonElement.GetString and Name throw this for text that is no Unicode (an escaped half surrogate pair).
            return new PatchRequest(empty, errors, TypedResults.Problem(
                "The body is not valid JSON: it holds text that is not valid Unicode (such as half a surrogate pair).", statusCode: StatusCodes.Status400BadRequest, title: "The request could not be read."));
        }

        return new PatchRequest(new MachinePatch(name, clearLabels, labels, vcpus, memory, disk), errors);

        void Read()
        {
            foreach (var property in root.EnumerateObject())
            {
                var field = property.Name;
                var value = property.Value;
                if (field.Equals("name", StringComparison.OrdinalIgnoreCase))
                {
                    if (value.ValueKind == JsonValueKind.String)
                    {
                        name = value.GetString();
                    }
                    else
                    {
                        Error("name", value.ValueKind == JsonValueKind.Null ? "A machine must have a name." : "The name must be a string.");
                    }
                }
                else if (field.Equals("labels", StringComparison.OrdinalIgnoreCase))
                {
                    if (value.ValueKind == JsonValueKind.Null)
                    {
                        clearLabels = true;
                    }
                    else if (value.ValueKind == JsonValueKind.Object)
                    {
                        labels = [];
                        foreach (var label in value.EnumerateObject())
                        {
                            if (label.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null)
                            {
                                labels[label.Name] = label.Value.ValueKind == JsonValueKind.Null ? null : label.Value.GetString();
                            }
                            else
                            {
                                Error("labels", "Label values must be strings (null removes a label).");
                            }
                        }
                    }
                    else
                    {
                        Error("labels", "Labels must be an object of strings (null removes them all).");
                    }
                }
                else if (field.Equals("spec", StringComparison.OrdinalIgnoreCase))
                {
                    if (value.ValueKind != JsonValueKind.Object)
                    {
                        Error("spec", "The spec must be an object with vcpus, memoryMiB and/or diskGiB.");
                        continue;
                    }

                    foreach (var item in value.EnumerateObject())
                    {
                        var key = "spec." + item.Name;
                        int? number = item.Value.ValueKind == JsonValueKind.Number && item.Value.TryGetInt32(out var n) ? n : null;
                        if (item.Name.Equals("vcpus", StringComparison.OrdinalIgnoreCase) || item.Name.Equals("memoryMiB", StringComparison.OrdinalIgnoreCase) || item.Name.Equals("diskGiB", StringComparison.OrdinalIgnoreCase))
                        {
                            if (number is null)
                            {
                                Error(key, item.Value.ValueKind == JsonValueKind.Null ? "This part of the spec cannot be removed." : "Must be a whole number.");
                            }
                            else if (item.Name.Equals("vcpus", StringComparison.OrdinalIgnoreCase))
                            {
                                vcpus = number;
                            }
                            else if (item.Name.Equals("memoryMiB", StringComparison.OrdinalIgnoreCase))
                            {
                                memory = number;
                            }
                            else
                            {
                                disk = number;
                            }
                        }
                        else
                        {
                            Error(key, "Only vcpus, memoryMiB and diskGiB of the spec can be changed.");
                        }
                    }
                }
                else if (s_readOnly.Contains(field))
                {
                    Error(field, "This field is read-only.");
                }
                else
                {
                    Error(field.Length > 64 ? field[..64] : field, "Unknown field; a machine's name, labels and spec can be changed.");
                }
            }
        }
    }

    private static ProblemHttpResult TooLarge() => TypedResults.Problem(
        $"A machine patch is at most {MaxBodyBytes / 1024} KiB.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large");
}
