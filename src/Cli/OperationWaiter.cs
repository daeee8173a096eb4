using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Ringmaster.Contracts;

namespace Ringmaster.Cli;

/// <summary>
/// Follows operations through the event stream (<c>/api/v1/events</c>), printing their progress, and
/// answers when one ends; falls back to <c>/api/v1/operations/{id}/wait</c> when the stream fails.
/// </summary>
internal sealed class OperationWaiter(RingmasterClient client, TextWriter progress)
{
    private readonly Dictionary<Guid, (int Progress, string Message)> _shown = [];

    public static bool IsEnded(JsonElement operation) => operation.As<OperationView>().State is OperationStatus.Succeeded or OperationStatus.Failed or OperationStatus.Cancelled;

    /// <summary>Waits for the operation to end and returns it as the server last described it.</summary>
    public async Task<JsonElement> WaitAsync(JsonElement operation, CancellationToken cancellationToken)
    {
        var view = operation.As<OperationView>();
        var id = view.Id;
        Show(operation);
        if (IsEnded(operation))
        {
            return await client.GetAsync($"api/v1/operations/{id}", cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var path = "api/v1/events?types=operation" + (view.MachineId is { } machine ? "&machine=" + machine : "");
            await foreach (var changed in FollowAsync(path, id, cancellationToken).ConfigureAwait(false))
            {
                Show(changed);
                if (IsEnded(changed))
                {
                    break;
                }
            }
        }
        catch (CliException)
        {
            await PollAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            await PollAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            await PollAsync(id, cancellationToken).ConfigureAwait(false);
        }

        var final = await client.GetAsync($"api/v1/operations/{id}", cancellationToken).ConfigureAwait(false);
        Show(final);
        return final;
    }

    /// <summary>
    /// Operation changes from the event stream; with <paramref name="onlyId"/>, only that operation's,
    /// starting with its state once the stream is live (so an end in between is not missed).
    /// </summary>
    public async IAsyncEnumerable<JsonElement> FollowAsync(string path, Guid? onlyId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await client.OpenStreamAsync(path, cancellationToken).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item.EventType == "ready" && onlyId is not null)
            {
                yield return await client.GetAsync($"api/v1/operations/{onlyId}", cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (item.EventType != "operation.changed")
            {
                continue;
            }

            JsonElement operation;
            try
            {
                operation = JsonDocument.Parse(item.Data).RootElement.Clone();
            }
            catch (JsonException)
            {
                continue;
            }

            if (onlyId is null || operation.As<OperationView>().Id == onlyId)
            {
                yield return operation;
            }
        }

        throw new IOException("The event stream ended.");
    }

    private async Task PollAsync(Guid id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var operation = await client.GetAsync($"api/v1/operations/{id}/wait?timeout=30", cancellationToken).ConfigureAwait(false);
            Show(operation);
            if (IsEnded(operation))
            {
                return;
            }
        }
    }

    /// <summary>Prints a progress line when the operation's progress or message changed.</summary>
    public void Show(JsonElement operation)
    {
        var view = operation.As<OperationView>();
        var id = view.Id;
        var percent = view.Progress;
        var message = view.State switch
        {
            OperationStatus.Failed => "failed: " + view.Error,
            OperationStatus.Cancelled => "cancelled",
            OperationStatus.Succeeded => "done",
            _ => view.Message ?? "",
        };
        if (_shown.TryGetValue(id, out var last) && last == (percent, message))
        {
            return;
        }

        _shown[id] = (percent, message);
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{view.Kind.Wire()} {view.Target} [{percent,3}%] {message}"));
    }
}
