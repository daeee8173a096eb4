using System.Collections.Concurrent;
using System.Text.Json;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Emulator;
using Ringmaster.Contracts;
using Ringmaster.Shared;

namespace Ringmaster.Agents.Tests.Emulator;

/// <summary>
/// A VM from an image the host does not have yet but can make from Debian's packages: the create
/// builds it first (the repository's image script, with the apt cache the test script filled), says
/// what it does step by step, and builds it once however many VMs wait for it.
/// </summary>
public sealed class ImageBuildTests : IAsyncDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("ringmaster-image-build-").FullName;
    private readonly EmulatorDriverOptions _options;
    private readonly GuestImages _images;
    private readonly TestEngine _driver;

    public ImageBuildTests()
    {
        // Only this test's own folder is searched: the repository's images do not count.
        _options = new EmulatorDriverOptions
        {
            VmsPath = Path.Combine(_data, "vms"),
            SearchSourceCheckout = false,
            BuiltImagesPath = Path.Combine(_data, "built"),
            ImageBuildScript = Path.Combine(SourceCheckout.Root!, "scripts", "build-images.sh"),
        };
        _driver = TestEngine.Emulator(_options);
        _images = _driver.Get<GuestImages>();
    }

    public async ValueTask DisposeAsync()
    {
        await _driver.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private static GuestDefinition Define(string name) =>
        new(Guid.NewGuid(), name, MachineKind.Vm, "debian", [], new MachineSpec(1, 512, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]), new Dictionary<string, string>());

    [Fact]
    public async Task Create_BuildableImageMissing_BuildsItOnceWithNotesThenCreates()
    {
        Assert.Equal(["debian"], _images.Describe().Buildable);
        Assert.DoesNotContain("debian", _images.Describe().Present);
        var first = new FakeNotes();
        var second = new FakeNotes();
        var changed = 0;
        _images.Changed += () => Interlocked.Increment(ref changed);

        var guests = await Task.WhenAll(
            _driver.Lifecycle.CreateAsync(Define("deb-1"), first, CancellationToken.None),
            _driver.Lifecycle.CreateAsync(Define("deb-2"), second, CancellationToken.None));

        Assert.All(guests, g => Assert.Equal(MachineState.Stopped, g.State));
        Assert.All(guests, g => Assert.Equal("debian", g.Image));
        var notes = first.Notes.Concat(second.Notes).ToList();
        Assert.Single(notes, n => n.StartsWith("Building image 'debian' from Debian's packages", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.StartsWith("Building image: kernel ", StringComparison.Ordinal));
        Assert.Equal(1, changed);
        Assert.Contains("debian", _images.Describe().Present);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_options.BuiltImagesPath!, "debian", "manifest.json")));
        Assert.False(string.IsNullOrEmpty(manifest.RootElement.GetProperty("debian_suite").GetString()));
        Assert.Contains(manifest.RootElement.GetProperty("kernel").GetProperty("layout").GetString(), new[] { "classic", "split" });
    }

    [Fact]
    public async Task Create_BuildScriptMissing_SaysWhyTheImageCannotBeMade()
    {
        var options = _options with { ImageBuildScript = Path.Combine(_data, "no-such-script.sh") };
        await using var driver = TestEngine.Emulator(options);

        var error = await Assert.ThrowsAsync<GuestException>(() => driver.Lifecycle.CreateAsync(Define("deb-x"), new FakeNotes(), CancellationToken.None));

        Assert.Contains("Image 'debian' is not on this host, and this host cannot build it: the image script", error.Message);
        Assert.Empty(Directory.Exists(options.VmsPath) ? Directory.EnumerateDirectories(options.VmsPath!) : []);
    }

    private sealed class FakeNotes : IProgressWithNotes
    {
        private readonly ConcurrentQueue<string> _notes = new();

        public IReadOnlyList<string> Notes => [.. _notes];

        public void Report(int value)
        {
        }

        public void Report(int percent, string note) => _notes.Enqueue(note);
    }
}
