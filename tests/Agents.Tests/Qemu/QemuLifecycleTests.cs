using System.Text;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Qemu;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Qemu;

/// <summary>
/// The QEMU engine through its one registration, as the agent uses it: an x86-small VM is created,
/// started (TCG here), typed into on its serial console, outlives the engine that started it (an agent
/// restart), is found again with its console's scrollback, stops gracefully and is deleted.
/// </summary>
[Collection(QemuGuestsCollection.Name)]
public sealed class QemuLifecycleTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rm-ql-").FullName;

    private QemuDriverOptions Options => new() { VmsPath = Path.Combine(_root, "vms"), ImagesPath = Path.GetDirectoryName(QemuImages.Folder("x86-small")) };

    private static GuestDefinition Definition(string name, string image = "x86-small") =>
        new(Guid.NewGuid(), name, MachineKind.Vm, image, [], new MachineSpec(1, 256, [new DiskSpec("root", 1)], []), new Dictionary<string, string> { ["tier"] = "test" }, Engine: VmEngine.Qemu);

    [Fact]
    public async Task Vm_StartTypeRestartAgentStopDelete_RunsOnAndShutsDownCleanly()
    {
        var definition = Definition("ql-one");
        GuestInfo created;
        DateTimeOffset? startedAt;
        await using (var engine = TestEngine.Qemu(Options))
        {
            created = await engine.Lifecycle.CreateAsync(definition, new Progress<int>(), CancellationToken.None);
            Assert.Equal(MachineState.Stopped, created.State);
            Assert.Equal(VmEngine.Qemu, created.Engine);
            Assert.Matches("^52:54:00(:[0-9a-f]{2}){3}$", Assert.Single(created.Spec.Networks).Mac);

            await using var console = await engine.Lifecycle.AttachConsoleAsync(definition.Id, CancellationToken.None);
            var text = new ConsoleText(console);
            var before = DateTimeOffset.UtcNow;
            var started = await engine.Lifecycle.StartAsync(definition.Id, CancellationToken.None);
            Assert.Equal(MachineState.Running, started.State);
            Assert.Contains("TCG", started.Detail, StringComparison.Ordinal);
            // QEMU's start time comes from the process table, which counts from a boot time kept in whole seconds.
            Assert.InRange(started.StartedAt!.Value, before.AddSeconds(-2), DateTimeOffset.UtcNow.AddSeconds(2));
            startedAt = started.StartedAt;
            await text.WaitForAsync(X86SmallGuestFixture.Prompt);
            await console.WriteAsync(Encoding.ASCII.GetBytes("uname -m\n"), CancellationToken.None);
            await text.WaitForAsync("x86_64\r\n");
        }

        // The engine (the agent) is gone; QEMU is not.
        await using (var again = TestEngine.Qemu(Options))
        {
            var listed = Assert.Single(await again.Lifecycle.ListAsync(CancellationToken.None));
            Assert.Equal((definition.Id, MachineState.Running, VmEngine.Qemu), (listed.Id, listed.State, listed.Engine));
            // a restarted agent still knows since when the VM runs
            Assert.InRange(listed.StartedAt!.Value, startedAt!.Value.AddSeconds(-1), startedAt.Value.AddSeconds(1));
            await using (var console = await again.Lifecycle.AttachConsoleAsync(definition.Id, CancellationToken.None))
            {
                var text = new ConsoleText(console);
                await text.WaitForAsync("x86_64");
                await console.WriteAsync(Encoding.ASCII.GetBytes("echo again-$((6*7))\n"), CancellationToken.None);
                await text.WaitForAsync("again-42");
            }

            var metrics = await again.Lifecycle.GetMetricsAsync(definition.Id, CancellationToken.None);
            Assert.NotNull(metrics);
            Assert.True(metrics.MemoryUsedBytes > 0);

            var stopped = await again.Lifecycle.StopAsync(definition.Id, TimeSpan.FromMinutes(2), force: false, CancellationToken.None);
            Assert.Equal(MachineState.Stopped, stopped.State);
            Assert.Equal("The guest shut down when asked.", stopped.Detail);

            await again.Lifecycle.DeleteAsync(definition.Id, CancellationToken.None);
            Assert.Empty(await again.Lifecycle.ListAsync(CancellationToken.None));
            Assert.False(Directory.Exists(Path.Combine(Options.VmsPath!, definition.Id.ToString("N"))));
        }
    }

    [Fact]
    public async Task Stop_GuestIgnoresThePowerButtonAndHasNoAgent_StoppedAfterTheTimeoutSayingWhy()
    {
        var definition = Definition("ql-deaf");
        await using var engine = TestEngine.Qemu(Options);
        await engine.Lifecycle.CreateAsync(definition, new Progress<int>(), CancellationToken.None);
        Assert.Equal(TimeSpan.FromSeconds(60), engine.Lifecycle.DefaultStopTimeout);
        await using (var console = await engine.Lifecycle.AttachConsoleAsync(definition.Id, CancellationToken.None))
        {
            var text = new ConsoleText(console);
            await engine.Lifecycle.StartAsync(definition.Id, CancellationToken.None);
            await text.WaitForAsync(X86SmallGuestFixture.Prompt);

            // Without acpid the power button does nothing, and x86-small has no guest agent.
            await console.WriteAsync(Encoding.ASCII.GetBytes("killall acpid; echo deaf-$((6*7))\n"), CancellationToken.None);
            await text.WaitForAsync("deaf-42");
        }

        var stopped = await engine.Lifecycle.StopAsync(definition.Id, TimeSpan.FromSeconds(3), force: false, CancellationToken.None);
        Assert.Equal(MachineState.Stopped, stopped.State);
        Assert.Equal("The guest did not power off within 3 s of the power button and its guest agent; it was stopped.", stopped.Detail);
        var listed = Assert.Single(await engine.Lifecycle.ListAsync(CancellationToken.None));
        Assert.Equal(stopped.Detail, listed.Detail);
        await engine.Lifecycle.DeleteAsync(definition.Id, CancellationToken.None);
    }

    [Fact]
    public async Task Create_UnknownImageOrTooMuch_ClearErrorAndNothingLeft()
    {
        await using var engine = TestEngine.Qemu(Options);
        var missing = await Assert.ThrowsAsync<GuestException>(() => engine.Lifecycle.CreateAsync(Definition("ql-missing", "no-such-image"), new Progress<int>(), CancellationToken.None));
        Assert.Contains("no x86_64 image 'no-such-image'", missing.Message, StringComparison.Ordinal);

        var huge = Definition("ql-huge") with { Spec = new MachineSpec(1, 256, [new DiskSpec("root", 1 << 20)], []) };
        var tooBig = await Assert.ThrowsAsync<GuestException>(() => engine.Lifecycle.CreateAsync(huge, new Progress<int>(), CancellationToken.None));
        Assert.Contains("does not fit", tooBig.Message, StringComparison.Ordinal);

        var vcpus = Definition("ql-cpus") with { Spec = new MachineSpec(0, 256, [new DiskSpec("root", 1)], []) };
        Assert.Contains("vCPUs", (await Assert.ThrowsAsync<GuestException>(() => engine.Lifecycle.CreateAsync(vcpus, new Progress<int>(), CancellationToken.None))).Message, StringComparison.Ordinal);

        Assert.Empty(await engine.Lifecycle.ListAsync(CancellationToken.None));
        Assert.Empty(Directory.Exists(Options.VmsPath) ? Directory.GetFileSystemEntries(Options.VmsPath!) : []);
    }

    [Fact]
    public async Task IsoVm_EjectedWhileRunning_KeptAcrossAnAgentRestartRepeatableAndTheNextStartBootsTheDisk()
    {
        var content = Directory.CreateTempSubdirectory("rm-ql-iso-").FullName;
        var isoFile = Path.Combine(_root, "tiny.iso");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(content, "README"), "not bootable\n");
            await QemuImages.RunAsync("genisoimage", "-quiet", "-o", isoFile, "-V", "TINY", content);
        }
        finally
        {
            Directory.Delete(content, recursive: true);
        }

        var bytes = await File.ReadAllBytesAsync(isoFile);
        var source = new ImageSource("tiny", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), bytes.Length, "/api/v1/images/tiny/content");
        var definition = Definition("ql-iso") with { Iso = source, Spec = new MachineSpec(1, 256, [new DiskSpec("root", 1)], []) };
        var folder = Path.Combine(Options.VmsPath!, definition.Id.ToString("N"));
        var firmwareLog = Path.Combine(folder, "firmware.log");
        await using (var engine = TestEngine.Qemu(Options))
        {
            var importer = engine.Get<GuestDrivers>().For<IGuestImageImporter>(GuestEngineKey.Qemu);
            var notIso = Path.Combine(_root, "not.iso");
            await File.WriteAllBytesAsync(notIso, new byte[40_000]);
            Assert.Contains("is not an ISO image", (await Assert.ThrowsAsync<GuestException>(() => importer.ImportAsync(source, notIso, CancellationToken.None))).Message, StringComparison.Ordinal);
            Assert.Null(await importer.FindImportedAsync(source, CancellationToken.None));
            await importer.ImportAsync(source, isoFile, CancellationToken.None);
            Assert.NotNull(await importer.FindImportedAsync(source, CancellationToken.None));

            await engine.Lifecycle.CreateAsync(definition, new Progress<int>(), CancellationToken.None);
            var machine = await new QemuVmFolder(folder).LoadAsync();
            Assert.Null(machine.Kernel);
            Assert.Equal(0, machine.Cdrom!.BootIndex);
            Assert.True(machine.FirmwareLog);

            Assert.Equal(MachineState.Running, (await engine.Lifecycle.StartAsync(definition.Id, CancellationToken.None)).State);
            await WaitForFileAsync(firmwareLog, "Booting from DVD/CD");
            var media = engine.Get<GuestDrivers>().For<IGuestRemovableMedia>(GuestEngineKey.Qemu);
            Assert.Equal(MachineState.Running, (await media.EjectAsync(definition.Id, CancellationToken.None)).State);
        }

        // A new engine (the agent restarted) reads the VM without its CD, takes a repeated eject as done, and its next start boots the disk.
        await using (var again = TestEngine.Qemu(Options))
        {
            Assert.Equal(MachineState.Running, Assert.Single(await again.Lifecycle.ListAsync(CancellationToken.None)).State);
            Assert.Null((await new QemuVmFolder(folder).LoadAsync()).Cdrom);
            var media = again.Get<GuestDrivers>().For<IGuestRemovableMedia>(GuestEngineKey.Qemu);
            Assert.Equal(MachineState.Running, (await media.EjectAsync(definition.Id, CancellationToken.None)).State);
            Assert.Null((await new QemuVmFolder(folder).LoadAsync()).Cdrom);

            await again.Lifecycle.StopAsync(definition.Id, TimeSpan.Zero, force: true, CancellationToken.None);
            await again.Lifecycle.StartAsync(definition.Id, CancellationToken.None);
            var log = await WaitForFileAsync(firmwareLog, "No bootable device");
            Assert.DoesNotContain("DVD/CD", log, StringComparison.Ordinal);
            await again.Lifecycle.DeleteAsync(definition.Id, CancellationToken.None);
        }
    }

    /// <summary>Waits (up to 3 minutes, TCG on a shared machine) until a file holds <paramref name="text"/>; its content.</summary>
    private static async Task<string> WaitForFileAsync(string path, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        using var ticks = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        var content = "";
        while (true)
        {
            content = File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
            if (content.Contains(text, StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await ticks.WaitForNextTickAsync();
        }

        Assert.True(content.Contains(text, StringComparison.Ordinal), $"{path} never said '{text}'; it holds: {content}");
        return content;
    }

    [Fact]
    public async Task Drivers_QemuAndEmulatorVms_EachReachTheirEngine()
    {
        await using var engine = TestEngine.Qemu(Options);
        var drivers = engine.Get<GuestDrivers>();
        Assert.IsType<QemuLifecycle>(drivers.For<IGuestDriver>(GuestEngineKey.Of(MachineKind.Vm, VmEngine.Qemu)));
        Assert.Null(drivers.Find<IGuestDriver>(MachineKind.Vm));
        Assert.IsType<QemuSnapshots>(drivers.For<IGuestSnapshots>(GuestEngineKey.Qemu));
        var missing = Assert.Throws<GuestCapabilityMissingException>(() => drivers.For<IGuestBackups>(GuestEngineKey.Qemu));
        Assert.Equal("Backups of QEMU virtual machines are not supported on this host.", missing.Message);
    }

    [Fact]
    public async Task HostProbe_SaysHowQemuRunsGuestsAndWhy()
    {
        await using var engine = TestEngine.Qemu(Options);
        var probe = new HostProbe([], qemu: engine.Get<QemuGuests>());
        var report = await probe.ProbeAsync(_root, CancellationToken.None);
        var qemu = Assert.IsType<QemuEngineInfo>(report.Qemu);
        if (!report.HardwareVirtualization)
        {
            // as on these machines: no vmx/svm, so KVM is not even tried
            Assert.Equal("tcg", qemu.Accelerator);
            Assert.StartsWith("TCG (binary translation): this CPU has no vmx/svm", qemu.Reason, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains(qemu.Accelerator == "kvm" ? "KVM (hardware virtualization)" : "TCG (binary translation)", qemu.Reason, StringComparison.Ordinal);
        }
    }

    /// <summary>A test that failed half-way leaves no QEMU behind.</summary>
    public void Dispose()
    {
        var vms = Path.Combine(_root, "vms");
        foreach (var folder in Directory.Exists(vms) ? Directory.GetDirectories(vms) : [])
        {
            QemuProcess.Attach(new QemuVmFolder(folder))?.Kill();
        }

        Directory.Delete(_root, recursive: true);
    }

    /// <summary>What an attached console printed; waits for text to appear.</summary>
    private sealed class ConsoleText
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _lock = new();
        private readonly IGuestConsole _console;

        public ConsoleText(IGuestConsole console)
        {
            _console = console;
            _ = Task.Run(ReadAsync);
        }

        private async Task ReadAsync()
        {
            await foreach (var chunk in _console.Output.ReadAllAsync())
            {
                lock (_lock)
                {
                    _text.Append(Encoding.UTF8.GetString(chunk));
                }
            }
        }

        public async Task WaitForAsync(string text, int seconds = 300)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            while (true)
            {
                lock (_lock)
                {
                    if (_text.ToString().Contains(text, StringComparison.Ordinal))
                    {
                        return;
                    }
                }

                try
                {
                    await timer.WaitForNextTickAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    lock (_lock)
                    {
                        Assert.Fail($"'{text}' did not appear on the console within {seconds} s; it showed:\n{_text}");
                    }
                }
            }
        }
    }
}
