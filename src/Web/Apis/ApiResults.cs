using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Apis;

internal static class ApiResults
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>Answers a long action: 202 with the operation and a Location header, or the problem.</summary>
    public static Results<Accepted<OperationAccepted>, ValidationProblem, ProblemHttpResult> Accepted(ServiceResult<OperationAccepted> result) =>
        result.Kind switch
        {
            ResultKind.Ok => TypedResults.Accepted($"/api/v1/operations/{result.Value!.Operation.Id}", result.Value),
            ResultKind.Invalid => TypedResults.ValidationProblem(result.Errors!, result.Message, title: "The request is not valid."),
            _ => Problem(result.Kind, result.Message),
        };

    public static ProblemHttpResult Problem(ResultKind kind, string? detail) => kind switch
    {
        ResultKind.NotFound => TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found"),
        ResultKind.Conflict => TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict"),
        ResultKind.Unavailable => TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Unavailable"),
        ResultKind.Forbidden => TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden"),
        _ => TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request"),
    };

    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is not valid.");

    /// <summary>Checks a page size; null means the default.</summary>
    public static bool TryLimit(int? limit, out int value)
    {
        value = limit ?? DefaultLimit;
        return value is >= 1 and <= MaxLimit;
    }

    public static string EncodeCursor(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecodeCursor(string? cursor, out string? value)
    {
        value = null;
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }

        if (cursor.Length > 512)
        {
            return false;
        }

        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            value = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static string UserOf(HttpContext http) => http.User.Identity?.Name ?? "anonymous";
}
