using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Apis;

/// <summary>
/// The event stream for automation (Server-Sent Events): machine state changes, operation progress,
/// host online/offline and metrics, as they happen. <c>types</c> filters by kind
/// (<c>machine</c>, <c>operation</c>, <c>host</c>, <c>metrics</c>); <c>machine</c> by one machine.
/// A client that reads more slowly than changes come loses the oldest, and is sent a <c>missed</c>
/// event in their place, whatever the types: it should read the state again.
/// </summary>
public static class EventsApi
{
    private static readonly HashSet<string> s_types = ["machine", "operation", "host", "metrics"];

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/events", Stream).WithTags("Events")
            .WithName("StreamEvents").WithSummary("Stream changes as server-sent events");
        return app;
    }

    public static async Task<Results<ServerSentEventsResult<object>, ValidationProblem>> Stream(
        LiveFeed feed, IAccessScope scope, Microsoft.EntityFrameworkCore.IDbContextFactory<Core.Store.RingmasterDbContext> dbFactory, string? types, Guid? machine, CancellationToken cancellationToken)
    {
        var wanted = string.IsNullOrWhiteSpace(types)
            ? s_types
            : [.. types.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => t.ToLowerInvariant())];
        if (wanted.Except(s_types).FirstOrDefault() is { } unknown)
        {
            return ApiResults.Invalid("types", $"Unknown event type '{(unknown.Length > 32 ? unknown[..32] : unknown)}'. Types: {string.Join(", ", s_types)}.");
        }

        // A caller restricted to projects sees only their machines' events.
        var filter = await ProjectFeedFilter.ForAsync(scope, dbFactory, cancellationToken);
        return TypedResults.ServerSentEvents(Events(feed, wanted, machine, filter, cancellationToken));
    }

    private static async IAsyncEnumerable<SseItem<object>> Events(LiveFeed feed, HashSet<string> wanted, Guid? machine, ProjectFeedFilter? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A first event tells the client the stream is live (changes from here on).
        yield return new SseItem<object>(new { at = DateTimeOffset.UtcNow }, "ready");
        await foreach (var received in feed.SubscribeAsync(cancellationToken))
        {
            if ((filter is null ? received : filter.Apply(received)) is not { } change)
            {
                continue;
            }

            if (change is ChangesMissed missed)
            {
                // Whatever the types asked for: the client lost changes and should read the state again.
                yield return new SseItem<object>(new { at = missed.At }, "missed");
                continue;
            }

            var (type, id, payload) = change switch
            {
                MachineChanged m => ("machine.changed", m.Machine.Id, (object)m.Machine),
                MachineRemoved r => ("machine.removed", r.MachineId, new { id = r.MachineId, name = r.Name }),
                OperationChanged o => ("operation.changed", o.Operation.MachineId ?? Guid.Empty, o.Operation),
                HostChanged h => ("host.changed", Guid.Empty, h.Host),
                MetricsChanged x => ("metrics", Guid.Empty, new { hostId = x.HostId, metrics = x.Metrics }),
                _ => ("", Guid.Empty, new object()),
            };
            var group = type.Split('.')[0];
            if (!wanted.Contains(group) || (machine is { } only && group is "machine" or "operation" && id != only))
            {
                continue;
            }

            yield return new SseItem<object>(payload, type);
        }
    }
}
