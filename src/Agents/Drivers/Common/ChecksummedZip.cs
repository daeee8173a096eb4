using System.IO.Compression;

namespace Ringmaster.Agents.Drivers.Common;

/// <summary>Entries of a backup archive written with their SHA-256 (for its manifest) and read back whole.</summary>
public static class ChecksummedZip
{
    /// <summary>Writes the entry <paramref name="name"/> and records its SHA-256 in <paramref name="checksums"/>.</summary>
    public static void WriteEntry(ZipArchive archive, string name, Dictionary<string, string> checksums, Action<Stream> write)
    {
        var entry = archive.CreateEntry(name, CompressionLevel.Fastest);
        using var raw = entry.Open();
        using var hashing = new HashingWriteStream(raw);
        write(hashing);
        hashing.Flush();
        checksums[name] = hashing.Checksum();
    }

    /// <inheritdoc cref="WriteEntry"/>
    public static async Task WriteEntryAsync(ZipArchive archive, string name, Dictionary<string, string> checksums, Func<Stream, Task> write)
    {
        var entry = archive.CreateEntry(name, CompressionLevel.Fastest);
        await using var raw = entry.Open();
        await using var hashing = new HashingWriteStream(raw);
        await write(hashing).ConfigureAwait(false);
        checksums[name] = hashing.Checksum();
    }

    /// <summary>The whole content of an entry; a missing entry is a <see cref="GuestException"/>.</summary>
    public static byte[] ReadAll(ZipArchive archive, string name)
    {
        var entry = archive.GetEntry(name) ?? throw new GuestException($"The backup has no {name}.");
        using var s = entry.Open();
        using var copy = new MemoryStream();
        s.CopyTo(copy);
        return copy.ToArray();
    }

    /// <inheritdoc cref="ReadAll"/>
    public static async Task<byte[]> ReadAllAsync(ZipArchive archive, string name, CancellationToken cancellationToken)
    {
        var entry = archive.GetEntry(name) ?? throw new GuestException($"The backup has no {name}.");
        await using var s = entry.Open();
        using var copy = new MemoryStream();
        await s.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        return copy.ToArray();
    }
}
