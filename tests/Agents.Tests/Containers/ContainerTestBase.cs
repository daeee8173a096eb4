using System.Text;
using Ringmaster.Agents.Drivers;
using Ringmaster.Agents.Drivers.Containers;
using Ringmaster.Contracts;

namespace Ringmaster.Agents.Tests.Containers;

/// <summary>A driver on the real engine, unique names per test, and everything made removed afterwards.</summary>
public abstract class ContainerTestBase : IAsyncLifetime
{
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly List<Guid> _made = [];
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));

    protected ContainerTestBase()
    {
        Podman.EnsureInstalled();
        Driver = TestEngine.Containers(new ContainerDriverOptions());
    }

    protected TestEngine Driver { get; }

    protected CancellationToken Timeout => _timeout.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var id in _made)
        {
            await Driver.Lifecycle.DeleteAsync(id, CancellationToken.None);
        }

        Driver.Dispose();
        _timeout.Dispose();
    }

    protected GuestDefinition Define(string image = "ringmaster/busybox", int vcpus = 1, int memoryMiB = 64, IReadOnlyDictionary<string, string>? labels = null)
    {
        var id = Guid.NewGuid();
        _made.Add(id);
        return new GuestDefinition(
            id,
            $"rmtest-{id.ToString("N")[..10]}",
            MachineKind.Container,
            image,
            [],
            new MachineSpec(vcpus, memoryMiB, [new DiskSpec("root", 1)], [new NetworkSpec("default")]),
            labels ?? new Dictionary<string, string>());
    }

    /// <summary>Remembers a container made outside the driver's helpers so it is removed too.</summary>
    protected void Track(Guid id) => _made.Add(id);

    protected async Task<GuestInfo> CreateRunningAsync(GuestDefinition definition)
    {
        await Driver.Lifecycle.CreateAsync(definition, new Progress<int>(), Timeout);
        return await Driver.Lifecycle.StartAsync(definition.Id, Timeout);
    }

    /// <summary>Reads the console until <paramref name="expected"/> shows up, or fails with what it saw.</summary>
    protected static async Task<string> ReadUntilAsync(IGuestConsole console, string expected)
    {
        var seen = new StringBuilder();
        using var timeout = new CancellationTokenSource(Wait);
        try
        {
            await foreach (var chunk in console.Output.ReadAllAsync(timeout.Token))
            {
                seen.Append(Encoding.UTF8.GetString(chunk));
                if (seen.ToString().Contains(expected, StringComparison.Ordinal))
                {
                    return seen.ToString();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        Assert.Fail($"The console never showed {Escape(expected)}; it showed: {Escape(seen.ToString())}");
        return seen.ToString();
    }

    protected static string Escape(string text) => text.Replace("\r", "\\r").Replace("\n", "\\n");
}
