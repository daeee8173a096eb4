using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Ringmaster.Cli;

/// <summary>The REST API as the CLI uses it: JSON in and out, problem documents turned into <see cref="CliException"/>.</summary>
public sealed class RingmasterClient : IDisposable
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;

    public RingmasterClient(Connection connection)
    {
        Connection = connection;
        _http = new HttpClient { BaseAddress = connection.Server, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ringmaster-cli", typeof(RingmasterClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        if (connection.Token is { } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Connection Connection { get; }

    public Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, cancellationToken);

    /// <summary>Sends a request and returns its JSON answer (an empty object for an empty body); throws <see cref="CliException"/> on a non-2xx answer.</summary>
    public Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken) =>
        SendAsync(method, path, body is null ? null : JsonContent.Create(body, options: Json), RequestTimeout, cancellationToken);

    /// <summary>Sends <paramref name="content"/> (an upload) and returns the JSON answer, waiting at most <paramref name="limit"/>; throws <see cref="CliException"/> on a non-2xx answer.</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, HttpContent? content, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        using var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = content };
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw ProblemException(response, text);
        }

        return string.IsNullOrWhiteSpace(text) ? JsonDocument.Parse("{}").RootElement : ParseJson(text);
    }

    /// <summary>Opens a streaming response (Server-Sent Events); the caller disposes it.</summary>
    public async Task<HttpResponseMessage> OpenStreamAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            response.Dispose();
            throw ProblemException(response, text);
        }

        return response;
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken token, CancellationToken caller)
    {
        try
        {
            return await _http.SendAsync(request, completion, token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"Cannot reach the server at {Connection.Server}: {e.Message}");
        }
        catch (TaskCanceledException) when (!caller.IsCancellationRequested)
        {
            throw new CliException($"The server at {Connection.Server} did not answer within {RequestTimeout.TotalSeconds:0} s.");
        }
    }

    private static JsonElement ParseJson(string text)
    {
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new CliException($"The server answered something that is not JSON: {Shorten(text)}");
        }
    }

    /// <summary>Turns an error answer into a message: the problem's title, detail and field errors.</summary>
    internal CliException ProblemException(HttpResponseMessage response, string text)
    {
        var status = (int)response.StatusCode;
        var message = new StringBuilder();
        string? title = null, detail = null;
        JsonElement errors = default;
        try
        {
            var problem = JsonDocument.Parse(text).RootElement;
            if (problem.ValueKind == JsonValueKind.Object)
            {
                title = problem.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                detail = problem.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                if (problem.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
                {
                    errors = e.Clone();
                }
            }
        }
        catch (JsonException)
        {
        }

        if (response.StatusCode == HttpStatusCode.Unauthorized && title is null)
        {
            title = "Not signed in, or the token was refused";
            detail = $"run `ringmaster login --server {Connection.Server}` or pass --token";
        }
        else if (response.StatusCode == HttpStatusCode.Forbidden && title is null)
        {
            title = "Not allowed";
            detail = "your role does not allow this";
        }

        message.Append(title ?? $"{status} {response.ReasonPhrase}");
        if (title is not null)
        {
            message.Append($" ({status})");
        }

        if (!string.IsNullOrWhiteSpace(detail))
        {
            message.Append(": ").Append(detail);
        }
        else if (title is null && !string.IsNullOrWhiteSpace(text))
        {
            message.Append(": ").Append(Shorten(text));
        }

        if (errors.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in errors.EnumerateObject())
            {
                var lines = field.Value.ValueKind == JsonValueKind.Array
                    ? field.Value.EnumerateArray().Select(v => v.ToString())
                    : [field.Value.ToString()];
                foreach (var line in lines)
                {
                    message.Append(Environment.NewLine).Append("  ").Append(field.Name).Append(": ").Append(line);
                }
            }
        }

        return new CliException(message.ToString(), ExitCodes.Failed);
    }

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;

    public void Dispose() => _http.Dispose();
}
