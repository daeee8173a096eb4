using System.Buffers.Binary;

namespace Ringmaster.Emulator.Devices;

/// <summary>Storage behind virtio-blk.</summary>
internal abstract class DiskBackend : IDisposable
{
    public abstract long Length { get; }

    public abstract bool ReadOnly { get; }

    public abstract void Read(long position, Span<byte> buffer);

    public abstract void Write(long position, ReadOnlySpan<byte> data);

    public abstract void Flush();

    /// <summary>Writes the guest-visible changes that live outside the base image into a snapshot.</summary>
    public virtual void SaveState(BinaryWriter w) => w.Write(0);

    public virtual void LoadState(BinaryReader r)
    {
        if (r.ReadInt32() != 0)
            throw new InvalidDataException("The snapshot holds a disk overlay but this machine's disk has none.");
    }

    public abstract void Dispose();

    /// <summary>Granularity of write tracking (for live migration).</summary>
    public const int TrackedBlockSize = 64 * 1024;

    private bool[]? _written;

    /// <summary>From now on, remembers which <see cref="TrackedBlockSize"/> blocks the guest writes.</summary>
    public void StartWriteTracking() => _written = new bool[(Length + TrackedBlockSize - 1) / TrackedBlockSize];

    /// <summary>Byte offsets of the blocks written since the last call (or since tracking started), and forgets them.</summary>
    public List<long> TakeWrittenBlocks()
    {
        var list = new List<long>();
        if (_written is { } written)
        {
            for (var i = 0; i < written.Length; i++)
            {
                if (written[i])
                {
                    list.Add((long)i * TrackedBlockSize);
                    written[i] = false;
                }
            }
        }

        return list;
    }

    protected void NoteWrite(long position, int length)
    {
        if (_written is not { } written || length <= 0)
            return;
        for (var b = position / TrackedBlockSize; b <= (position + length - 1) / TrackedBlockSize && b < written.Length; b++)
            written[b] = true;
    }

    public static DiskBackend Open(MachineConfig config)
    {
        var path = config.DiskPath!;
        try
        {
            if (config.DiskOverlayPath is not null && config.DiskLayers is not null)
                return new LayeredDisk(path, config.DiskLayers, config.DiskOverlayPath);
            if (config.DiskOverlayPath is not null)
                return new OverlayDisk(path, config.DiskOverlayPath);
            return new RawDisk(path, config.DiskReadOnly);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new MachineConfigurationException($"Cannot open the disk '{path}': {ex.Message}", ex);
        }
    }
}

/// <summary>A raw image used in place (or read-only).</summary>
internal sealed class RawDisk : DiskBackend
{
    private readonly FileStream _file;
    private readonly bool _readOnly;

    public RawDisk(string path, bool readOnly)
    {
        _readOnly = readOnly;
        _file = new FileStream(path, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite, FileShare.Read);
    }

    public override long Length => _file.Length;

    public override bool ReadOnly => _readOnly;

    public override void Read(long position, Span<byte> buffer) => RandomAccess.Read(_file.SafeFileHandle, buffer, position);

    public override void Write(long position, ReadOnlySpan<byte> data)
    {
        NoteWrite(position, data.Length);
        RandomAccess.Write(_file.SafeFileHandle, data, position);
    }

    public override void Flush() => _file.Flush(true);

    public override void Dispose() => _file.Dispose();
}

/// <summary>
/// Copy-on-write: a read-only base image shared by many machines plus this machine's overlay file.
/// Overlay layout: 32-byte header ("RMCOW1", block size, disk size), the allocation bitmap, then
/// each written 4 KiB block at its own index (the file is sparse).
/// </summary>
internal sealed class OverlayDisk : DiskBackend
{
    private const int BlockSize = 4096;
    private static ReadOnlySpan<byte> Magic => "RMCOW1\0\0"u8;
    private readonly FileStream _base;
    private readonly FileStream _overlay;
    private readonly bool[] _present;
    private readonly long _dataOffset;

