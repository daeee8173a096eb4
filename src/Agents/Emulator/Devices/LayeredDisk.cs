using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Ringmaster.Emulator.Devices;

/// <summary>
/// A chain of copy-on-write layers: a raw base image (read-only), any number of frozen layers above
/// it (read-only, oldest first) and one writable top layer. Every layer file has the
/// <see cref="OverlayDisk"/> layout ("RMCOW1" header, allocation bitmap, 4 KiB blocks at their own
/// index in a sparse file), so one base with one layer is exactly an overlay. A read takes each block
/// from the highest layer that holds it. <see cref="PushLayer"/> freezes the top and starts a new one,
/// which is how a snapshot of a running machine keeps its disk in a few milliseconds.
/// </summary>
internal sealed class LayeredDisk : DiskBackend
{
    private readonly FileStream _base;
    private readonly List<CowLayer> _frozen = [];
    private CowLayer _top;

    public LayeredDisk(string basePath, IReadOnlyList<string> layers, string topPath)
    {
        _base = new FileStream(basePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        try
        {
            foreach (var layer in layers)
                _frozen.Add(CowLayer.Open(layer, _base.Length, writable: false));
            _top = CowLayer.Open(topPath, _base.Length, writable: true);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override long Length => _base.Length;

    public override bool ReadOnly => false;

    private void ReadBlock(int block, Span<byte> dest)
    {
        if (_top.TryRead(block, dest))
            return;
        for (var i = _frozen.Count - 1; i >= 0; i--)
            if (_frozen[i].TryRead(block, dest))
                return;
        dest.Clear();
        RandomAccess.Read(_base.SafeFileHandle, dest, (long)block * CowLayer.BlockSize);
    }

    public override void Read(long position, Span<byte> buffer)
    {
        Span<byte> blk = stackalloc byte[CowLayer.BlockSize];
        while (buffer.Length > 0)
        {
            var block = (int)(position / CowLayer.BlockSize);
            var off = (int)(position % CowLayer.BlockSize);
            var n = Math.Min(CowLayer.BlockSize - off, buffer.Length);
            ReadBlock(block, blk);
            blk.Slice(off, n).CopyTo(buffer);
            buffer = buffer[n..];
            position += n;
        }
    }

    public override void Write(long position, ReadOnlySpan<byte> data)
    {
        NoteWrite(position, data.Length);
        Span<byte> blk = stackalloc byte[CowLayer.BlockSize];
        while (data.Length > 0)
        {
            var block = (int)(position / CowLayer.BlockSize);
            var off = (int)(position % CowLayer.BlockSize);
            var n = Math.Min(CowLayer.BlockSize - off, data.Length);
            if (n < CowLayer.BlockSize)
                ReadBlock(block, blk);
            data[..n].CopyTo(blk[off..]);
            _top.WriteBlock(block, blk);
            data = data[n..];
            position += n;
        }

        _top.FlushBitmap();
    }

    public override void Flush() => _top.Flush();

    /// <summary>Freezes the current top layer (it stays open, read-only) and continues on a new empty one.</summary>
    public void PushLayer(string newTopPath)
    {
        var next = CowLayer.Open(newTopPath, _base.Length, writable: true);
        _top.Flush();
        _frozen.Add(_top);
        _top = next;
    }

    public override void Dispose()
    {
        _top?.Dispose();
        foreach (var layer in _frozen)
            layer.Dispose();
        _base.Dispose();
    }
}

/// <summary>One copy-on-write layer file (the <see cref="OverlayDisk"/> layout).</summary>
public sealed class CowLayer : IDisposable
{
    public const int BlockSize = 4096;
    private static ReadOnlySpan<byte> Magic => "RMCOW1\0\0"u8;
    private readonly FileStream _file;
    private readonly bool[] _present;
    private readonly long _dataOffset;
    private bool _bitmapDirty;

    private CowLayer(FileStream file, long diskLength)
    {
        _file = file;
        DiskLength = diskLength;
        var blocks = (int)((diskLength + BlockSize - 1) / BlockSize);
        _present = new bool[blocks];
        _dataOffset = (32 + (blocks + 7) / 8 + BlockSize - 1) / BlockSize * BlockSize;
    }

    public long DiskLength { get; }

    public int BlockCount => _present.Length;

    public string Path => _file.Name;

    /// <summary>Opens a layer of a disk of <paramref name="diskLength"/> bytes; a writable layer is created when missing or empty.</summary>
    public static CowLayer Open(string path, long diskLength, bool writable)
    {
        var exists = File.Exists(path) && new FileInfo(path).Length > 0;
        if (!exists && !writable)
            throw new InvalidDataException($"The disk layer '{path}' is missing.");
        var file = new FileStream(path, writable ? FileMode.OpenOrCreate : FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var layer = new CowLayer(file, diskLength);
        try
        {
            if (exists)
                layer.ReadHeader();
            else
                layer.WriteHeader();
            return layer;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Creates an empty layer file.</summary>
    public static void Create(string path, long diskLength)
    {
        using var _ = Open(path, diskLength, writable: true);
    }

    /// <summary>Reads the disk length a layer file was made for.</summary>
    public static long ReadDiskLength(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> hdr = stackalloc byte[32];
        file.ReadExactly(hdr);
        if (!hdr[..8].SequenceEqual(Magic))
            throw new InvalidDataException($"'{path}' is not a disk layer.");
        return BinaryPrimitives.ReadInt64LittleEndian(hdr[16..]);
    }

    private void ReadHeader()
    {
        Span<byte> hdr = stackalloc byte[32];
        RandomAccess.Read(_file.SafeFileHandle, hdr, 0);
        if (!hdr[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadInt64LittleEndian(hdr[16..]) != DiskLength)
            throw new InvalidDataException($"'{_file.Name}' is not a layer of this disk.");
        var bitmap = new byte[(_present.Length + 7) / 8];
        RandomAccess.Read(_file.SafeFileHandle, bitmap, 32);
        for (var i = 0; i < _present.Length; i++)
            _present[i] = (bitmap[i / 8] & (1 << (i % 8))) != 0;
    }

    private void WriteHeader()
    {
        var hdr = new byte[32];
        Magic.CopyTo(hdr);
        BinaryPrimitives.WriteInt32LittleEndian(hdr.AsSpan(8), BlockSize);
        BinaryPrimitives.WriteInt64LittleEndian(hdr.AsSpan(16), DiskLength);
        RandomAccess.Write(_file.SafeFileHandle, hdr, 0);
        _bitmapDirty = true;
        FlushBitmap();
    }

    public bool Has(int block) => _present[block];

    public IEnumerable<int> Blocks()
    {
        for (var i = 0; i < _present.Length; i++)
            if (_present[i])
                yield return i;
    }

    public bool TryRead(int block, Span<byte> dest)
    {
        if (!_present[block])
            return false;
        dest.Clear();
        RandomAccess.Read(_file.SafeFileHandle, dest, _dataOffset + (long)block * BlockSize);
        return true;
    }

    public void WriteBlock(int block, ReadOnlySpan<byte> data)
    {
        RandomAccess.Write(_file.SafeFileHandle, data, _dataOffset + (long)block * BlockSize);
        if (!_present[block])
        {
            _present[block] = true;
            _bitmapDirty = true;
        }
    }

    public void FlushBitmap()
    {
        if (!_bitmapDirty)
            return;
        var bitmap = new byte[(_present.Length + 7) / 8];
        for (var i = 0; i < _present.Length; i++)
            if (_present[i]) bitmap[i / 8] |= (byte)(1 << (i % 8));
        RandomAccess.Write(_file.SafeFileHandle, bitmap, 32);
        _bitmapDirty = false;
    }

    public void Flush()
    {
        FlushBitmap();
        _file.Flush(true);
    }

    public void Dispose()
    {
        if (_file.CanWrite)
            FlushBitmap();
        _file.Dispose();
    }
}

/// <summary>
/// Reads a disk chain (raw base, then layers oldest first) block by block, outside any machine: for
/// flattening a full clone, merging layers and backing a disk up.
/// </summary>
public sealed partial class DiskChain : IDisposable
{
    private const int SeekData = 3;
    private const int SeekHole = 4;
    private readonly FileStream _base;
    private readonly List<CowLayer> _layers = [];

    public DiskChain(string basePath, IReadOnlyList<string> layers)
    {
        _base = new FileStream(basePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            foreach (var layer in layers)
                _layers.Add(CowLayer.Open(layer, _base.Length, writable: false));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public long Length => _base.Length;

    public int BlockCount => (int)((Length + CowLayer.BlockSize - 1) / CowLayer.BlockSize);

    /// <summary>Reads one block as the guest sees it.</summary>
    public void ReadBlock(int block, Span<byte> dest)
    {
        for (var i = _layers.Count - 1; i >= 0; i--)
            if (_layers[i].TryRead(block, dest))
                return;
        dest.Clear();
        RandomAccess.Read(_base.SafeFileHandle, dest, (long)block * CowLayer.BlockSize);
    }

    /// <summary>Blocks that may hold data, ascending: those in any layer and those the base's file system stores (holes skipped).</summary>
    public IEnumerable<int> AllocatedBlocks()
    {
        var set = new SortedSet<int>();
        foreach (var layer in _layers)
            foreach (var b in layer.Blocks())
                set.Add(b);
        foreach (var b in BaseDataBlocks())
            set.Add(b);
        return set;
    }

    private IEnumerable<int> BaseDataBlocks()
    {
        var length = _base.Length;
        var extents = new List<(long Start, long End)>();
        if (OperatingSystem.IsLinux())
        {
            var fd = (int)_base.SafeFileHandle.DangerousGetHandle();
            long pos = 0;
            while (pos < length)
            {
                var data = lseek(fd, pos, SeekData);
                if (data < 0)
                    break;
                var hole = lseek(fd, data, SeekHole);
                if (hole < 0)
                    hole = length;
                extents.Add((data, hole));
                pos = hole;
            }
        }
        else
        {
            extents.Add((0, length));
        }

        foreach (var (start, end) in extents)
            for (var b = (int)(start / CowLayer.BlockSize); (long)b * CowLayer.BlockSize < end; b++)
                yield return b;
    }

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long lseek(int fd, long offset, int whence);

    /// <summary>Writes the whole disk as one sparse raw image (zero blocks stay holes).</summary>
    public void Flatten(string rawPath, IProgress<double>? progress = null)
    {
        using var output = new FileStream(rawPath, FileMode.CreateNew, FileAccess.Write);
        output.SetLength(Length);
        var buffer = new byte[CowLayer.BlockSize];
        var blocks = AllocatedBlocks().ToList();
        for (var i = 0; i < blocks.Count; i++)
        {
            ReadBlock(blocks[i], buffer);
            if (buffer.AsSpan().IndexOfAnyExcept((byte)0) >= 0)
                RandomAccess.Write(output.SafeFileHandle, buffer, (long)blocks[i] * CowLayer.BlockSize);
            if (i % 4096 == 0)
                progress?.Report((double)i / blocks.Count);
        }

        output.Flush(true);
    }

    /// <summary>Copies into <paramref name="upperPath"/> every block of <paramref name="lowerPath"/> it does not hold, so the lower layer can leave the chain.</summary>
    public static void MergeDown(string lowerPath, string upperPath)
    {
        var length = CowLayer.ReadDiskLength(upperPath);
        using var lower = CowLayer.Open(lowerPath, length, writable: false);
        using var upper = CowLayer.Open(upperPath, length, writable: true);
        var buffer = new byte[CowLayer.BlockSize];
        foreach (var block in lower.Blocks())
        {
            if (upper.Has(block))
                continue;
            lower.TryRead(block, buffer);
            upper.WriteBlock(block, buffer);
        }

        upper.Flush();
    }

    public void Dispose()
    {
        foreach (var layer in _layers)
            layer.Dispose();
        _base.Dispose();
    }
}
