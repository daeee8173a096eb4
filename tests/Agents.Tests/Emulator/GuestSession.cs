using System.Diagnostics;
using System.Text;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Emulator;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Emulator;

/// <summary>A VM driver on the real emulator in a temporary folder, with helpers to type into a guest and read its answers.</summary>
public sealed class EmulatorHarness : IAsyncDisposable
{
    public EmulatorHarness()
    {
        Data = Directory.CreateTempSubdirectory("ringmaster-snap-").FullName;
        Options = new EmulatorDriverOptions { VmsPath = Path.Combine(Data, "vms") };
        Driver = TestEngine.Emulator(Options);
        Store = new BackupStore(Path.Combine(Data, "backups"));
    }

    public string Data { get; }
    public EmulatorDriverOptions Options { get; }
    public TestEngine Driver { get; }
    public BackupStore Store { get; }

    public static GuestDefinition Define(string name, int memoryMiB = 256) =>
        new(Guid.NewGuid(), name, MachineKind.Vm, "default", [], new MachineSpec(1, memoryMiB, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]), new Dictionary<string, string>());

    /// <summary>Creates a VM whose disk holds an empty ext4 file system (the default image mounts it at /mnt).</summary>
    public async Task<GuestDefinition> CreateWithExt4Async(string name)
    {
        var definition = Define(name);
        await Driver.Lifecycle.CreateAsync(definition, new Progress<int>(), CancellationToken.None);
        var disk = Path.Combine(Options.VmsPath!, definition.Id.ToString("N"), "disk.img");
        using var mkfs = Process.Start(new ProcessStartInfo("mke2fs", $"-q -F -t ext4 {disk} 16M") { RedirectStandardError = true })!;
        await mkfs.WaitForExitAsync();
        Assert.True(mkfs.ExitCode == 0, "mke2fs (e2fsprogs) failed: " + await mkfs.StandardError.ReadToEndAsync());
        return definition;
    }

    public async Task<GuestSession> AttachAsync(Guid id) => new(await Driver.Lifecycle.AttachConsoleAsync(id, CancellationToken.None));

    public async ValueTask DisposeAsync()
    {
        await Driver.DisposeAsync();
        Directory.Delete(Data, recursive: true);
    }
}

/// <summary>The console of a running guest: type a line, wait for a line of output.</summary>
public sealed class GuestSession(IGuestConsole console) : IAsyncDisposable
{
    private readonly StringBuilder _seen = new();

    public string Text => _seen.ToString();

    /// <summary>Waits until the text since <paramref name="from"/> has a line equal to <paramref name="line"/>; returns the position after it.</summary>
    public async Task<int> WaitForLineAsync(string line, int from = 0, int seconds = 180)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            while (true)
            {
                var text = _seen.ToString();
                var at = FindLine(text, line, from);
                if (at >= 0)
                {
                    return at;
                }

                var chunk = await console.Output.ReadAsync(cts.Token);
                _seen.Append(Encoding.UTF8.GetString(chunk));
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"Timed out waiting for '{line}'; the console showed:\n{_seen}");
            return -1;
        }
    }

    /// <summary>Waits for the shell prompt.</summary>
    public async Task<int> WaitForPromptAsync(int from = 0, int seconds = 240)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            while (true)
            {
                var text = _seen.ToString();
                var at = text.IndexOf("# ", from, StringComparison.Ordinal);
                if (at >= 0)
                {
                    return at + 2;
                }

                var chunk = await console.Output.ReadAsync(cts.Token);
                _seen.Append(Encoding.UTF8.GetString(chunk));
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"Timed out waiting for the prompt; the console showed:\n{_seen}");
            return -1;
        }
    }

    public async Task<int> RunAsync(string command, string expectLine, int seconds = 120)
    {
        var from = _seen.Length;
        await console.WriteAsync(Encoding.UTF8.GetBytes(command + "\n"), CancellationToken.None);
        return await WaitForLineAsync(expectLine, from, seconds);
    }

    private static int FindLine(string text, string line, int from)
    {
        var lines = text[Math.Min(from, text.Length)..].Split('\n');
        var pos = from;
        foreach (var l in lines)
        {
            pos += l.Length + 1;
            if (l.TrimEnd('\r') == line)
            {
                return pos;
            }
        }

        return -1;
    }

    public ValueTask DisposeAsync() => console.DisposeAsync();
}
