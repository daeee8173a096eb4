using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Ringmaster.Core.Store;

internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

/// <summary>Stores a value as a JSON text column; works the same on SQLite and PostgreSQL.</summary>
internal sealed class JsonConverter<T>() : ValueConverter<T, string>(
    v => JsonSerializer.Serialize(v, JsonStore.Options),
    v => JsonSerializer.Deserialize<T>(v, JsonStore.Options)!);

/// <summary>Compares JSON-stored values by their JSON, so changes inside them are seen.</summary>
internal sealed class JsonComparer<T>() : ValueComparer<T>(
    (a, b) => JsonSerializer.Serialize(a, JsonStore.Options) == JsonSerializer.Serialize(b, JsonStore.Options),
    v => JsonSerializer.Serialize(v, JsonStore.Options).GetHashCode(StringComparison.Ordinal),
    v => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(v, JsonStore.Options), JsonStore.Options)!);

internal static class JsonStore
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