    public OverlayDisk(string basePath, string overlayPath)
    {
        _base = new FileStream(basePath, FileMode.Open, FileAccess.Read, FileShare.Read);
        var blocks = (int)((_base.Length + BlockSize - 1) / BlockSize);
        _present = new bool[blocks];
        _dataOffset = (32 + (blocks + 7) / 8 + BlockSize - 1) / BlockSize * BlockSize;
        var exists = File.Exists(overlayPath) && new FileInfo(overlayPath).Length > 0;
        _overlay = new FileStream(overlayPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        if (exists)
        {
            Span<byte> hdr = stackalloc byte[32];
            RandomAccess.Read(_overlay.SafeFileHandle, hdr, 0);
            if (!hdr[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadInt64LittleEndian(hdr[16..]) != _base.Length)
                throw new InvalidDataException($"'{overlayPath}' is not an overlay of this base image.");
            var bitmap = new byte[(blocks + 7) / 8];
            RandomAccess.Read(_overlay.SafeFileHandle, bitmap, 32);
            for (var i = 0; i < blocks; i++)
                _present[i] = (bitmap[i / 8] & (1 << (i % 8))) != 0;
        }
        else
        {
            WriteHeader();
        }
    }

    public override long Length => _base.Length;

    public override bool ReadOnly => false;

    private void WriteHeader()
    {
        var hdr = new byte[32];
        Magic.CopyTo(hdr);
        BinaryPrimitives.WriteInt32LittleEndian(hdr.AsSpan(8), BlockSize);
        BinaryPrimitives.WriteInt64LittleEndian(hdr.AsSpan(16), _base.Length);
        RandomAccess.Write(_overlay.SafeFileHandle, hdr, 0);
        WriteBitmap();
    }

    private void WriteBitmap()
    {
        var bitmap = new byte[(_present.Length + 7) / 8];
        for (var i = 0; i < _present.Length; i++)
            if (_present[i]) bitmap[i / 8] |= (byte)(1 << (i % 8));
        RandomAccess.Write(_overlay.SafeFileHandle, bitmap, 32);
    }

    private void ReadBlock(int block, Span<byte> dest)
    {
        dest.Clear();
        if (_present[block])
            RandomAccess.Read(_overlay.SafeFileHandle, dest, _dataOffset + (long)block * BlockSize);
        else
            RandomAccess.Read(_base.SafeFileHandle, dest, (long)block * BlockSize);
    }

    public override void Read(long position, Span<byte> buffer)
    {
        Span<byte> blk = stackalloc byte[BlockSize];
        while (buffer.Length > 0)
        {
            var block = (int)(position / BlockSize);
            var off = (int)(position % BlockSize);
            var n = Math.Min(BlockSize - off, buffer.Length);
            ReadBlock(block, blk);
            blk.Slice(off, n).CopyTo(buffer);
            buffer = buffer[n..];
            position += n;
        }
    }

    public override void Write(long position, ReadOnlySpan<byte> data)
    {
        NoteWrite(position, data.Length);
        Span<byte> blk = stackalloc byte[BlockSize];
        var bitmapChanged = false;
        while (data.Length > 0)
        {
            var block = (int)(position / BlockSize);
            var off = (int)(position % BlockSize);
            var n = Math.Min(BlockSize - off, data.Length);
            if (n < BlockSize)
                ReadBlock(block, blk);
            data[..n].CopyTo(blk[off..]);
            RandomAccess.Write(_overlay.SafeFileHandle, blk, _dataOffset + (long)block * BlockSize);
            if (!_present[block])
            {
                _present[block] = true;
                bitmapChanged = true;
            }

            data = data[n..];
            position += n;
        }

        if (bitmapChanged)
            WriteBitmap();
    }

    public override void Flush() => _overlay.Flush(true);

    public override void SaveState(BinaryWriter w)
    {
        var count = _present.Count(p => p);
        w.Write(count);
        var blk = new byte[BlockSize];
        for (var i = 0; i < _present.Length; i++)
        {
            if (!_present[i]) continue;
            w.Write(i);
            RandomAccess.Read(_overlay.SafeFileHandle, blk, _dataOffset + (long)i * BlockSize);
            w.Write(blk);
        }
    }

    public override void LoadState(BinaryReader r)
    {
        var count = r.ReadInt32();
        Array.Clear(_present);
        for (var k = 0; k < count; k++)
        {
            var i = r.ReadInt32();
            var blk = r.ReadBytes(BlockSize);
            RandomAccess.Write(_overlay.SafeFileHandle, blk, _dataOffset + (long)i * BlockSize);
            _present[i] = true;
        }

        WriteBitmap();
    }

    public override void Dispose()
    {
        _overlay.Dispose();
        _base.Dispose();
    }
}
