using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit.Abstractions;
using Ringmaster.Agents.Drivers.Qemu;
using Ringmaster.Agents.Drivers.Qemu.Qmp;

namespace Ringmaster.Agents.Tests.Qemu;

/// <summary>
/// QEMU as a process of its own: it outlives the process that started it, is found again from its
/// folder, ends through QMP (quit, or the guest powering off) with the client told, and a failed
/// start says why in QEMU's words.
/// </summary>
[Collection(QemuGuestsCollection.Name)]
public sealed class QemuProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Start_LauncherKilledAndClientsGone_QemuRunsOnAndIsFoundFromItsFolderThenQuits()
    {
        var folder = QemuGuest.NewFolder();
        var launcher = 0;
        // A descriptor this process could hand down (dup() makes one without close-on-exec), as a
        // lock file or a pipe inherited from whoever started the agent would be.
        var marker = Path.Combine(folder.Path, "inheritable.marker");
        QemuGuest guestStarted;
        using (var markerFile = File.Create(marker))
        {
            var inheritable = dup((int)markerFile.SafeFileHandle.DangerousGetHandle());
            Assert.True(inheritable > 2);
            try
            {
                guestStarted = await QemuGuest.StartAsync(folder, await QemuGuest.X86SmallAsync(folder, "outlives"), p => launcher = p.Id);
            }
            finally
            {
                _ = close(inheritable);
            }
        }

        await using var guest = guestStarted;
        await guest.Console.WaitForAsync(X86SmallGuestFixture.Prompt);
        // QEMU holds none of this process's files or pipes (its own pipes and eventfds aside)
        var descriptors = Targets(guest.Process.Pid);
        Assert.DoesNotContain(marker, descriptors);
        Assert.Empty(descriptors.Intersect(Targets(Environment.ProcessId).Where(t => t.StartsWith("pipe:", StringComparison.Ordinal) || t.StartsWith('/'))).Except(["/dev/null"]));
        Assert.Equal("/dev/null", descriptors[0]);

        // The test's own child is QEMU's first process, which exited once QEMU detached; kill
        // whatever is left of it, by its id.
        try
        {
            using var child = Process.GetProcessById(launcher);
            child.Kill(entireProcessTree: true);
        }
        catch (ArgumentException)
        {
            // already gone
        }

        Assert.NotEqual(launcher, guest.Process.Pid);
        Assert.NotEqual(SessionOf(Environment.ProcessId), SessionOf(guest.Process.Pid));
        Assert.NotEqual(Environment.ProcessId, ParentOf(guest.Process.Pid));
        Assert.True(guest.Process.IsRunning);

        // An agent that restarts has only the folder: the pidfile, the sockets and the definition.
        // (A QMP socket serves one client at a time: the first one goes, as with an agent that exits.)
        await guest.Qmp.DisposeAsync();
        await guest.Console.DisposeAsync();
        var found = QemuProcess.Attach(folder);
        Assert.NotNull(found);
        Assert.Equal(guest.Process.Pid, found.Pid);
        Assert.Equal("outlives", (await folder.LoadAsync()).Name);
        await using var qmp = await QmpClient.ConnectAsync(folder.QmpSocket);
        Assert.True((await qmp.QueryStatusAsync()).Running);

        using var events = qmp.Subscribe();
        await qmp.QuitAsync();

        var shutdown = await events.WaitForAsync(QmpEvents.Shutdown).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("host-qmp-quit", shutdown.ShutdownData.Reason);
        var reason = await qmp.Closed.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("QEMU closed its QMP socket", reason);
        Assert.False(qmp.IsConnected);
        await found.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.Null(QemuProcess.Attach(folder));
        var late = await Assert.ThrowsAsync<QmpConnectionClosedException>(() => qmp.QueryStatusAsync());
        Assert.Contains("QEMU closed its QMP socket", late.Message);
        // the event stream has ended too
        await Assert.ThrowsAsync<QmpConnectionClosedException>(() => events.WaitForAsync(QmpEvents.Resume));
    }

    [Fact]
    public async Task SystemPowerdown_BusyboxGuestWithAcpid_GuestPowersOffAndQemuExits()
    {
        var folder = QemuGuest.NewFolder();
        var clock = Stopwatch.StartNew();
        await using var guest = await QemuGuest.StartAsync(folder, await QemuGuest.X86SmallAsync(folder, "powerdown"));
        await guest.Console.WaitForAsync(X86SmallGuestFixture.Prompt);
        output.WriteLine($"x86-small: start to shell prompt in {clock.Elapsed.TotalSeconds:0.0} s (TCG)");
        using var events = guest.Qmp.Subscribe();

        await guest.Qmp.SystemPowerdownAsync();

        await events.WaitForAsync(QmpEvents.Powerdown).WaitAsync(TimeSpan.FromSeconds(60));
        var shutdown = await events.WaitForAsync(QmpEvents.Shutdown).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(shutdown.ShutdownData.Guest);
        Assert.Equal("guest-shutdown", shutdown.ShutdownData.Reason);
        await guest.Console.WaitForAsync("acpid: power button pressed, powering off");
        await guest.Qmp.Closed.WaitAsync(TimeSpan.FromSeconds(60));
        await guest.Process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
    }

    [Fact]
    public async Task Start_DiskMissing_StartExceptionInQemusWordsAndKeptInLog()
    {
        var folder = QemuGuest.NewFolder();
        try
        {
            var machine = await QemuGuest.X86SmallAsync(folder, "broken");
            var missing = Path.Combine(folder.Path, "missing.qcow2");
            machine = machine with { Disks = [new QemuDisk("root", missing)] };

            var error = await Assert.ThrowsAsync<QemuStartException>(() => QemuProcess.StartAsync(folder, QemuCommandLine.Build(machine, folder)));

            Assert.StartsWith("QEMU did not start: ", error.Message);
            Assert.Contains($"Could not open '{missing}': No such file or directory", error.Message);
            var log = await File.ReadAllTextAsync(folder.LogFile);
            Assert.Contains("start: qemu-system-x86_64 -name guest=broken", log);
            Assert.Contains($"Could not open '{missing}'", log);
            Assert.Null(QemuProcess.Attach(folder));
        }
        finally
        {
            Directory.Delete(folder.Path, recursive: true);
        }
    }

    [Fact]
    public async Task Connect_NoQemuOnSocket_ClosedExceptionNamingTheSocket()
    {
        var folder = QemuGuest.NewFolder();
        try
        {
            var error = await Assert.ThrowsAsync<QmpConnectionClosedException>(() => QmpClient.ConnectAsync(folder.QmpSocket));

            Assert.Contains(folder.QmpSocket, error.Message);
        }
        finally
        {
            Directory.Delete(folder.Path, recursive: true);
        }
    }

#pragma warning disable SYSLIB1054 // plain int arguments: DllImport needs no unsafe code
    [DllImport("libc", SetLastError = true)]
    private static extern int dup(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
#pragma warning restore SYSLIB1054

    /// <summary>What the open descriptors of process <paramref name="pid"/> refer to, in descriptor order.</summary>
    private static List<string> Targets(int pid) =>
        [.. Directory.GetFileSystemEntries($"/proc/{pid}/fd")
            .OrderBy(fd => int.Parse(Path.GetFileName(fd), System.Globalization.CultureInfo.InvariantCulture))
            .Select(fd => new FileInfo(fd).LinkTarget ?? "")];

    private static string SessionOf(int pid) => StatField(pid, 6);

    private static int ParentOf(int pid) => int.Parse(StatField(pid, 4), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Field <paramref name="n"/> (1-based, as in proc(5)) of /proc/PID/stat.</summary>
    private static string StatField(int pid, int n)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return rest[n - 3];
    }
}
