using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Migration;

/// <summary>The kinds of frame a migration stream carries; each transfer chunk is one frame (kind byte, then payload).</summary>
public enum FrameKind : byte
{
    /// <summary>JSON <see cref="MigrationHeader"/>: what comes.</summary>
    Header = (byte)'H',

    /// <summary>A piece of an image file: name length (u16), name, offset (i64), bytes.</summary>
    ImageFile = (byte)'F',

    /// <summary>A piece of the disk: offset (i64), bytes.</summary>
    Disk = (byte)'D',

    /// <summary>Guest pages: count (i32), then count × (address u64, 4096 bytes).</summary>
    Pages = (byte)'P',

    /// <summary>The machine's state without RAM, preceded by the UTC ticks (i64) when the source paused for good.</summary>
    State = (byte)'S',

    /// <summary>A piece of a container's filesystem export (tar).</summary>
    Export = (byte)'X',

    /// <summary>A piece of a snapshot's file (a disk layer, its record, a memory state), encoded as <see cref="ImageFile"/>; offset -1 announces the file's length.</summary>
    SnapshotFile = (byte)'N',

    /// <summary>Everything was sent.</summary>
    End = (byte)'E',
}

/// <summary>The first frame of a migration stream.</summary>
/// <param name="Definition">The guest (same id and name on the target).</param>
/// <param name="Live">Memory and state follow; the target resumes the guest.</param>
/// <param name="DiskBytes">For VMs: the disk's length.</param>
/// <param name="Image">For VMs: the image's manifest (files follow when the target lacks it).</param>
/// <param name="Container">For containers: what to recreate the container with.</param>
public sealed record MigrationHeader(
    GuestDefinition Definition,
    bool Live,
    long DiskBytes,
    ImageManifest? Image,
    ContainerSettings? Container,
    bool WasRunning);

/// <summary>A container's settings that an export does not keep.</summary>
public sealed record ContainerSettings(IList<string>? Cmd, IList<string>? Entrypoint, IList<string>? Env, string? WorkingDir, bool Tty);

/// <summary>Writes and reads frames.</summary>
public static class Frames
{
    /// <summary>Payload bytes per data frame (disk, image, export).</summary>
    public const int DataChunk = 256 * 1024;

