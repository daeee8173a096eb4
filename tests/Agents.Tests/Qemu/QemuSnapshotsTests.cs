using System.Text;
using System.Text.Json;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Qemu;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Qemu;

/// <summary>One x86-small VM made and started through the QEMU engine's registration, booted once for <see cref="QemuSnapshotsTests"/>.</summary>
public sealed class QemuSnapshotVmFixture : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("rm-qs-").FullName;

    public QemuDriverOptions Options => new() { VmsPath = Path.Combine(_root, "vms"), ImagesPath = Path.GetDirectoryName(QemuImages.Folder("x86-small")) };

    public TestEngine Engine { get; private set; } = null!;

    public GuestDefinition Definition { get; } = new(Guid.NewGuid(), "qs-source", MachineKind.Vm, "x86-small", [], new MachineSpec(1, 256, [new DiskSpec("root", 1)], []),
        new Dictionary<string, string>(), Engine: VmEngine.Qemu);

    public GuestText Console { get; private set; } = null!;

    private IGuestConsole _console = null!;

    public async Task InitializeAsync()
    {
        Engine = TestEngine.Qemu(Options);
        await Engine.Lifecycle.CreateAsync(Definition, new Progress<int>(), CancellationToken.None);
        _console = await Engine.Lifecycle.AttachConsoleAsync(Definition.Id, CancellationToken.None);
        Console = new GuestText(_console);
        await EnsureRunningAsync();
    }

    /// <summary>Starts the VM when a test left it stopped, and waits for a fresh shell prompt.</summary>
    public async Task EnsureRunningAsync()
    {
        var from = Console.Position;
        if ((await Engine.Lifecycle.StartAsync(Definition.Id, CancellationToken.None)).State != MachineState.Running)
        {
            Assert.Fail("the VM did not start");
        }

        await Console.TypeAsync("\n");
        await Console.WaitForAsync(X86SmallGuestFixture.Prompt, from);
    }

    /// <summary>Types a command and waits for <paramref name="expected"/> after it; what the console showed since.</summary>
    public async Task<string> RunAsync(string command, string expected)
    {
        var from = Console.Position;
        await Console.TypeAsync(command + "\n");
        return await Console.WaitForAsync(expected, from);
    }

    public async Task DisposeAsync()
    {
        await _console.DisposeAsync();
        await Engine.DisposeAsync();
        foreach (var folder in Directory.Exists(Options.VmsPath) ? Directory.GetDirectories(Options.VmsPath!) : [])
        {
            QemuProcess.Attach(new QemuVmFolder(folder))?.Kill();
        }

        Directory.Delete(_root, recursive: true);
    }
}

/// <summary>
/// Snapshots and clones of a running x86-small VM under real QEMU (TCG), through the engine's
/// <see cref="Drivers.IGuestSnapshots"/>: memory snapshots revert a running guest to the moment they
/// were taken, the tree keeps its branches and children when a snapshot is deleted, and clones get a
/// disk and an identity of their own. Every test leaves the VM running, or starts it first.
/// </summary>
[Collection(QemuGuestsCollection.Name)]
public sealed class QemuSnapshotsTests(QemuSnapshotVmFixture vm) : IClassFixture<QemuSnapshotVmFixture>
{
    private Guid Id => vm.Definition.Id;

    private IGuestSnapshots Snapshots => vm.Engine.Snapshots;

    private static SnapshotRequest Request(string name, bool memory) => new(Guid.NewGuid(), name, null, memory);

