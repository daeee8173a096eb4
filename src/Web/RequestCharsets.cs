using System.Text;
using Microsoft.Net.Http.Headers;
using Ringmaster.Core.Services;
using Ringmaster.Shared;

namespace Ringmaster.Web;

/// <summary>
/// A request body in a charset the server cannot decode is a 415 problem before any endpoint reads
/// it (the JSON binder would otherwise fail with a server error naming the unknown encoding).
/// </summary>
internal static class RequestCharsets
{
    public static IApplicationBuilder UseKnownRequestCharsets(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (Unknown(context.Request.ContentType) is { } charset)
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status415UnsupportedMediaType,
                    Title = "Unsupported media type",
                    Detail = $"The body's charset '{InputText.Clip(charset, 40)}' is not one this server reads; send UTF-8.",
                },
            });
            return;
        }

        await next(context);
    });

    /// <summary>The charset a content type names when .NET knows no such encoding, else null.</summary>
    private static string? Unknown(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var media) || !media.Charset.HasValue)
        {
            return null;
        }

        var charset = HeaderUtilities.RemoveQuotes(media.Charset).ToString();
        try
        {
            _ = Encoding.GetEncoding(charset);
            return null;
        }
        catch (ArgumentException)
        {
            return charset;
        }
    }

}
