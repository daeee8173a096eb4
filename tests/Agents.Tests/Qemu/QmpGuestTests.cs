using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ringmaster.Agents.Drivers.Qemu;
using Ringmaster.Agents.Drivers.Qemu.Qmp;

namespace Ringmaster.Agents.Tests.Qemu;

/// <summary>The x86-small guest under real QEMU (TCG), booted once for the tests of <see cref="QmpGuestTests"/>.</summary>
public sealed class X86SmallGuestFixture : IAsyncLifetime
{
    public const string Prompt = "~ # ";

    public QemuGuest Guest { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var folder = QemuGuest.NewFolder();
        Guest = await QemuGuest.StartAsync(folder, await QemuGuest.X86SmallAsync(folder, "x86-small-qmp"));
        await Guest.Console.WaitForAsync(Prompt);
    }

    public async Task DisposeAsync() => await Guest.DisposeAsync();
}

/// <summary>
/// QMP and the serial console of a running x86_64 guest: status, pause and resume with their events,
/// a reset that boots the guest again, QEMU's errors in QEMU's words, and the queries. Every test
/// leaves the guest running at its shell prompt.
/// </summary>
[Collection(QemuGuestsCollection.Name)]
public sealed class QmpGuestTests(X86SmallGuestFixture fixture) : IClassFixture<X86SmallGuestFixture>
{
    private QemuGuest Guest => fixture.Guest;

    [Fact]
    public async Task Console_UnameM_AnswersX86_64()
    {
        var from = Guest.Console.Position;

        await Guest.Console.TypeAsync("uname -m");

        var after = await Guest.Console.WaitForLineAsync("x86_64", from);
        await Guest.Console.WaitForAsync(X86SmallGuestFixture.Prompt, after);
    }