    [Fact]
    public async Task MemorySnapshot_FileWrittenThenReverted_FileGoneAndGuestRunsOn()
    {
        await vm.EnsureRunningAsync();
        var snapshot = await Snapshots.TakeSnapshotAsync(Id, Request("before-file", memory: true), CancellationToken.None);
        Assert.True(snapshot.IncludesMemory);
        Assert.True(snapshot.SizeBytes > 0, "a memory snapshot holds the machine's state");
        Assert.True(snapshot.PauseMilliseconds > 0, "QEMU stops the guest while it saves its memory");

        await vm.RunAsync("echo $((40+2))-file > /tmp/marker; cat /tmp/marker", "42-file");

        var reverted = await Snapshots.RevertSnapshotAsync(Id, snapshot.Id, CancellationToken.None);
        Assert.Equal(MachineState.Running, reverted.State);
        var shown = await vm.RunAsync("ls /tmp/marker; echo probe-$((6*7))", "probe-42");
        Assert.Contains("No such file or directory", shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tree_RevertThenSnapshotBranchesAndDeleteKeepsChildren_DiskOnlySaysCrashConsistent()
    {
        await vm.EnsureRunningAsync();
        var a = await Snapshots.TakeSnapshotAsync(Id, Request("tree-a", memory: true), CancellationToken.None);
        var b = await Snapshots.TakeSnapshotAsync(Id, Request("tree-b", memory: false), CancellationToken.None);
        Assert.Equal(a.Id, b.ParentId);
        Assert.False(b.IncludesMemory);
        // x86-small has no qemu-guest-agent: the snapshot is taken anyway, and says what it is
        Assert.Contains("guest agent did not answer", b.Note, StringComparison.Ordinal);
        Assert.Contains("crash-consistent", b.Note, StringComparison.Ordinal);

        Assert.Equal(MachineState.Running, (await Snapshots.RevertSnapshotAsync(Id, a.Id, CancellationToken.None)).State);
        var c = await Snapshots.TakeSnapshotAsync(Id, Request("tree-c", memory: false), CancellationToken.None);
        Assert.Equal(a.Id, c.ParentId);

        await Snapshots.DeleteSnapshotAsync(Id, a.Id, CancellationToken.None);
        var listed = (await Snapshots.ListSnapshotsAsync(Id, CancellationToken.None)).ToDictionary(s => s.Name);
        Assert.DoesNotContain("tree-a", listed.Keys);
        Assert.Equal(a.ParentId, listed["tree-b"].ParentId);
        Assert.Equal(a.ParentId, listed["tree-c"].ParentId);
        Assert.Contains("already has a snapshot named 'tree-b'",
            (await Assert.ThrowsAsync<GuestException>(() => Snapshots.TakeSnapshotAsync(Id, Request("tree-b", memory: false), CancellationToken.None))).Message, StringComparison.Ordinal);

        // the children still revert: a disk-only one leaves the VM stopped, to boot from that disk
        var reverted = await Snapshots.RevertSnapshotAsync(Id, b.Id, CancellationToken.None);
        Assert.Equal(MachineState.Stopped, reverted.State);
        Assert.Contains("Reverted to snapshot tree-b (disk only)", reverted.Detail, StringComparison.Ordinal);
        Assert.Contains("no memory to save", (await Assert.ThrowsAsync<GuestException>(
            () => Snapshots.TakeSnapshotAsync(Id, Request("stopped-memory", memory: true), CancellationToken.None))).Message, StringComparison.Ordinal);
        var stoppedChild = await Snapshots.TakeSnapshotAsync(Id, Request("tree-d", memory: false), CancellationToken.None);
        Assert.Equal(b.Id, stoppedChild.ParentId);
        await Snapshots.DeleteSnapshotAsync(Id, c.Id, CancellationToken.None);
        await Snapshots.DeleteSnapshotAsync(Id, stoppedChild.Id, CancellationToken.None);
        Assert.Contains("tree-b", (await Snapshots.ListSnapshotsAsync(Id, CancellationToken.None)).Select(s => s.Name));
        await vm.EnsureRunningAsync();
    }

    [Fact]
    public async Task Clone_LinkedAndFullOfRunningVm_OwnDiskAndMacAndTheLinkedOneBoots()
    {
        await vm.EnsureRunningAsync();
        var sourceMac = (await vm.Engine.Lifecycle.ListAsync(CancellationToken.None)).Single(g => g.Id == Id).Spec.Networks[0].Mac;
        var linked = Clone("qs-linked");
        var made = await Snapshots.CloneAsync(Id, new CloneRequest(linked, Linked: true, IncludeMemory: false), new Progress<int>(), CancellationToken.None);
        Assert.Equal(MachineState.Stopped, made.State);
        var mac = made.Spec.Networks[0].Mac;
        Assert.NotEqual(sourceMac, mac);

        var folder = new QemuVmFolder(Path.Combine(vm.Options.VmsPath!, linked.Id.ToString("N")));
        var machine = await folder.LoadAsync();
        Assert.Equal((linked.Id, "qs-linked", mac), (machine.Uuid, machine.Name, machine.Nics[0].Mac));
        Assert.Equal(Path.Combine(folder.Path, "layer.qcow2"), await BackingAsync(Path.Combine(folder.Path, "disk.qcow2")));

        var full = Clone("qs-full");
        await Snapshots.CloneAsync(Id, new CloneRequest(full, Linked: false, IncludeMemory: false), new Progress<int>(), CancellationToken.None);
        Assert.Null(await BackingAsync(Path.Combine(vm.Options.VmsPath!, full.Id.ToString("N"), "disk.qcow2")));
        // the point in time each copy was made from is gone from the source's disk
        Assert.DoesNotContain("clone-", await QemuImgAsync("snapshot", "-U", "-l", Path.Combine(vm.Options.VmsPath!, Id.ToString("N"), "disk.qcow2")), StringComparison.Ordinal);

        await using (var console = await vm.Engine.Lifecycle.AttachConsoleAsync(linked.Id, CancellationToken.None))
        {
            var text = new GuestText(console);
            Assert.Equal(MachineState.Running, (await vm.Engine.Lifecycle.StartAsync(linked.Id, CancellationToken.None)).State);
            await text.WaitForAsync(X86SmallGuestFixture.Prompt, 0);
            var from = text.Position;
            await text.TypeAsync("echo clone-$((6*7))\n");
            await text.WaitForAsync("clone-42", from);
        }

        var fork = await Assert.ThrowsAsync<GuestException>(() => Snapshots.CloneAsync(Id, new CloneRequest(Clone("qs-fork"), Linked: true, IncludeMemory: true), new Progress<int>(), CancellationToken.None));
        Assert.Contains("cannot be cloned with its memory", fork.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(vm.Options.VmsPath!, "qs-fork")));

        await vm.Engine.Lifecycle.DeleteAsync(linked.Id, CancellationToken.None);
        await vm.Engine.Lifecycle.DeleteAsync(full.Id, CancellationToken.None);
        Assert.Equal([Id], (await vm.Engine.Lifecycle.ListAsync(CancellationToken.None)).Select(g => g.Id));
    }

    private GuestDefinition Clone(string name)
    {
        var id = Guid.NewGuid();
        return vm.Definition with { Id = id, Name = name, Spec = vm.Definition.Spec with { Networks = [new NetworkSpec("net0", QemuLifecycle.MacOf(id, 0))] } };
    }

    private static async Task<string> QemuImgAsync(params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("qemu-img", arguments) { RedirectStandardOutput = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    private static async Task<string?> BackingAsync(string disk)
    {
        using var info = JsonDocument.Parse(await QemuImgAsync("info", "-U", "--output=json", disk));
        return info.RootElement.TryGetProperty("backing-filename", out var backing) ? backing.GetString() : null;
    }
}

/// <summary>What an attached console printed; waits for text to appear after a position.</summary>
public sealed class GuestText
{
    private readonly StringBuilder _text = new();
    private readonly Lock _lock = new();
    private readonly IGuestConsole _console;

    public GuestText(IGuestConsole console)
    {
        _console = console;
        _ = Task.Run(ReadAsync);
    }

    public int Position
    {
        get
        {
            lock (_lock)
            {
                return _text.Length;
            }
        }
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

    public ValueTask TypeAsync(string text) => _console.WriteAsync(Encoding.ASCII.GetBytes(text), CancellationToken.None);

    /// <summary>Waits until <paramref name="text"/> appears after <paramref name="from"/>; what was printed from there.</summary>
    public async Task<string> WaitForAsync(string text, int from, int seconds = 600)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (true)
        {
            lock (_lock)
            {
                var seen = _text.ToString(from, _text.Length - from);
                if (seen.Contains(text, StringComparison.Ordinal))
                {
                    return seen;
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
                    Assert.Fail($"'{text}' did not appear on the console within {seconds} s; it showed:\n{_text.ToString(from, _text.Length - from)}");
                }
            }
        }
    }
}
