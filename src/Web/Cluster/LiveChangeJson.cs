using System.Text.Json;
using System.Text.Json.Serialization;
using Ringmaster.Core.Services;

namespace Ringmaster.Web.Cluster;

/// <summary>A live change as the nodes send it to each other: the sending node, the kind of change, and the change.</summary>
public static class LiveChangeJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    private sealed record Envelope(Guid Node, string Kind, JsonElement Change);

    /// <summary>Every kind of change the nodes send each other, by the name they send it under.</summary>
    private static readonly Dictionary<Type, string> s_kinds = new()
    {
        [typeof(HostChanged)] = "host",
        [typeof(MachineChanged)] = "machine",
        [typeof(MachineRemoved)] = "machine-removed",
        [typeof(OperationChanged)] = "operation",
        [typeof(MetricsChanged)] = "metrics",
        [typeof(AlertChanged)] = "alert",
    };

    private static readonly Dictionary<string, Type> s_types = s_kinds.ToDictionary(k => k.Value, k => k.Key);

    /// <summary>Whether changes of <paramref name="type"/> reach the other nodes.</summary>
    public static bool Supports(Type type) => s_kinds.ContainsKey(type);

    public static byte[] Serialize(Guid node, LiveChange change)
    {
        var kind = s_kinds.TryGetValue(change.GetType(), out var name) ? name
            : throw new NotSupportedException($"A {change.GetType().Name} cannot be sent to the other nodes.");
        return JsonSerializer.SerializeToUtf8Bytes(new Envelope(node, kind, JsonSerializer.SerializeToElement(change, change.GetType(), Options)), Options);
    }

    /// <summary>The node that sent it and the change; a kind this version does not know (a newer node's) gives no change.</summary>
    public static (Guid Node, LiveChange? Change) Deserialize(byte[] message)
    {
        var envelope = JsonSerializer.Deserialize<Envelope>(message, Options) ?? throw new JsonException("An empty live change.");
        var change = s_types.TryGetValue(envelope.Kind, out var type) ? (LiveChange?)envelope.Change.Deserialize(type, Options) : null;
        return (envelope.Node, change);
    }
}