    [Fact]
    public async Task VncSocket_Connect_GreetsWithRfbVersion()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Guest.Folder.VncSocket));
        var greeting = new byte[12];

        var read = 0;
        while (read < greeting.Length)
        {
            var n = await socket.ReceiveAsync(greeting.AsMemory(read)).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(n > 0, "QEMU's VNC server closed the connection before its greeting");
            read += n;
        }

        Assert.Equal("RFB 003.008\n", Encoding.ASCII.GetString(greeting));
    }

    [Fact]
    public async Task QueryStatus_BootedGuest_Running()
    {
        var status = await Guest.Qmp.QueryStatusAsync();

        Assert.True(status.Running);
        Assert.Equal(QmpRunStates.Running, status.Status);
    }

    [Fact]
    public async Task Stop_ThenCont_StopAndResumeEventsAndStatus()
    {
        using var events = Guest.Qmp.Subscribe();
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);

        await Guest.Qmp.StopAsync();
        var stop = await events.WaitForAsync(QmpEvents.Stop).WaitAsync(TimeSpan.FromSeconds(60));
        var paused = await Guest.Qmp.QueryStatusAsync();
        await Guest.Qmp.ContAsync();
        var resume = await events.WaitForAsync(QmpEvents.Resume).WaitAsync(TimeSpan.FromSeconds(60));
        var running = await Guest.Qmp.QueryStatusAsync();

        Assert.Equal(QmpRunStates.Paused, paused.Status);
        Assert.False(paused.Running);
        Assert.Equal(QmpRunStates.Running, running.Status);
        Assert.InRange(stop.Timestamp, before, DateTimeOffset.UtcNow);
        Assert.True(resume.Timestamp >= stop.Timestamp);
        // the guest answers again after the pause
        var from = Guest.Console.Position;
        await Guest.Console.TypeAsync("echo resumed-$((40+2))");
        await Guest.Console.WaitForLineAsync("resumed-42", from);
    }

    [Fact]
    public async Task SystemReset_RunningGuest_ResetEventAndConsoleShowsNewBoot()
    {
        using var events = Guest.Qmp.Subscribe();
        var from = Guest.Console.Position;

        await Guest.Qmp.SystemResetAsync();

        var reset = await events.WaitForAsync(QmpEvents.Reset).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(reset.ResetData.Guest);
        Assert.Equal("host-qmp-system-reset", reset.ResetData.Reason);
        var booted = await Guest.Console.WaitForAsync("Linux version", from);
        var ready = await Guest.Console.WaitForAsync("Ringmaster guest ready", booted);
        await Guest.Console.WaitForAsync(X86SmallGuestFixture.Prompt, ready);
    }

    [Fact]
    public async Task Execute_UnknownCommand_QmpExceptionWithQemusDescription()
    {
        var error = await Assert.ThrowsAsync<QmpException>(() => Guest.Qmp.ExecuteAsync("no-such-command"));

        Assert.Equal("CommandNotFound", error.ErrorClass);
        Assert.Equal("The command no-such-command has not been found", error.Description);
        Assert.Equal("QEMU refused 'no-such-command': The command no-such-command has not been found", error.Message);
    }

    [Fact]
    public async Task Execute_BadArgument_QmpExceptionNamingIt()
    {
        var error = await Assert.ThrowsAsync<QmpException>(() => Guest.Qmp.ExecuteAsync("query-stats", new { Target = "no-such-target" }));

        Assert.Equal("GenericError", error.ErrorClass);
        Assert.Contains("no-such-target", error.Message);
        // the connection survives an error
        Assert.True((await Guest.Qmp.QueryStatusAsync()).Running);
    }

    [Fact]
    public async Task ExecuteGeneric_QmpCapabilitiesTwice_ErrorThenOtherCommandsStillAnswer()
    {
        var error = await Assert.ThrowsAsync<QmpException>(() => Guest.Qmp.ExecuteAsync("qmp_capabilities"));

        Assert.Contains("Capabilities negotiation is already complete", error.Description);
        var name = await Guest.Qmp.ExecuteAsync<JsonElement>("query-name");
        Assert.Equal("x86-small-qmp", name.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Execute_ManyCommandsAtOnce_EachGetsItsOwnAnswer()
    {
        var names = Enumerable.Range(0, 10).Select(_ => Guest.Qmp.ExecuteAsync<JsonElement>("query-name")).ToList();
        var statuses = Enumerable.Range(0, 10).Select(_ => Guest.Qmp.QueryStatusAsync()).ToList();
        var failures = Enumerable.Range(0, 5).Select(i => Assert.ThrowsAsync<QmpException>(() => Guest.Qmp.ExecuteAsync($"no-such-command-{i}"))).ToList();

        await Task.WhenAll([.. names, .. statuses, .. failures]);

        Assert.All(names, n => Assert.Equal("x86-small-qmp", n.Result.GetProperty("name").GetString()));
        Assert.All(statuses, s => Assert.Equal(QmpRunStates.Running, s.Result.Status));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"no-such-command-{i}"), failures.Select(f => f.Result.Command));
    }

    [Fact]
    public async Task ExecuteGeneric_SnapshotSaveJob_JobStatusEventsUntilConcluded()
    {
        using var events = Guest.Qmp.Subscribe();

        await Guest.Qmp.ExecuteAsync("snapshot-save", new { JobId = "snap-test", Tag = "first", Vmstate = "scratch", Devices = new[] { "scratch" } });

        var concluded = await events.WaitForAsync(QmpEvents.JobStatusChange, e => e.JobStatusData is { Id: "snap-test", Status: "concluded" })
            .WaitAsync(TimeSpan.FromSeconds(120));
        var job = (await Guest.Qmp.ExecuteAsync<JsonElement>("query-jobs")).EnumerateArray().Single(j => j.GetProperty("id").GetString() == "snap-test");
        Assert.False(job.TryGetProperty("error", out var error), error.ToString());
        await Guest.Qmp.ExecuteAsync("job-dismiss", new { Id = "snap-test" });
        Assert.Contains("first", await Guest.Qmp.HumanMonitorCommandAsync("info snapshots"));
        Assert.Equal(QmpRunStates.Running, (await Guest.Qmp.QueryStatusAsync()).Status);
        Assert.True(concluded.Timestamp > DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public async Task QueryVersion_Qemu_MatchesGreeting()
    {
        var version = await Guest.Qmp.QueryVersionAsync();

        Assert.Equal(Guest.Qmp.Greeting.Version, version);
        Assert.True(version.Qemu.Major >= 7, version.ToString());
    }

    [Fact]
    public async Task QueryCpusFast_OneVcpu_X86_64WithHostThread()
    {
        var cpus = await Guest.Qmp.QueryCpusFastAsync();

        var cpu = Assert.Single(cpus);
        Assert.Equal(0, cpu.CpuIndex);
        Assert.Equal("x86_64", cpu.Target);
        Assert.True(Directory.Exists($"/proc/{Guest.Process.Pid}/task/{cpu.ThreadId}"), $"vCPU thread {cpu.ThreadId} is not a thread of QEMU {Guest.Process.Pid}");
    }

    [Fact]
    public async Task QueryBlockAndBlockStats_ScratchDisk_Qcow2WithCounters()
    {
        var from = Guest.Console.Position;
        await Guest.Console.TypeAsync("dd if=/dev/vda of=/dev/null bs=64k count=16 2>/dev/null; echo read-$?");
        await Guest.Console.WaitForLineAsync("read-0", from);

        var block = await Guest.Qmp.QueryBlockAsync();
        var stats = await Guest.Qmp.QueryBlockStatsAsync();

        var scratch = Assert.Single(block, b => b.Qdev is not null && b.Qdev.Contains("scratch", StringComparison.Ordinal));
        Assert.Equal("scratch", scratch.Inserted!.NodeName);
        Assert.Equal("qcow2", scratch.Inserted.Drv);
        Assert.Equal(64L << 20, scratch.Inserted.Image!.VirtualSize);
        var counters = Assert.Single(stats, s => s.Qdev is not null && s.Qdev.Contains("scratch", StringComparison.Ordinal)).Stats;
        Assert.True(counters.ReadBytes >= 1 << 20, $"read {counters.ReadBytes} bytes");
    }

    [Fact]
    public async Task QueryStats_Tcg_AnswersWithNoKvmCounters()
    {
        Assert.Contains("query-stats", await Guest.Qmp.QueryCommandsAsync());

        var stats = await Guest.Qmp.QueryStatsAsync("vm");

        Assert.Empty(stats);
    }

    [Fact]
    public async Task HumanMonitorCommand_InfoStatus_Text()
    {
        var text = await Guest.Qmp.HumanMonitorCommandAsync("info status");

        Assert.Equal("VM status: running", text.Trim());
    }
}
