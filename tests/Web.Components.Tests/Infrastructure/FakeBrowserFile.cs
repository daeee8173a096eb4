using Microsoft.AspNetCore.Components.Forms;

namespace Ringmaster.Web.Components.Tests.Infrastructure;

/// <summary>
/// A file the browser offers to an <see cref="InputFile"/>: its bytes, and optionally a gate after the
/// first <c>holdAfter</c> bytes, so a test sees an upload under way before it lets the rest through.
/// </summary>
public sealed class FakeBrowserFile(string name, byte[] content, int? holdAfter = null) : IBrowserFile
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => name;
    public DateTimeOffset LastModified { get; } = DateTimeOffset.UtcNow;
    public long Size => content.Length;
    public string ContentType => "application/octet-stream";

    /// <summary>Lets the bytes after the gate through.</summary>
    public void Release() => _release.TrySetResult();

    public Stream OpenReadStream(long maxAllowedSize = 512000, CancellationToken cancellationToken = default)
    {
        if (content.Length > maxAllowedSize)
        {
            throw new IOException($"Supplied file with size {content.Length} bytes exceeds the maximum of {maxAllowedSize} bytes.");
        }

        return new GatedStream(content, holdAfter, _release.Task);
    }

    private sealed class GatedStream(byte[] content, int? holdAfter, Task released) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => content.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var end = content.Length;
            if (holdAfter is { } gate && _position >= gate)
            {
                await released.WaitAsync(cancellationToken);
            }
            else if (holdAfter is { } before)
            {
                end = before;
            }

            var count = Math.Min(buffer.Length, end - _position);
            content.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