    /// <summary>Pages per page frame.</summary>
    public const int PagesPerFrame = 64;

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    public static byte[] Header(MigrationHeader header)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(header, s_json);
        var frame = new byte[1 + json.Length];
        frame[0] = (byte)FrameKind.Header;
        json.CopyTo(frame, 1);
        return frame;
    }

    public static MigrationHeader ReadHeader(ReadOnlySpan<byte> payload) =>
        JsonSerializer.Deserialize<MigrationHeader>(payload, s_json) ?? throw new InvalidDataException("The migration header is empty.");

    public static byte[] Simple(FrameKind kind) => [(byte)kind];

    public static byte[] Data(FrameKind kind, long offset, ReadOnlySpan<byte> data)
    {
        var frame = new byte[9 + data.Length];
        frame[0] = (byte)kind;
        BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(1), offset);
        data.CopyTo(frame.AsSpan(9));
        return frame;
    }

    public static byte[] ImageFile(string name, long offset, ReadOnlySpan<byte> data) => NamedData(FrameKind.ImageFile, name, offset, data);

    /// <summary>A piece of a named file: name length (u16), name, offset (i64), bytes.</summary>
    public static byte[] NamedData(FrameKind kind, string name, long offset, ReadOnlySpan<byte> data)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var frame = new byte[1 + 2 + nameBytes.Length + 8 + data.Length];
        frame[0] = (byte)kind;
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(1), (ushort)nameBytes.Length);
        nameBytes.CopyTo(frame.AsSpan(3));
        BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(3 + nameBytes.Length), offset);
        data.CopyTo(frame.AsSpan(11 + nameBytes.Length));
        return frame;
    }

    public static (string Name, long Offset, ReadOnlyMemory<byte> Data) ReadImageFile(ReadOnlyMemory<byte> payload)
    {
        var n = BinaryPrimitives.ReadUInt16LittleEndian(payload.Span);
        var name = Encoding.UTF8.GetString(payload.Span.Slice(2, n));
        return (name, BinaryPrimitives.ReadInt64LittleEndian(payload.Span[(2 + n)..]), payload[(10 + n)..]);
    }

    public static (long Offset, ReadOnlyMemory<byte> Data) ReadData(ReadOnlyMemory<byte> payload) =>
        (BinaryPrimitives.ReadInt64LittleEndian(payload.Span), payload[8..]);

    /// <summary>Sends pages in frames of <see cref="PagesPerFrame"/>; <paramref name="read"/> copies one page.</summary>
    public static async Task<long> SendPagesAsync(IReadOnlyList<ulong> pages, int pageBytes, Action<ulong, Span<byte>> read, Transfers.TransferSink output, CancellationToken cancellationToken)
    {
        long bytes = 0;
        for (var i = 0; i < pages.Count; i += PagesPerFrame)
        {
            var count = Math.Min(PagesPerFrame, pages.Count - i);
            var frame = new byte[5 + count * (8 + pageBytes)];
            frame[0] = (byte)FrameKind.Pages;
            BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(1), count);
            var at = 5;
            for (var k = 0; k < count; k++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(at), pages[i + k]);
                read(pages[i + k], frame.AsSpan(at + 8, pageBytes));
                at += 8 + pageBytes;
            }

            await output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            bytes += frame.Length;
        }

        return bytes;
    }

    /// <summary>Applies a page frame with <paramref name="write"/>; returns the number of pages.</summary>
    public static int ReadPages(ReadOnlySpan<byte> payload, int pageBytes, WritePage write)
    {
        var count = BinaryPrimitives.ReadInt32LittleEndian(payload);
        var at = 4;
        for (var k = 0; k < count; k++)
        {
            write(BinaryPrimitives.ReadUInt64LittleEndian(payload[at..]), payload.Slice(at + 8, pageBytes));
            at += 8 + pageBytes;
        }

        return count;
    }

    public delegate void WritePage(ulong address, ReadOnlySpan<byte> data);

    /// <summary>Builds the frame of one piece of a file.</summary>
    public delegate byte[] PieceFrame(long offset, ReadOnlySpan<byte> data);

    /// <summary>Sends a file's non-zero pieces (a sparse disk's holes stay holes on the target).</summary>
    public static Task<long> SendFileAsync(FrameKind kind, string path, IEnumerable<long>? offsets, int pieceBytes, Transfers.TransferSink output, CancellationToken cancellationToken) =>
        SendFileAsync(path, offsets, pieceBytes, (offset, data) => Data(kind, offset, data), output, cancellationToken);

    /// <summary>
    /// Sends a file's pieces as <paramref name="frame"/> makes them: those at <paramref name="offsets"/>,
    /// or every piece that is not all zeros.
    /// </summary>
    public static async Task<long> SendFileAsync(string path, IEnumerable<long>? offsets, int pieceBytes, PieceFrame frame, Transfers.TransferSink output, CancellationToken cancellationToken)
    {
        long bytes = 0;
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var length = RandomAccess.GetLength(file);
        var buffer = new byte[pieceBytes];
        foreach (var offset in offsets ?? Offsets(length, pieceBytes))
        {
            if (offset >= length)
            {
                continue;
            }

            var n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(pieceBytes, length - offset)), offset);
            if (offsets is null && buffer.AsSpan(0, n).IndexOfAnyExcept((byte)0) < 0)
            {
                continue;
            }

            var piece = frame(offset, buffer.AsSpan(0, n));
            await output.WriteAsync(piece, cancellationToken).ConfigureAwait(false);
            bytes += piece.Length;
        }

        return bytes;
    }

    private static IEnumerable<long> Offsets(long length, int piece)
    {
        for (long o = 0; o < length; o += piece)
        {
            yield return o;
        }
    }
}
