using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Ringmaster.Web;

/// <summary>
/// Unreadable requests (malformed JSON, wrong types, oversized bodies) answer 400 problem details, not
/// 500; so does text with a NUL character (refused as requests are read, see <see cref="NulText"/>; PostgreSQL's
/// own refusal is the backstop for text that reaches it another way).
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (IsNulInText(exception) && !httpContext.Response.HasStarted)
        {
            httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = NulText.Problem() });
        }

        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        if (bad.InnerException is NulInTextException nul)
        {
            httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = NulText.Problem(nul) });
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = bad.StatusCode,
                Title = "The request could not be read.",
                Detail = Describe(bad),
            },
        });
    }

    /// <summary>PostgreSQL's "invalid byte sequence for encoding UTF8: 0x00" (22021), however deep EF Core wrapped it.</summary>
    private static bool IsNulInText(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is PostgresException { SqlState: PostgresErrorCodes.CharacterNotInRepertoire })
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(BadHttpRequestException bad) => bad.InnerException switch
    {
        System.Text.Json.JsonException json => $"The body is not valid JSON for this request: {json.Message.Split(" Path:")[0]}",
        _ => bad.Message,
    };
}
