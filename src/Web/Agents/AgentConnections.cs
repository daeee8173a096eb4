using System.Collections.Concurrent;

namespace Ringmaster.Web.Agents;

/// <summary>Which hub connection speaks for which host.</summary>
public sealed class AgentConnections
{
    private readonly ConcurrentDictionary<Guid, string> _byHost = new();
    private readonly ConcurrentDictionary<string, Guid> _byConnection = new(StringComparer.Ordinal);

    public void Bind(Guid hostId, string connectionId)
    {
        if (_byHost.TryGetValue(hostId, out var previous) && previous != connectionId)
        {
            _byConnection.TryRemove(previous, out _);
        }

        _byHost[hostId] = connectionId;
        _byConnection[connectionId] = hostId;
    }

    /// <summary>Forgets a connection; returns its host when that connection was the host's current one.</summary>
    public Guid? Unbind(string connectionId)
    {
        if (!_byConnection.TryRemove(connectionId, out var hostId))
        {
            return null;
        }

        return _byHost.TryRemove(new KeyValuePair<Guid, string>(hostId, connectionId)) ? hostId : null;
    }

    public string? ConnectionOf(Guid hostId) => _byHost.TryGetValue(hostId, out var id) ? id : null;

    public Guid? HostOf(string connectionId) => _byConnection.TryGetValue(connectionId, out var id) ? id : null;
}
