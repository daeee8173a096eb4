using System.Text;
using System.Text.RegularExpressions;

namespace Ringmaster.Core.Services;

/// <summary>Machine names: DNS labels (lowercase letters, digits and '-'), 1–63 characters.</summary>
public static partial class MachineNames
{
    public const int MaxLength = 63;

    public const string Rule = "1–63 characters of lowercase letters, digits and '-', starting and ending with a letter or digit";

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? name) => name is { Length: > 0 and <= MaxLength } && Pattern().IsMatch(name);

    /// <summary>Makes a valid name out of anything (for adopted guests whose engine name is not one).</summary>
    public static string Sanitize(string name)
    {
        var sb = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            sb.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '-');
        }

        var result = sb.ToString().Trim('-');
        if (result.Length > MaxLength)
        {
            result = result[..MaxLength].Trim('-');
        }

        return result.Length == 0 ? "adopted" : result;
    }
}
