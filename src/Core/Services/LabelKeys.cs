using System.Text.RegularExpressions;
using Ringmaster.Shared;

namespace Ringmaster.Core.Services;

public static partial class LabelKeys
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? key) => key is not null && Pattern().IsMatch(key);

    /// <summary>What a label value may be: at most 256 characters, none of them a control or format character.</summary>
    public const string ValueRule = "Label values must be at most 256 characters, without control or format characters";

    public static bool IsValidValue(string? value) => value is { Length: <= 256 } && !InputText.HasHiddenCharacters(value);
}
