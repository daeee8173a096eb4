using System.Text;
using System.Text.RegularExpressions;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// One option of QEMU's command line: a flag alone (<c>-nodefaults</c>), a flag with a plain value
/// that QEMU takes as it is (<c>-kernel PATH</c>, <c>-append TEXT</c>), or a flag with a property
/// list (<c>-device virtio-blk-pci,drive=disk0,id=disk0</c>) whose values are escaped as QEMU's
/// option parser wants: a comma inside a value is doubled.
/// </summary>
public sealed record QemuOption
{
    private QemuOption(string flag, string? value)
    {
        Flag = flag;
        Value = value;
    }

    public string Flag { get; }

    /// <summary>The value as QEMU receives it (already escaped for a property list), or null for a bare flag.</summary>
    public string? Value { get; }

    public static QemuOption Bare(string flag) => new(flag, null);

    /// <summary>A value QEMU does not parse as a property list (file names of <c>-kernel</c>, <c>-pidfile</c>; <c>-append</c>).</summary>
    public static QemuOption Plain(string flag, string value) => new(flag, value);

    public static QemuOption Properties(string flag, QemuProperties properties) => new(flag, properties.ToString());

    public IEnumerable<string> ToArguments() => Value is null ? [Flag] : [Flag, Value];

    public override string ToString() => Value is null ? Flag : $"{Flag} {Value}";
}

/// <summary>
/// A QEMU property list: an optional leading value (a device's driver, a chardev's backend, the VNC
/// display) and <c>key=value</c> pairs in the order added; keys may repeat (<c>hostfwd</c>).
/// </summary>
public sealed partial class QemuProperties
{
    private readonly string? _head;
    private readonly List<KeyValuePair<string, string>> _pairs = [];

    public QemuProperties(string? head = null)
    {
        _head = head;
    }

    public IReadOnlyList<KeyValuePair<string, string>> Pairs => _pairs;

    public QemuProperties Add(string key, string value)
    {
        if (!KeyPattern().IsMatch(key))
        {
            throw new ArgumentException($"'{key}' is not a QEMU property name.", nameof(key));
        }

        _pairs.Add(new(key, value));
        return this;
    }

    public QemuProperties Add(string key, bool value) => Add(key, value ? "on" : "off");

    public QemuProperties Add(string key, long value) => Add(key, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public QemuProperties AddIf(bool condition, string key, string value) => condition ? Add(key, value) : this;

    public QemuProperties AddIfSet(string key, string? value) => value is null ? this : Add(key, value);

    public QemuProperties AddIfSet(string key, long? value) => value is { } v ? Add(key, v) : this;

    /// <summary>A value as QEMU's option parsers read it: a comma is written twice.</summary>
    public static string Escape(string value) => value.Replace(",", ",,", StringComparison.Ordinal);

    public override string ToString()
    {
        var text = new StringBuilder();
        if (_head is not null)
        {
            text.Append(Escape(_head));
        }

        foreach (var (key, value) in _pairs)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(key).Append('=').Append(Escape(value));
        }

        return text.ToString();
    }

    [GeneratedRegex("^[a-z][a-z0-9._-]*$")]
    private static partial Regex KeyPattern();
}
