using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// A running QEMU of one VM folder, known by the process id QEMU wrote to the folder's pidfile. QEMU
/// is never a child that dies with the agent: it is started with <c>-daemonize</c>, so it detaches
/// into a session of its own once its sockets listen, with /dev/null for stdin, stdout and stderr;
/// what it printed while starting goes to the folder's <c>qemu.log</c>. A restarted agent finds it
/// again with <see cref="Attach"/>; it ends through QMP (<c>quit</c>, or the guest powering off) or
/// <see cref="Kill"/>.
/// </summary>
public sealed class QemuProcess
{
    /// <summary>The program, found on PATH (Debian's <c>qemu-system-x86</c> package).</summary>
    public const string DefaultBinary = "qemu-system-x86_64";

    private QemuProcess(QemuVmFolder folder, int pid)
    {
        Folder = folder;
        Pid = pid;
    }

    public QemuVmFolder Folder { get; }

    /// <summary>QEMU's process id (from its pidfile).</summary>
    public int Pid { get; }

    /// <summary>Whether QEMU still runs: the process exists, is not a zombie, and is this folder's QEMU (its command line names the folder's pidfile).</summary>
    public bool IsRunning => IsQemuOf(Pid, Folder);

    /// <summary>
    /// Starts QEMU with <paramref name="arguments"/> (which must daemonize and write the folder's
    /// pidfile, as <see cref="QemuCommandLine.Build"/>'s do) and returns once QEMU runs detached with
    /// its sockets listening. When QEMU refuses to start, throws <see cref="QemuStartException"/>
    /// with what QEMU said; it is kept in the folder's <c>qemu.log</c> too.
    /// </summary>
    /// <param name="started">Gets the process this call started: QEMU's first process, which exits as soon as QEMU has detached.</param>
    public static async Task<QemuProcess> StartAsync(QemuVmFolder folder, IReadOnlyList<string> arguments, string binary = DefaultBinary,
        Action<Process>? started = null, CancellationToken cancellationToken = default)
    {
        if (!arguments.Contains("-daemonize") || !arguments.Contains(folder.PidFile))
        {
            throw new ArgumentException("QEMU's arguments must daemonize it and name the folder's pidfile (-daemonize -pidfile PATH).", nameof(arguments));
        }

        if (Attach(folder) is { } running)
        {
            throw new QemuStartException($"QEMU already runs for {folder.Path} (pid {running.Pid}).", "", folder.LogFile);
        }

        Directory.CreateDirectory(folder.Path);
        File.Delete(folder.PidFile);
        var info = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            // Pipes, never the agent's own stdio: QEMU replaces them with /dev/null when it detaches,
            // which ends the reads below.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder.Path,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        InheritedDescriptors.MarkCloseOnExec();
        var header = $"== {DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss zzz} start: {binary} {string.Join(' ', arguments.Select(Quote))}\n";
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{binary} did not start.");
        }
        catch (Win32Exception e)
        {
            var why = $"{binary} could not be started ({e.Message}); is Debian's qemu-system-x86 package installed?";
            await File.AppendAllTextAsync(folder.LogFile, header + why + "\n", CancellationToken.None).ConfigureAwait(false);
            throw new QemuStartException(why, "", folder.LogFile);
        }

        using (process)
        {
            started?.Invoke(process);
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
            await File.AppendAllTextAsync(folder.LogFile, header + output + (output.EndsWith('\n') || output.Length == 0 ? "" : "\n"), CancellationToken.None).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new QemuStartException(Explain(output, process.ExitCode), output, folder.LogFile);
            }
        }

        return Attach(folder)
            ?? throw new QemuStartException($"QEMU reported a start but {folder.PidFile} names no running QEMU.", "", folder.LogFile);
    }

    /// <summary>The QEMU that runs for <paramref name="folder"/>, from its pidfile; null when none does.</summary>
    public static QemuProcess? Attach(QemuVmFolder folder)
    {
        string text;
        try
        {
            text = File.ReadAllText(folder.PidFile).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && IsQemuOf(pid, folder)
            ? new QemuProcess(folder, pid)
            : null;
    }

    /// <summary>Kills QEMU at once (SIGKILL), by its process id: the guest gets no chance to shut down.</summary>
    public void Kill()
    {
        if (!IsRunning)
        {
            return;
        }

        try
        {
            using var process = Process.GetProcessById(Pid);
            process.Kill();
        }
        catch (ArgumentException)
        {
            // gone meanwhile
        }
    }

    /// <summary>
    /// Waits until QEMU has exited. QEMU is not this process's child, so nothing signals its end but
    /// the QMP socket closing; this looks at the process table every <c>50 ms</c> until it is gone.
    /// </summary>
    public async Task WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (IsRunning)
        {
            await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>When QEMU started (from the process table, so it holds across agent restarts); null when it is gone.</summary>
    public DateTimeOffset? StartedAt
    {
        get
        {
            if (_startedAt is null)
            {
                try
                {
                    using var process = Process.GetProcessById(Pid);
                    _startedAt = new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    return null;
                }
            }

            return _startedAt;
        }
    }

    private DateTimeOffset? _startedAt;

    /// <summary>QEMU's user and system CPU time and the memory it holds (resident), from /proc; zero when it is gone.</summary>
    public (TimeSpan Busy, long Resident) Figures()
    {
        try
        {
            var fields = StatFields(File.ReadAllText($"/proc/{Pid}/stat"));
            // after the name: state [0], utime [11], stime [12] (clock ticks), rss [21] (pages)
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var resident = long.Parse(fields[21], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
            return (TimeSpan.FromSeconds(ticks / 100.0), resident);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
        {
            return (TimeSpan.Zero, 0);
        }
    }

    /// <summary>The fields of a /proc/PID/stat line after the process name (which may hold spaces and parentheses).</summary>
    private static string[] StatFields(string stat) => stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

    /// <summary>Whether <paramref name="pid"/> is a live (not zombie) process whose command line names the folder's pidfile.</summary>
    private static bool IsQemuOf(int pid, QemuVmFolder folder)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) S …": the state follows the last ')'
            var state = StatFields(stat)[0].FirstOrDefault();
            if (state is 'Z' or 'X')
            {
                return false;
            }

            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return arguments.Contains(folder.PidFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>QEMU's own words when it did not start, without its program-name prefixes.</summary>
    private static string Explain(string output, int exitCode)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.StartsWith(DefaultBinary + ": ", StringComparison.Ordinal) ? l[(DefaultBinary.Length + 2)..] : l)
            .ToList();
        return lines.Count == 0
            ? $"QEMU did not start (exit code {exitCode}) and said nothing."
            : $"QEMU did not start: {string.Join(" ", lines.TakeLast(5))}";
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_=,.:/@+".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>QEMU did not start; the message says why in QEMU's words, <see cref="Output"/> is all it printed.</summary>
public sealed class QemuStartException(string message, string output, string logFile) : Exception(message)
{
    /// <summary>What QEMU printed while failing to start.</summary>
    public string Output { get; } = output;

    /// <summary>The VM folder's <c>qemu.log</c>, which keeps every start's command line and output.</summary>
    public string LogFile { get; } = logFile;
}
