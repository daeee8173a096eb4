using System.Diagnostics;

namespace Ringmaster.Agents.Drivers.Containers;

/// <summary>
/// The Podman services this agent started, by socket path; they are kept running for the agent's life
/// and beyond. One registered instance: whoever starts a service holds <see cref="Lock"/>, so two
/// locators of one agent never start two services on one socket.
/// </summary>
public sealed class PodmanServices : IDisposable
{
    private readonly Dictionary<string, Process> _started = new(StringComparer.Ordinal);

    /// <summary>Held while a service is looked up or started.</summary>
    internal SemaphoreSlim Lock { get; } = new(1, 1);

    /// <summary>The Podman service started on <paramref name="socketPath"/>, if any.</summary>
    public async Task<Process?> StartedAsync(string socketPath, CancellationToken cancellationToken = default)
    {
        await Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _started.GetValueOrDefault(socketPath);
        }
        finally
        {
            Lock.Release();
        }
    }

    /// <summary>The service on <paramref name="socketPath"/> (the caller holds <see cref="Lock"/>).</summary>
    internal Process? Find(string socketPath) => _started.GetValueOrDefault(socketPath);

    /// <summary>Remembers a started service (the caller holds <see cref="Lock"/>).</summary>
    internal void Add(string socketPath, Process service) => _started[socketPath] = service;

    public void Dispose() => Lock.Dispose();
}
