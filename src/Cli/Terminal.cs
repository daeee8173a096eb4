using System.Runtime.InteropServices;

namespace Ringmaster.Cli;

/// <summary>The terminal an interactive console session runs in.</summary>
public interface ITerminal
{
    /// <summary>Raw bytes typed by the user.</summary>
    Stream Input { get; }

    /// <summary>Where the guest's output goes, byte for byte.</summary>
    Stream Output { get; }

    /// <summary>The terminal's size in columns and rows, null when output is not a terminal.</summary>
    (int Columns, int Rows)? Size { get; }

    /// <summary>Puts the terminal in raw mode (no echo, no line editing, no signals) until disposed.</summary>
    IDisposable EnterRawMode();

    /// <summary>Calls <paramref name="onResize"/> whenever the terminal changes size (SIGWINCH), until disposed.</summary>
    IDisposable OnResize(Action onResize);
}

/// <summary>The process's own terminal: raw mode through termios, resizes through SIGWINCH.</summary>
internal sealed partial class SystemTerminal : ITerminal
{
    private const int StdinFd = 0;
    private const int TcsaNow = 0;

    /// <summary>
    /// Standard input read with read(2) directly: .NET's own console stream edits lines (and echoes)
    /// when input is a terminal, which a raw console must not do.
    /// </summary>
    public Stream Input { get; } = OperatingSystem.IsWindows()
        ? Console.OpenStandardInput()
        : new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(StdinFd, ownsHandle: false), FileAccess.Read, bufferSize: 0);

    public Stream Output { get; } = Console.OpenStandardOutput();

    public (int Columns, int Rows)? Size
    {
        get
        {
            if (Console.IsOutputRedirected)
            {
                return null;
            }

            try
            {
                return Console.WindowWidth > 0 && Console.WindowHeight > 0 ? (Console.WindowWidth, Console.WindowHeight) : null;
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    public IDisposable EnterRawMode()
    {
        if (Console.IsInputRedirected || !OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return new Restore(null);
        }

        // termios is opaque here: saved as bytes, made raw by libc's own cfmakeraw, restored as saved.
        var saved = new byte[256];
        if (TcGetAttr(StdinFd, saved) != 0)
        {
            return new Restore(null);
        }

        var raw = (byte[])saved.Clone();
        CfMakeRaw(raw);
        _ = TcSetAttr(StdinFd, TcsaNow, raw);
        return new Restore(saved);
    }

    public IDisposable OnResize(Action onResize)
    {
        if (OperatingSystem.IsWindows())
        {
            return new Restore(null);
        }

        return PosixSignalRegistration.Create(PosixSignal.SIGWINCH, context =>
        {
            context.Cancel = true;
            onResize();
        });
    }

    [LibraryImport("libc", EntryPoint = "tcgetattr")]
    private static partial int TcGetAttr(int fd, [Out] byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr")]
    private static partial int TcSetAttr(int fd, int optionalActions, byte[] termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    private static partial void CfMakeRaw([In, Out] byte[] termios);

    private sealed class Restore(byte[]? saved) : IDisposable
    {
        public void Dispose()
        {
            if (saved is not null)
            {
                _ = TcSetAttr(StdinFd, TcsaNow, saved);
            }
        }
    }
}
