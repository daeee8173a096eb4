using System.Collections.Concurrent;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.CrashRecovery;

/// <summary>The operations' progress as the server pushes it (Server-Sent Events), to act the moment an operation reaches a step.</summary>
public sealed class OperationWatch : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Guid, JsonElement> _latest = new();
    private readonly SemaphoreSlim _changed = new(0);
    private Task _reader = Task.CompletedTask;

    private OperationWatch(HttpClient http) => _http = http;

    public static async Task<OperationWatch> OpenAsync(ApiClient api)
    {
        var http = new HttpClient { BaseAddress = api.Http.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = api.Http.DefaultRequestHeaders.Authorization;
        var watch = new OperationWatch(http);
        var response = await http.GetAsync("/api/v1/events?types=operation", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("event: ready", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        watch._reader = watch.ReadAsync(reader, response);
        return watch;
    }

    private async Task ReadAsync(StreamReader reader, HttpResponseMessage response)
    {
        using (response)
        using (reader)
        {
            try
            {
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    if (!line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var data = JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
                    if (data.TryGetProperty("id", out var id) && data.TryGetProperty("progress", out _))
                    {
                        _latest[id.GetGuid()] = data;
                        _changed.Release();
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
            {
                // The stream ends with the web (it is killed) or the watch.
            }
        }
    }

    /// <summary>The last state seen of an operation.</summary>
    public JsonElement? Latest(Guid id) => _latest.TryGetValue(id, out var v) ? v : null;

    /// <summary>Waits until every operation has reached its step (its progress at least that) or ended.</summary>
    public async Task ReachedAsync(IEnumerable<(Guid Id, int Step)> targets, TimeSpan timeout)
    {
        var list = targets.ToList();
        using var cts = new CancellationTokenSource(timeout);
        while (!list.All(t => Reached(t.Id, t.Step)))
        {
            try
            {
                await _changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                var where = string.Join("; ", list.Select(t => $"{t.Id}: {(Latest(t.Id) is { } l ? $"{l.GetProperty("state").GetString()} {l.GetProperty("progress").GetInt32()}%" : "not seen")} (step {t.Step})"));
                throw new TimeoutException($"Operations did not reach their steps within {timeout.TotalSeconds:0} s: {where}");
            }
        }
    }

    private bool Reached(Guid id, int step) =>
        Latest(id) is { } view && (view.GetProperty("progress").GetInt32() >= step || view.GetProperty("state").GetString() is "Succeeded" or "Failed" or "Cancelled");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _http.Dispose();
        _stop.Dispose();
    }
}
