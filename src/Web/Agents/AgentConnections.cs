using System.Collections.Concurrent;

namespace Ringmaster.Web.Agents;

/// <summary>Which hub connection speaks for which host.</summary>
public sealed class AgentConnections
{
    private readonly ConcurrentDictionary<Guid, string> _byHost = new();
    private readonly ConcurrentDictionary<string, Guid> _byConnection = new(StringComparer.Ordinal);

    /// <summary>A host's agent is now served by this node through a connection (the backplane tells the other nodes).</summary>
    public event Action<Guid, string>? Bound;

    /// <summary>The connection that served a host's agent here closed.</summary>
    public event Action<Guid, string>? Unbound;

    /// <summary>Every host whose agent is connected to this node, with its connection.</summary>
    public IReadOnlyCollection<KeyValuePair<Guid, string>> All => [.. _byHost];

    public void Bind(Guid hostId, string connectionId)
    {
        if (_byHost.TryGetValue(hostId, out var previous) && previous != connectionId)
        {
            _byConnection.TryRemove(previous, out _);
        }

        _byHost[hostId] = connectionId;
        _byConnection[connectionId] = hostId;
        Bound?.Invoke(hostId, connectionId);
    }

    /// <summary>Forgets a connection; returns its host when that connection was the host's current one.</summary>
    public Guid? Unbind(string connectionId)
    {
        if (!_byConnection.TryRemove(connectionId, out var hostId))
        {
            return null;
        }

        if (!_byHost.TryRemove(new KeyValuePair<Guid, string>(hostId, connectionId)))
        {
            return null;
        }

        Unbound?.Invoke(hostId, connectionId);
        return hostId;
    }

    public string? ConnectionOf(Guid hostId) => _byHost.TryGetValue(hostId, out var id) ? id : null;

    public Guid? HostOf(string connectionId) => _byConnection.TryGetValue(connectionId, out var id) ? id : null;
}
