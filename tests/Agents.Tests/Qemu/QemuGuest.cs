using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Ringmaster.Agents.Drivers.Qemu;
using Ringmaster.Agents.Drivers.Qemu.Qmp;
using Ringmaster.Shared;

namespace Ringmaster.Agents.Tests.Qemu;

/// <summary>The QEMU tests that boot guests run one after another (two cores are shared with others).</summary>
[CollectionDefinition(Name)]
public sealed class QemuGuestsCollection
{
    public const string Name = "QEMU guests";
}

/// <summary>Where the x86_64 images that scripts/build-images.sh makes are, and commands the tests need.</summary>
public static class QemuImages
{
    public static string Folder(string name)
    {
        var root = Environment.GetEnvironmentVariable("RINGMASTER_IMAGES") is { Length: > 0 } images
            ? images
            : Path.Combine(SourceCheckout.Root ?? throw new InvalidOperationException("The tests run from a source checkout."), ".state", "images");
        var folder = Path.Combine(root, name);
        Assert.True(Directory.Exists(folder), $"The {name} image is missing from {root}: run `sudo scripts/build-images.sh {name}` (test.sh does it).");
        return folder;
    }

    /// <summary>Runs a program to its end; fails the test with its output when it fails.</summary>
    public static async Task RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
    }
}

/// <summary>
/// A QEMU guest in a temporary VM folder: started paused through <see cref="QemuProcess"/>, its serial
/// console and QMP connected, then resumed, so that the console sees every byte from the first.
/// </summary>
public sealed class QemuGuest : IAsyncDisposable
{
    private QemuGuest(QemuVmFolder folder, QemuMachine machine, QemuProcess process, QmpClient qmp, SerialConsole console)
    {
        Folder = folder;
        Machine = machine;
        Process = process;
        Qmp = qmp;
        Console = console;
    }

    public QemuVmFolder Folder { get; }
    public QemuMachine Machine { get; }
    public QemuProcess Process { get; }
    public QmpClient Qmp { get; }
    public SerialConsole Console { get; }

    /// <summary>A short temporary folder (Unix socket paths are limited to 107 bytes).</summary>
    public static QemuVmFolder NewFolder() => new(Directory.CreateTempSubdirectory("rm-qemu-").FullName);

    /// <summary>The x86-small image: Debian's kernel and a busybox initramfs, with a small scratch disk so that block queries have something to show.</summary>
    public static async Task<QemuMachine> X86SmallAsync(QemuVmFolder folder, string name)
    {
        var image = QemuImages.Folder("x86-small");
        var disk = Path.Combine(folder.Path, "scratch.qcow2");
        await QemuImages.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", disk, "64M");
        return new QemuMachine
        {
            Name = name,
            Uuid = Guid.NewGuid(),
            MemoryMiB = 256,
            Kernel = new QemuKernelBoot(Path.Combine(image, "vmlinuz"), Path.Combine(image, "initramfs.cpio.gz"), "console=ttyS0"),
            Disks = [new QemuDisk("scratch", disk)],
            Nics = [new QemuNic("net0", "52:54:00:12:34:01")],
        };
    }

    /// <summary>Starts <paramref name="machine"/> and attaches to it; the guest runs when this returns.</summary>
    public static async Task<QemuGuest> StartAsync(QemuVmFolder folder, QemuMachine machine, Action<Process>? started = null)
    {
        await folder.SaveAsync(machine);
        var process = await QemuProcess.StartAsync(folder, QemuCommandLine.Build(machine, folder, startPaused: true), started: started);
        var console = await SerialConsole.ConnectAsync(folder.SerialSocket);
        var qmp = await QmpClient.ConnectAsync(folder.QmpSocket);
        await qmp.ContAsync();
        return new QemuGuest(folder, machine, process, qmp, console);
    }

    public async ValueTask DisposeAsync()
    {
        if (Process.IsRunning)
        {
            try
            {
                await Qmp.QuitAsync();
                using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await Process.WaitForExitAsync(quit.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or QmpException or ObjectDisposedException)
            {
                Process.Kill();
            }
        }

        await Qmp.DisposeAsync();
        await Console.DisposeAsync();
        Directory.Delete(Folder.Path, recursive: true);
    }
}

/// <summary>
/// A guest's serial console on its Unix socket: everything it printed is kept; the tests wait for
/// text to appear (never for a time) and type lines.
/// </summary>
public sealed class SerialConsole : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly StringBuilder _text = new();
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reader;
    private int _disposed;

    private SerialConsole(Socket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadAsync);
    }

    public static async Task<SerialConsole> ConnectAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return new SerialConsole(socket);
    }

    /// <summary>Everything the console printed so far.</summary>
    public string Text
    {
        get
        {
            lock (_lock)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>Where the text ends now: a position to wait from.</summary>
    public int Position => Text.Length;

    /// <summary>Waits until <paramref name="text"/> appears at or after <paramref name="from"/>; returns the position just after it.</summary>
    public async Task<int> WaitForAsync(string text, int from = 0, int seconds = 300)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                var at = _text.ToString().IndexOf(text, Math.Min(from, _text.Length), StringComparison.Ordinal);
                if (at >= 0)
                {
                    return at + text.Length;
                }

                changed = _changed.Task;
            }

            if (_reader.IsCompleted)
            {
                Assert.Fail($"The console closed before '{text}' appeared; it showed:\n{Tail()}");
            }

            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"'{text}' did not appear on the console within {seconds} s; it showed:\n{Tail()}");
            }
        }
    }

    /// <summary>Waits for a whole line equal to <paramref name="line"/> at or after <paramref name="from"/>.</summary>
    public async Task<int> WaitForLineAsync(string line, int from = 0, int seconds = 300)
    {
        var at = from;
        while (true)
        {
            at = await WaitForAsync("\n" + line + "\r", at, seconds);
            return at;
        }
    }

    public async Task TypeAsync(string line) => await _socket.SendAsync(Encoding.UTF8.GetBytes(line + "\n"));

    private string Tail()
    {
        var text = Text;
        return text.Length <= 4000 ? text : text[^4000..];
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[4096];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[4096 + 8];
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    break;
                }

                var count = decoder.GetChars(buffer, 0, n, chars, 0);
                lock (_lock)
                {
                    _text.Append(chars, 0, count);
                    _changed.TrySetResult();
                    _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // closed
        }
        finally
        {
            lock (_lock)
            {
                _changed.TrySetResult();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _socket.Dispose();
        await _reader;
        _stop.Dispose();
    }
}
