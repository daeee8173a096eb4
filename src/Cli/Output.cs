using System.Globalization;
using System.Text.Json;
using Ringmaster.Contracts;

namespace Ringmaster.Cli;

/// <summary>Tables for people, indented JSON for scripts (<c>--json</c>).</summary>
internal static class Output
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static void Json(TextWriter writer, JsonElement value) => writer.WriteLine(JsonSerializer.Serialize(value, s_indented));

    public static void Table(TextWriter writer, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        writer.WriteLine(Line(headers, widths));
        foreach (var row in all)
        {
            writer.WriteLine(Line(row, widths));
        }
    }

    /// <summary>One "key: value" per line, keys aligned.</summary>
    public static void Fields(TextWriter writer, IEnumerable<(string Key, string Value)> fields)
    {
        var list = fields.ToList();
        var width = list.Max(f => f.Key.Length) + 1;
        foreach (var (key, value) in list)
        {
            writer.WriteLine($"{(key + ":").PadRight(width)} {value}");
        }
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Count - 1 ? c : c.PadRight(widths[i]))).TrimEnd();

    /// <summary>The rows of a list answer, a <see cref="Page{T}"/> or a plain array, as the server wrote them (for <c>--json</c>).</summary>
    public static JsonElement Items(JsonElement answer) =>
        answer.ValueKind == JsonValueKind.Array ? answer : JsonSerializer.SerializeToElement(answer.As<Page<JsonElement>>().Items);

    /// <summary>A server's answer read as the contract's record (<see cref="Contracts"/>); an answer of another shape is an error that says so.</summary>
    public static T As<T>(this JsonElement element)
    {
        try
        {
            return element.Deserialize<T>(RingmasterClient.Json) ?? throw new JsonException("it is null");
        }
        catch (JsonException e)
        {
            throw new CliException($"The server's answer is not the {typeof(T).Name} this CLI reads ({e.Message}); is the server of another version?");
        }
    }

    /// <summary>A value as the API writes it: an enum by its wire name (<c>vm</c>, <c>machine.create</c>), a time in ISO 8601, a number as JSON has it; empty for null.</summary>
    public static string Wire<T>(this T value) => JsonSerializer.SerializeToElement(value, RingmasterClient.Json) switch
    {
        { ValueKind: JsonValueKind.Null } => "",
        { ValueKind: JsonValueKind.String } text => text.GetString() ?? "",
        var other => other.GetRawText(),
    };

    public static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("0", CultureInfo.InvariantCulture) + " MiB";
}
