using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Ringmaster.Web;

/// <summary>
/// Text with a NUL character (U+0000) is refused where a request is read, whatever the database:
/// PostgreSQL cannot keep it and SQLite would, so without this the same request answered 400 on one
/// and was stored on the other. A query holding one is a 400 before any endpoint runs; a JSON
/// string holding one fails the body's reading (<see cref="NulInTextException"/>), which the API
/// answers as a 400 naming the field.
/// </summary>
internal static class NulText
{
    public const string Title = "The request holds text that cannot be stored.";
    public const string Detail = "A value or a query holds a NUL character (\\u0000), which is not kept; remove it.";

    public static IApplicationBuilder UseNoNulText(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        // A NUL reaches a query only as "%00" (the request line cannot carry one raw), so the query is
        // parsed only when that is in it. (A path never holds one: ASP.NET Core refuses a decoded NUL there.)
        if (context.Request.QueryString.Value?.Contains("%00", StringComparison.Ordinal) == true
            && context.Request.Query.Any(q => Holds(q.Key) || q.Value.Any(Holds)))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = Problem() });
            return;
        }

        await next(context);
    });

    /// <summary>The problem for a NUL in a query, or in text that reached the database another way.</summary>
    public static ProblemDetails Problem() => new() { Status = StatusCodes.Status400BadRequest, Title = Title, Detail = Detail };

    /// <summary>The problem for a JSON string with a NUL: a validation problem naming the body's top field, as the API's other checks do.</summary>
    public static HttpValidationProblemDetails Problem(NulInTextException nul)
    {
        var field = nul.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..].Split('.', '[')[0] : nul.Field;
        return new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [$"{field} holds a NUL character (U+0000), which is not kept; remove it."] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = Title,
            Detail = Detail,
        };
    }

    private static bool Holds(string? text) => text is not null && text.Contains('\0', StringComparison.Ordinal);

    /// <summary>
    /// A type-info modifier: each object the API reads from JSON is checked once it is made, its
    /// strings and its lists and maps of strings (label keys too). A modifier, not a string converter,
    /// so the OpenAPI document still describes strings as strings.
    /// </summary>
    public static void RefuseInObjects(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        var checkedProperties = info.Properties.Where(p => p.Get is not null && MayHoldText(p.PropertyType)).ToArray();
        if (checkedProperties.Length == 0)
        {
            return;
        }

        var previous = info.OnDeserialized;
        info.OnDeserialized = value =>
        {
            foreach (var property in checkedProperties)
            {
                if (HoldsNul(property.Get!(value)))
                {
                    throw new NulInTextException(property.Name);
                }
            }

            previous?.Invoke(value);
        };
    }

    private static bool MayHoldText(Type type) =>
        type == typeof(string) || typeof(IEnumerable<string>).IsAssignableFrom(type) || typeof(IEnumerable<KeyValuePair<string, string>>).IsAssignableFrom(type);

    private static bool HoldsNul(object? value) => value switch
    {
        string text => Holds(text),
        IEnumerable<KeyValuePair<string, string>> map => map.Any(e => Holds(e.Key) || Holds(e.Value)),
        IEnumerable<string> texts => texts.Any(Holds),
        _ => false,
    };
}

/// <summary>A JSON string in a request held a NUL character: in <see cref="Field"/> of the object at the exception's path.</summary>
internal sealed class NulInTextException(string field) : JsonException(NulText.Detail)
{
    public string Field { get; } = field;
}
