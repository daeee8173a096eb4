using System.Text.Json;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Drivers.Common;

/// <summary>
/// The labels by which an engine that keeps no record of its own (a container engine) knows the
/// guests this agent made: <c>ringmaster.id</c>, <c>ringmaster.name</c>, <c>ringmaster.kind</c>,
/// <c>ringmaster.image</c>, <c>ringmaster.spec</c>, the user's labels as <c>ringmaster.label.*</c>
/// and the owning host as <c>ringmaster.host</c>.
/// </summary>
public static class GuestLabels
{
    public const string Id = "ringmaster.id";
    public const string Name = "ringmaster.name";
    public const string Kind = "ringmaster.kind";
    public const string Image = "ringmaster.image";
    public const string Spec = "ringmaster.spec";
    public const string UserPrefix = "ringmaster.label.";
    public const string Host = "ringmaster.host";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The labels of the guest <paramref name="definition"/>: its identity, <paramref name="image"/> (else
    /// the definition's), its spec, <paramref name="userLabels"/> (else the definition's) and <paramref name="owner"/>.
    /// </summary>
    public static Dictionary<string, string> For(GuestDefinition definition, string? owner, string? image = null, IReadOnlyDictionary<string, string>? userLabels = null)
    {
        var labels = new Dictionary<string, string>
        {
            [Id] = definition.Id.ToString(),
            [Name] = definition.Name,
            [Kind] = definition.Kind == MachineKind.Container ? "container" : "vm",
            [Image] = image ?? definition.Image,
            [Spec] = JsonSerializer.Serialize(definition.Spec, Json),
        };
        foreach (var (key, value) in userLabels ?? definition.Labels)
        {
            labels[UserPrefix + key] = value;
        }

        if (owner is not null)
        {
            labels[Host] = owner;
        }

        return labels;
    }
}
