using System.Text;
using System.Threading.Channels;

namespace Ringmaster.Cli.Tests.Infrastructure;

/// <summary>A terminal for console tests: keys are typed through <see cref="Type"/>, what the guest prints is in <see cref="Seen"/>.</summary>
public sealed class FakeTerminal((int Columns, int Rows)? size = null) : ITerminal
{
    private readonly KeyboardStream _input = new();
    private readonly ScreenStream _output = new();

    public Stream Input => _input;
    public Stream Output => _output;
    public (int Columns, int Rows)? Size { get; } = size;
    public int RawModeEntered { get; private set; }
    public bool InRawMode { get; private set; }

    public string Seen => _output.Text;

    public void Type(string text) => _input.Keys.Writer.TryWrite(Encoding.UTF8.GetBytes(text));

    public void Type(byte key) => _input.Keys.Writer.TryWrite([key]);

    public IDisposable EnterRawMode()
    {
        RawModeEntered++;
        InRawMode = true;
        return new Undo(() => InRawMode = false);
    }

    public IDisposable OnResize(Action onResize) => new Undo(() => { });

    public async Task<string> WaitForAsync(Func<string, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(Seen) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return Seen;
    }

    private sealed class Undo(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    private sealed class KeyboardStream : Stream
    {
        public Channel<byte[]> Keys { get; } = Channel.CreateUnbounded<byte[]>();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!await Keys.Reader.WaitToReadAsync(cancellationToken))
            {
                return 0;
            }

            var bytes = await Keys.Reader.ReadAsync(cancellationToken);
            bytes.CopyTo(buffer);
            return bytes.Length;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class ScreenStream : Stream
    {
        private readonly MemoryStream _bytes = new();

        public string Text
        {
            get
            {
                lock (_bytes)
                {
                    return Encoding.UTF8.GetString(_bytes.ToArray());
                }
            }
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (_bytes)
            {
                _bytes.Write(buffer, offset, count);
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (_bytes)
            {
                _bytes.Write(buffer.Span);
            }

            return ValueTask.CompletedTask;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
