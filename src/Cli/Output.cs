using System.Globalization;
using System.Text.Json;

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

    public static string Str(this JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => "",
            JsonValueKind.String => value.GetString() ?? "",
            _ => value.GetRawText(),
        } : "";

    public static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("0", CultureInfo.InvariantCulture) + " MiB";
}
