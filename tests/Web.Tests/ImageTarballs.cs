using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Http.Headers;

namespace Ringmaster.Web.Tests;

/// <summary>Test images: a busybox root filesystem made from the host's /bin/busybox (busybox-static), and hostile tarballs.</summary>
internal static class ImageTarballs
{
    public const string Busybox = "/bin/busybox";

    /// <summary>A root filesystem with busybox and its shell: bin/busybox, bin/sh and the applets a console needs.</summary>
    public static byte[] BusyboxRootfs(bool gzip)
    {
        using var output = new MemoryStream();
        using (Stream target = gzip ? new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true) : new NonClosing(output))
        using (var tar = new TarWriter(target, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var dir in new[] { "bin", "dev", "etc", "proc", "root", "sys", "tmp" })
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir + "/") { Mode = (UnixFileMode)0b111_101_101 });
            }

            using (var binary = File.OpenRead(Busybox))
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { Mode = (UnixFileMode)0b111_101_101, DataStream = binary });
            }

            foreach (var applet in new[] { "sh", "echo", "cat", "ls", "stty" })
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "/bin/busybox" });
            }
        }

        return output.ToArray();
    }

    /// <summary>A tarball with one entry named <paramref name="entryName"/>.</summary>
    public static byte[] WithEntry(string entryName)
    {
        using var output = new MemoryStream();
        using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            using var data = new MemoryStream("hello"u8.ToArray());
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, entryName) { DataStream = data });
        }

        return output.ToArray();
    }

    /// <summary>A gzip bomb: a tarball of one file (<paramref name="entryName"/>) of <paramref name="mebibytes"/> MiB of zeros, some hundred times smaller compressed.</summary>
    public static byte[] GzipBomb(int mebibytes, string entryName = "zeros")
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            using var zeros = new ZeroStream((long)mebibytes << 20);
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, entryName) { DataStream = zeros });
        }

        return output.ToArray();
    }

    public static MultipartFormDataContent Upload(string? name, string? kind, byte[]? file, string fileName = "rootfs.tar")
    {
        var form = new MultipartFormDataContent();
        if (name is not null)
        {
            form.Add(new StringContent(name), "name");
        }

        if (kind is not null)
        {
            form.Add(new StringContent(kind), "kind");
        }

        if (file is not null)
        {
            var content = new ByteArrayContent(file);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(content, "file", fileName);
        }

        return form;
    }

    /// <summary><c>length</c> zero bytes, never held in memory at once.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => _position = value; }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset };
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }
    }

    private sealed class NonClosing(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }
}
