using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Ringmaster.Web.Tests.Infrastructure;

/// <summary>What a script would do with the REST API: create, act, wait for operations, use the console.</summary>
public sealed class ApiClient(HttpClient http)
{
    public HttpClient Http { get; } = http;

    public static ApiClient For(int port) => new(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) })
    {
        Http = { DefaultRequestHeaders = { Authorization = new("Bearer", TestAccess.BootstrapToken) } },
    };

    public async Task<JsonElement> GetAsync(string path)
    {
        var response = await Http.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.ReadJsonAsync();
    }

    public async Task<bool> IsUpAsync()
    {
        try
        {
            return (await Http.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>Posts a long action; asserts 202 with a Location and returns the operation id.</summary>
    public async Task<Guid> StartOperationAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{method} {path}: {(int)response.StatusCode} {text}");
        Assert.NotNull(response.Headers.Location);
        return JsonDocument.Parse(text).RootElement.GetProperty("operation").GetProperty("id").GetGuid();
    }

    /// <summary>Waits for an operation to end and asserts it succeeded; returns it.</summary>
    public async Task<JsonElement> WaitSucceededAsync(Guid operationId, TimeSpan timeout)
    {
        var operation = await HttpJson.EventuallyAsync(
            () => GetAsync($"/api/v1/operations/{operationId}"),
            o => o.GetProperty("state").GetString() is "Succeeded" or "Failed" or "Cancelled",
            timeout, $"operation {operationId} to end");
        Assert.True(operation.GetProperty("state").GetString() == "Succeeded", $"operation failed: {operation}");
        return operation;
    }

    public async Task<JsonElement> CreateMachineAsync(object body, TimeSpan timeout)
    {
        var operationId = await StartOperationAsync(HttpMethod.Post, "/api/v1/machines", body);
        var operation = await WaitSucceededAsync(operationId, timeout);
        return operation.GetProperty("result");
    }

    public Task<JsonElement> MachineAsync(string idOrName) => GetAsync($"/api/v1/machines/{idOrName}");

    public async Task<JsonElement> HostAsync(string name)
    {
        var hosts = await GetAsync("/api/v1/hosts");
        return hosts.GetProperty("items").EnumerateArray().Single(h => h.GetProperty("name").GetString() == name);
    }

    /// <summary>Opens the machine's console WebSocket (with the client's credentials).</summary>
    public async Task<ConsoleSession> OpenConsoleAsync(string idOrName)
    {
        var socket = new ClientWebSocket();
        if (Http.DefaultRequestHeaders.Authorization is { } authorization)
        {
            socket.Options.SetRequestHeader("Authorization", authorization.ToString());
        }

        var uri = new UriBuilder(Http.BaseAddress!) { Scheme = "ws", Path = $"/api/v1/machines/{idOrName}/console" }.Uri;
        await socket.ConnectAsync(uri, CancellationToken.None);
        return new ConsoleSession(socket);
    }
}

/// <summary>A console over the WebSocket: type, and read until something shows up.</summary>
public sealed class ConsoleSession(ClientWebSocket socket) : IAsyncDisposable
{
    private readonly StringBuilder _seen = new();

    public string Seen => _seen.ToString();

    public Task TypeAsync(string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>Reads output until <paramref name="done"/> holds on everything seen so far.</summary>
    public async Task<string> ReadUntilAsync(Func<string, bool> done, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[8192];
        try
        {
            while (!done(_seen.ToString()))
            {
                var result = await socket.ReceiveAsync(buffer, cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                _seen.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            }
        }
        catch (OperationCanceledException)
        {
        }

        return _seen.ToString();
    }

    /// <summary>
    /// Waits until the guest answers on its console: presses Enter (every 2 s, up to a minute) until
    /// anything is printed, such as the shell's prompt, so what is typed next reaches a shell that is there.
    /// </summary>
    public async Task WaitReadyAsync()
    {
        using var answered = new CancellationTokenSource();
        var presses = Task.Run(async () =>
        {
            while (!answered.IsCancellationRequested)
            {
                await TypeAsync("\n");
                await Task.Delay(TimeSpan.FromSeconds(2), answered.Token);
            }
        });
        await ReadUntilAsync(seen => seen.Length > 0, TimeSpan.FromMinutes(1));
        await answered.CancelAsync();
        await presses.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Assert.True(_seen.Length > 0, "the console printed nothing within a minute of Enter presses");
    }

    /// <summary>
    /// Presses Enter (every 2 s, up to a minute) until the shell prints a new <paramref name="prompt"/>:
    /// busybox's line editor asks the terminal where its cursor is as it prompts, and what is typed
    /// meanwhile (such as a command right after a Ctrl-C) can be taken as the answer.
    /// </summary>
    public Task FreshPromptAsync(string prompt) => PromptAfterAsync(prompt, "\n");

    /// <summary>
    /// Stops what runs in the foreground and waits for a new prompt: Ctrl-C every 2 s until one shows.
    /// One Ctrl-C is not always enough: busybox's ash can take it between two commands of a loop and
    /// carry on with the loop. Then an Enter's fresh prompt, as <see cref="FreshPromptAsync"/>.
    /// </summary>
    public async Task InterruptAsync(string prompt)
    {
        await PromptAfterAsync(prompt, "\u0003");
        await FreshPromptAsync(prompt);
    }

    private async Task PromptAfterAsync(string prompt, string press)
    {
        int Prompts(string seen) => seen.Split(prompt).Length;
        await ReadUntilAsync(seen => seen.Contains(prompt, StringComparison.Ordinal), TimeSpan.FromMinutes(1));
        var before = Prompts(Seen);
        using var prompted = new CancellationTokenSource();
        var presses = Task.Run(async () =>
        {
            while (!prompted.IsCancellationRequested)
            {
                await TypeAsync(press);
                await Task.Delay(TimeSpan.FromSeconds(2), prompted.Token);
            }
        });
        await ReadUntilAsync(seen => Prompts(seen) > before, TimeSpan.FromMinutes(1));
        await prompted.CancelAsync();
        await presses.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Assert.True(Prompts(Seen) > before, $"the shell printed no new prompt within a minute of {(press == "\n" ? "Enter" : "Ctrl-C")} presses; it showed: {Seen}");
    }

    /// <summary>Types a command line and waits (up to a minute) for <paramref name="line"/> as a whole line of output; fails with what the console showed.</summary>
    public async Task RunAsync(string command, string line)
    {
        await TypeAsync(command + "\n");
        await ReadUntilAsync(_ => Lines.Contains(line), TimeSpan.FromSeconds(60));
        Assert.True(Lines.Contains(line), $"the console never printed '{line}'; it showed: {Seen}");
    }

    /// <summary>Lines of output with terminal line endings and trailing blanks removed.</summary>
    public IReadOnlyList<string> Lines => [.. _seen.ToString().Split('\n').Select(l => l.TrimEnd('\r', ' '))];

    public async ValueTask DisposeAsync()
    {
        if (socket.State == WebSocketState.Open)
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        socket.Dispose();
    }
}
