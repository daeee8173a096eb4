using System.Text.RegularExpressions;

namespace Ringmaster.Core.Services;

public static partial class LabelKeys
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? key) => key is not null && Pattern().IsMatch(key);
}
