using System.Globalization;
using System.Text;

namespace Ringmaster.Shared;

/// <summary>
/// The one rule for what names and free text taken from callers may hold. A name (of a token, user,
/// project, machine, template, image, snapshot, schedule, scaling group, policy, script, label…) never
/// holds a control or format character (Unicode categories Cc and Cf: NUL, CR/LF, escapes, bidi
/// overrides, zero-width characters), a line or paragraph separator (Zl, Zp) or half a surrogate pair:
/// such a name could break a header or a log line, or show one thing and be another. Free text
/// (descriptions, notes, command arguments) may hold tabs and line breaks, nothing else of the kind.
/// </summary>
public static class InputText
{
    /// <summary>
    /// A caller's text shortened for a message: at most <paramref name="max"/> characters, then "…".
    /// (Whether the text may be shown at all is <see cref="HasHiddenCharacters"/>' question.)
    /// </summary>
    public static string Clip(string value, int max) => value.Length <= max ? value : value[..max] + "…";

    /// <summary>What a refused name is told, after "The name …".</summary>
    public const string HiddenCharacters = "must not contain control or format characters (such as NUL, line breaks or bidirectional overrides)";

    /// <summary>True when <paramref name="value"/> holds a character no name may hold.</summary>
    public static bool HasHiddenCharacters(string? value) => value is not null && FirstRefused(value, allowLineBreaks: false) is not null;

    /// <summary>True when free text holds a character it may not (anything a name may not hold, except tab, CR and LF).</summary>
    public static bool HasHiddenTextCharacters(string? value) => value is not null && FirstRefused(value, allowLineBreaks: true) is not null;

    /// <summary>
    /// Checks a required name: null when it is fine, else what is wrong with it, in words, starting
    /// with "<paramref name="what"/>" (say "A name").
    /// </summary>
    public static string? CheckName(string? value, int maxLength, string what = "A name")
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > maxLength)
        {
            return $"{what} of 1 to {maxLength} characters is required.";
        }

        return FirstRefused(value, allowLineBreaks: false) is { } refused
            ? $"{what} {HiddenCharacters}; this one has {Describe(refused)}."
            : null;
    }

    /// <summary>Checks optional free text: null when it is fine (or absent), else what is wrong with it.</summary>
    public static string? CheckText(string? value, int maxLength, string what = "The text")
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > maxLength)
        {
            return $"{what} must be at most {maxLength} characters.";
        }

        return FirstRefused(value, allowLineBreaks: true) is { } refused
            ? $"{what} must not contain control or format characters other than tabs and line breaks; this one has {Describe(refused)}."
            : null;
    }

    private static Rune? FirstRefused(string value, bool allowLineBreaks)
    {
        var index = 0;
        while (index < value.Length)
        {
            if (Rune.DecodeFromUtf16(value.AsSpan(index), out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                // Half a surrogate pair: not a character at all.
                return new Rune(0xFFFD);
            }

            index += consumed;
            if (allowLineBreaks && rune.Value is '\t' or '\n' or '\r')
            {
                continue;
            }

            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                return rune;
            }
        }

        return null;
    }

    private static string Describe(Rune rune) => rune.Value == 0xFFFD ? "an unpaired surrogate" : $"U+{rune.Value:X4}";
}
