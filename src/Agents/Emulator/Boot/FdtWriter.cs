using System.Buffers.Binary;
using System.Text;

namespace Ringmaster.Emulator.Boot;

/// <summary>A small flattened-device-tree (DTB, version 17) writer.</summary>
internal sealed class FdtWriter
{
    private const uint BeginNode = 1, EndNode = 2, Prop = 3, End = 9;
    private readonly List<byte> _struct = [];
    private readonly List<byte> _strings = [];
    private readonly Dictionary<string, int> _stringOffsets = [];

    public void BeginNodeNamed(string name)
    {
        Token(BeginNode);
        var bytes = Encoding.ASCII.GetBytes(name);
        _struct.AddRange(bytes);
        _struct.Add(0);
        Align();
    }

    public void EndNodeHere() => Token(EndNode);

    public void Property(string name, ReadOnlySpan<byte> value)
    {
        Token(Prop);
        Word((uint)value.Length);
        Word((uint)StringOffset(name));
        _struct.AddRange(value.ToArray());
        Align();
    }

    public void Property(string name) => Property(name, ReadOnlySpan<byte>.Empty);

    public void Property(string name, string value) => Property(name, Encoding.ASCII.GetBytes(value + "\0"));

    public void Property(string name, params string[] values) =>
        Property(name, Encoding.ASCII.GetBytes(string.Concat(values.Select(v => v + "\0"))));

    public void Property(string name, params uint[] cells)
    {
        var b = new byte[cells.Length * 4];
        for (var i = 0; i < cells.Length; i++)
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(i * 4), cells[i]);
        Property(name, b);
    }

    public void PropertyU64(string name, params ulong[] values)
    {
        var b = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(i * 8), values[i]);
        Property(name, b);
    }

    /// <summary>The finished blob, with <paramref name="slack"/> free bytes so firmware can grow it in place.</summary>
    public byte[] Finish(int slack = 0x4000)
    {
        Token(End);
        const int headerSize = 40;
        const int rsvmapOffset = headerSize;
        const int rsvmapSize = 16; // one empty terminating entry
        var structOffset = rsvmapOffset + rsvmapSize;
        var stringsOffset = structOffset + _struct.Count;
        var total = stringsOffset + _strings.Count + slack;
        var blob = new byte[total];
        var s = blob.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(s[0..], 0xd00dfeed);
        BinaryPrimitives.WriteUInt32BigEndian(s[4..], (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(s[8..], (uint)structOffset);
        BinaryPrimitives.WriteUInt32BigEndian(s[12..], (uint)stringsOffset);
        BinaryPrimitives.WriteUInt32BigEndian(s[16..], rsvmapOffset);
        BinaryPrimitives.WriteUInt32BigEndian(s[20..], 17);
        BinaryPrimitives.WriteUInt32BigEndian(s[24..], 16);
        BinaryPrimitives.WriteUInt32BigEndian(s[28..], 0); // boot cpu
        BinaryPrimitives.WriteUInt32BigEndian(s[32..], (uint)_strings.Count);
        BinaryPrimitives.WriteUInt32BigEndian(s[36..], (uint)_struct.Count);
        _struct.ToArray().CopyTo(s[structOffset..]);
        _strings.ToArray().CopyTo(s[stringsOffset..]);
        return blob;
    }

    private int StringOffset(string name)
    {
        if (_stringOffsets.TryGetValue(name, out var off))
            return off;
        off = _strings.Count;
        _strings.AddRange(Encoding.ASCII.GetBytes(name));
        _strings.Add(0);
        _stringOffsets[name] = off;
        return off;
    }

    private void Token(uint t) => Word(t);

    private void Word(uint v)
    {
        _struct.Add((byte)(v >> 24));
        _struct.Add((byte)(v >> 16));
        _struct.Add((byte)(v >> 8));
        _struct.Add((byte)v);
    }

    private void Align()
    {
        while (_struct.Count % 4 != 0)
            _struct.Add(0);
    }
}
