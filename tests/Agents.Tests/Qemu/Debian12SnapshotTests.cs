using System.Text.Json;
using Ringmaster.Agents.Drivers.Qemu;
using Ringmaster.Agents.Drivers.Qemu.Qmp;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Qemu;

/// <summary>
/// The debian-12 image (cloud-init and qemu-guest-agent) through the QEMU engine: a disk-only snapshot of
/// the running guest freezes its filesystems through the agent, and a linked clone boots as a machine of
/// its own — its own host name from a new cloud-init instance, its own MAC.
/// </summary>
[Collection(QemuGuestsCollection.Name)]
public sealed class Debian12SnapshotTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("rm-qd-").FullName;
    private TestEngine _engine = null!;

    private QemuDriverOptions Options => new() { VmsPath = Path.Combine(_root, "vms"), ImagesPath = Path.GetDirectoryName(QemuImages.Folder("debian-12")) };

    private static GuestDefinition Definition(string name) =>
        new(Guid.NewGuid(), name, MachineKind.Vm, "debian-12", [], new MachineSpec(1, 1024, [new DiskSpec("root", 4)], []), new Dictionary<string, string>(),
            Engine: VmEngine.Qemu, CloudInit: new CloudInitConfig(User: "ringmaster"));

    public Task InitializeAsync()
    {
        _engine = TestEngine.Qemu(Options);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task DiskSnapshotAndLinkedClone_RunningDebian_FrozenByItsAgentAndTheCloneBootsWithItsOwnNameAndMac()
    {
        var source = Definition("qd-source");
        await _engine.Lifecycle.CreateAsync(source, new Progress<int>(), CancellationToken.None);
        await BootAsync(source);

        var snapshot = await _engine.Snapshots.TakeSnapshotAsync(source.Id, new SnapshotRequest(Guid.NewGuid(), "frozen", null, false), CancellationToken.None);
        Assert.Contains("were frozen through its guest agent", snapshot.Note, StringComparison.Ordinal);
        Assert.Contains("the snapshot is consistent", snapshot.Note, StringComparison.Ordinal);
        // the guest runs on, thawed: its agent answers and its filesystems are not frozen
        await using (var agent = await GuestAgent.ConnectAsync(FolderOf(source.Id).GuestAgentSocket))
        {
            Assert.Equal("thawed", (await agent.ExecuteAsync("guest-fsfreeze-status")).GetString());
        }

        var cloneId = Guid.NewGuid();
        var clone = source with { Id = cloneId, Name = "qd-clone", CloudInit = null, Spec = source.Spec with { Networks = [new NetworkSpec("net0", QemuLifecycle.MacOf(cloneId, 0))] } };
        var made = await _engine.Snapshots.CloneAsync(source.Id, new CloneRequest(clone, Linked: true, IncludeMemory: false), new Progress<int>(), CancellationToken.None);
        Assert.Equal(MachineState.Stopped, made.State);
        var sourceMac = (await FolderOf(source.Id).LoadAsync()).Nics[0].Mac!;
        var cloneMac = made.Spec.Networks[0].Mac!;
        Assert.NotEqual(sourceMac, cloneMac);

        await BootAsync(clone);
        await using (var agent = await GuestAgent.ConnectAsync(FolderOf(cloneId).GuestAgentSocket))
        {
            Assert.Equal("qd-clone", (await agent.ExecuteAsync("guest-get-host-name")).GetProperty("host-name").GetString());
            var macs = (await agent.ExecuteAsync("guest-network-get-interfaces")).EnumerateArray()
                .Select(i => i.TryGetProperty("hardware-address", out var a) ? a.GetString() : null).ToList();
            Assert.Contains(cloneMac, macs);
            Assert.DoesNotContain(sourceMac, macs);
        }
    }

    private QemuVmFolder FolderOf(Guid id) => new(Path.Combine(Options.VmsPath!, id.ToString("N")));

    /// <summary>Starts the VM and waits for its login prompt (which names its host) and for its guest agent to answer.</summary>
    private async Task BootAsync(GuestDefinition definition)
    {
        await using var console = await _engine.Lifecycle.AttachConsoleAsync(definition.Id, CancellationToken.None);
        var text = new GuestText(console);
        Assert.Equal(MachineState.Running, (await _engine.Lifecycle.StartAsync(definition.Id, CancellationToken.None)).State);
        await text.WaitForAsync($"{definition.Name} login:", 0, seconds: 900);
        // qemu-guest-agent starts about when getty does: wait until it answers (each try is bounded)
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (true)
        {
            await using var session = await GuestAgentSession.OpenAsync(FolderOf(definition.Id).GuestAgentSocket, TimeSpan.FromSeconds(5), CancellationToken.None);
            if (session is not null)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the guest agent of {definition.Name} did not answer within 5 minutes of its login prompt");
        }
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        foreach (var folder in Directory.Exists(Options.VmsPath) ? Directory.GetDirectories(Options.VmsPath!) : [])
        {
            QemuProcess.Attach(new QemuVmFolder(folder))?.Kill();
        }

        Directory.Delete(_root, recursive: true);
    }
}
