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

    public static byte[] Serialize(Guid node, LiveChange change)
    {
        var (kind, element) = change switch
        {
            HostChanged c => ("host", JsonSerializer.SerializeToElement(c, Options)),
            MachineChanged c => ("machine", JsonSerializer.SerializeToElement(c, Options)),
            MachineRemoved c => ("machine-removed", JsonSerializer.SerializeToElement(c, Options)),
            OperationChanged c => ("operation", JsonSerializer.SerializeToElement(c, Options)),
            MetricsChanged c => ("metrics", JsonSerializer.SerializeToElement(c, Options)),
            _ => throw new NotSupportedException($"A {change.GetType().Name} cannot be sent to the other nodes."),
        };
        return JsonSerializer.SerializeToUtf8Bytes(new Envelope(node, kind, element), Options);
    }

    /// <summary>The node that sent it and the change; a kind this version does not know (a newer node's) gives no change.</summary>
    public static (Guid Node, LiveChange? Change) Deserialize(byte[] message)
    {
        var envelope = JsonSerializer.Deserialize<Envelope>(message, Options) ?? throw new JsonException("An empty live change.");
        LiveChange? change = envelope.Kind switch
        {
            "host" => envelope.Change.Deserialize<HostChanged>(Options),
            "machine" => envelope.Change.Deserialize<MachineChanged>(Options),
            "machine-removed" => envelope.Change.Deserialize<MachineRemoved>(Options),
            "operation" => envelope.Change.Deserialize<OperationChanged>(Options),
            "metrics" => envelope.Change.Deserialize<MetricsChanged>(Options),
            _ => null,
        };
        return (envelope.Node, change);
    }
}
