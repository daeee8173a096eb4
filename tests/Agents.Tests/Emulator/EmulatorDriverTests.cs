using System.Text;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Emulator;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Emulator;

/// <summary>The VM driver on the real emulator with the built-in image.</summary>
public sealed class EmulatorDriverTests : IAsyncDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("ringmaster-vms-").FullName;
    private readonly EmulatorDriverOptions _options;
    private readonly TestEngine _driver;

    public EmulatorDriverTests()
    {
        _options = new EmulatorDriverOptions { VmsPath = Path.Combine(_data, "vms") };
        _driver = NewDriver();
    }

    private TestEngine NewDriver() => TestEngine.Emulator(_options);

    public async ValueTask DisposeAsync()
    {
        await _driver.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private static GuestDefinition Define(string name, string image = "default", int memoryMiB = 128, int vcpus = 1) =>
        new(Guid.NewGuid(), name, MachineKind.Vm, image, [], new MachineSpec(vcpus, memoryMiB, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]), new Dictionary<string, string> { ["tier"] = "test" });

    [Fact]
    public async Task Create_DefaultImage_StoppedVmWithSparseDisk()
    {
        var definition = Define("vm-create");

        var guest = await _driver.Lifecycle.CreateAsync(definition, new Progress<int>(), CancellationToken.None);

        Assert.Equal(MachineState.Stopped, guest.State);
        Assert.Equal("default", guest.Image);
        Assert.Equal("test", guest.Labels["tier"]);
        var disk = new FileInfo(Path.Combine(_options.VmsPath!, definition.Id.ToString("N"), "disk.img"));
        Assert.Equal(1L << 30, disk.Length);
    }

    [Fact]
    public async Task Create_UnknownImage_ClearErrorAndNothingLeft()
    {
        var error = await Assert.ThrowsAsync<GuestException>(() => _driver.Lifecycle.CreateAsync(Define("vm-bad", image: "windows"), new Progress<int>(), CancellationToken.None));

        Assert.Contains("Image 'windows' is not on this host", error.Message);
        Assert.Empty(await _driver.Lifecycle.ListAsync(CancellationToken.None));
        Assert.Empty(Directory.EnumerateDirectories(_options.VmsPath!));
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("a/b")]
    public async Task Create_PathInImageName_Refused(string image)
    {
        var error = await Assert.ThrowsAsync<GuestException>(() => _driver.Lifecycle.CreateAsync(Define("vm-path", image: image), new Progress<int>(), CancellationToken.None));

        Assert.Contains("not a valid image name", error.Message);
    }

    [Fact]
    public async Task Create_TooLittleMemory_ClearError()
    {
        var error = await Assert.ThrowsAsync<GuestException>(() => _driver.Lifecycle.CreateAsync(Define("vm-small", memoryMiB: 16), new Progress<int>(), CancellationToken.None));

        Assert.Contains("between 64 and 16384 MiB", error.Message);
    }

    [Fact]
    public async Task List_AfterAgentRestart_VmStillThereStopped()
    {
        var definition = Define("vm-persist");
        await _driver.Lifecycle.CreateAsync(definition, new Progress<int>(), CancellationToken.None);

        await using var restarted = NewDriver();
        var guests = await restarted.Lifecycle.ListAsync(CancellationToken.None);

        var guest = Assert.Single(guests);
        Assert.Equal(definition.Id, guest.Id);
        Assert.Equal("vm-persist", guest.Name);
        Assert.Equal(MachineState.Stopped, guest.State);
    }

    [Fact]
    public async Task Delete_RunningVm_GoneWithItsFiles()
    {
        var definition = Define("vm-delete");
        await _driver.Lifecycle.CreateAsync(definition, new Progress<int>(), CancellationToken.None);
        await _driver.Lifecycle.StartAsync(definition.Id, CancellationToken.None);

        await _driver.Lifecycle.DeleteAsync(definition.Id, CancellationToken.None);

        Assert.Empty(await _driver.Lifecycle.ListAsync(CancellationToken.None));
        Assert.False(Directory.Exists(Path.Combine(_options.VmsPath!, definition.Id.ToString("N"))));
        await _driver.Lifecycle.DeleteAsync(definition.Id, CancellationToken.None);
    }

    [Fact]
    public async Task Start_Unknown_NotFound()
    {
        await Assert.ThrowsAsync<GuestNotFoundException>(() => _driver.Lifecycle.StartAsync(Guid.NewGuid(), CancellationToken.None));
    }

    [Fact]
    public async Task PauseResumeStop_RunningVm_StatesFollow()
    {
        var definition = Define("vm-states");
        await _driver.Lifecycle.CreateAsync(definition, new Progress<int>(), CancellationToken.None);

        var before = DateTimeOffset.UtcNow;
        var started = await _driver.Lifecycle.StartAsync(definition.Id, CancellationToken.None);
        Assert.Equal(MachineState.Running, started.State);
        Assert.InRange(started.StartedAt!.Value, before, DateTimeOffset.UtcNow);
        var paused = await _driver.Lifecycle.PauseAsync(definition.Id, CancellationToken.None);
        Assert.Equal((MachineState.Paused, started.StartedAt), (paused.State, paused.StartedAt));
        var resumed = await _driver.Lifecycle.ResumeAsync(definition.Id, CancellationToken.None);
        Assert.Equal((MachineState.Running, started.StartedAt), (resumed.State, resumed.StartedAt));
        var stopped = await _driver.Lifecycle.StopAsync(definition.Id, TimeSpan.FromSeconds(1), false, CancellationToken.None);
        Assert.Equal((MachineState.Stopped, (DateTimeOffset?)null), (stopped.State, stopped.StartedAt));
        Assert.Null(await _driver.Lifecycle.GetMetricsAsync(definition.Id, CancellationToken.None));
        await Assert.ThrowsAsync<GuestException>(() => _driver.Lifecycle.PauseAsync(definition.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Console_AttachedAfterStart_ShowsWholeBootThenAnswersUname()
    {
        var definition = Define("vm-console", memoryMiB: 256);
        await _driver.Lifecycle.CreateAsync(definition, new Progress<int>(), CancellationToken.None);
        await _driver.Lifecycle.StartAsync(definition.Id, CancellationToken.None);
        await Task.Delay(300);
        await using var console = await _driver.Lifecycle.AttachConsoleAsync(definition.Id, CancellationToken.None);
        var seen = new StringBuilder();

        await ReadUntilAsync(console, seen, s => s.Contains("# "), TimeSpan.FromMinutes(3));
        await console.WriteAsync("uname -m\n"u8.ToArray(), CancellationToken.None);
        await ReadUntilAsync(console, seen, s => s.Split('\n').Any(l => l.TrimEnd('\r') == "riscv64"), TimeSpan.FromSeconds(60));

        Assert.Contains(seen.ToString().Split('\n'), l => l.TrimEnd('\r') == "riscv64");
        Assert.Contains("OpenSBI v1.9", seen.ToString());
        var metrics = await _driver.Lifecycle.GetMetricsAsync(definition.Id, CancellationToken.None);
        Assert.NotNull(metrics);
        Assert.True(metrics.Mips > 0, "a running VM reports its MIPS");
    }

    private static async Task ReadUntilAsync(IGuestConsole console, StringBuilder seen, Func<string, bool> done, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (!done(seen.ToString()))
            {
                var chunk = await console.Output.ReadAsync(cts.Token);
                seen.Append(Encoding.UTF8.GetString(chunk));
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"Timed out; the console showed:\n{seen}");
        }
    }
}
