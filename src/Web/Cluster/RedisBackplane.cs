using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Ringmaster.Core;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Agents;
using StackExchange.Redis;

namespace Ringmaster.Web.Cluster;

/// <summary>
/// What the web nodes tell each other through Redis (Ringmaster:Redis), beside SignalR's own Redis
/// backplane that carries hub calls to an agent on any node:
/// <list type="bullet">
/// <item>every live change (<see cref="LiveFeed"/>) and console output, so a dashboard or an event stream on any node sees them;</item>
/// <item>which node's hub connection serves which host's agent, so a command reaches it from any node;</item>
/// <item>a command's outcome, which comes to the node that holds the agent's connection, back to the node that waits for it;</item>
/// <item>a revoked agent credential, so the node that holds that agent's connection closes it at once;</item>
/// <item>which node opened which host-to-host transfer, and each node's address, so an agent's bytes reach it through its own node.</item>
/// </list>
/// A node that stops answering (its key in Redis expires) is forgotten within seconds, and the commands
/// sent through it fail as they would when its agent disconnected.
/// </summary>
public sealed class RedisBackplane(
    RedisConnection redis,
    LiveFeed feed,
    ConsoleBroker consoles,
    AgentConnections connections,
    PendingCommands pending,
    AgentCredentials credentials,
    TransferRelay transfers,
    Microsoft.AspNetCore.Hosting.Server.IServer server,
    IOptions<RingmasterOptions> options,
    ILogger<RedisBackplane> logger) : BackgroundService, IAgentRoutes
{
    private const string Prefix = "ringmaster:";
    private static readonly RedisChannel s_feed = RedisChannel.Literal(Prefix + "feed");
    private static readonly RedisChannel s_console = RedisChannel.Literal(Prefix + "console");
    private static readonly RedisChannel s_agents = RedisChannel.Literal(Prefix + "agents");
    private static readonly RedisChannel s_outcomes = RedisChannel.Literal(Prefix + "outcomes");
    private static readonly RedisChannel s_revocations = RedisChannel.Literal(Prefix + "revocations");
    private static readonly RedisKey s_agentsHash = Prefix + "agents";
    private static readonly TimeSpan s_nodeLifetime = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_tick = TimeSpan.FromSeconds(2);

    /// <summary>How long a transfer's node is kept at most (it is removed when the transfer closes).</summary>
    private static readonly TimeSpan s_transferLifetime = TimeSpan.FromDays(1);

    /// <summary>How long an agent's request waits for the node that opened its transfer to be known.</summary>
    private static readonly TimeSpan s_transferAnnouncement = TimeSpan.FromSeconds(3);

    /// <summary>This process among the nodes: new at each start, so a restarted node is not taken for its earlier self.</summary>
    public Guid Node { get; } = Guid.NewGuid();

    private readonly ConcurrentDictionary<Guid, (Guid Node, string Connection)> _remote = new();
    private IConnectionMultiplexer? _multiplexer;

    private static RedisKey NodeKey(Guid node) => $"{Prefix}node:{node:N}";

    private static RedisKey CommandKey(Guid commandId) => $"{Prefix}command:{commandId:N}";

    private static RedisKey TransferKey(Guid transferId) => $"{Prefix}transfer:{transferId:N}";

    private string? _address;

    public string? RemoteConnectionOf(Guid hostId) => _remote.TryGetValue(hostId, out var at) ? at.Connection : null;

    public async Task ExpectOutcomeAsync(Guid commandId, TimeSpan within, CancellationToken cancellationToken)
    {
        try
        {
            var database = redis.Database(await redis.GetAsync(cancellationToken).ConfigureAwait(false));
            await database.StringSetAsync(CommandKey(commandId), Node.ToString("N"), within + TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new AgentUnavailableException($"The host's agent is connected to another web node, and Redis, through which the nodes reach each other, did not answer: {ex.Message}", ex);
        }
    }

    public async Task<bool> ForwardOutcomeAsync(CommandResult result)
    {
        if (_multiplexer is not { } multiplexer)
        {
            return false;
        }

        try
        {
            var database = redis.Database(multiplexer);
            var owner = await database.StringGetDeleteAsync(CommandKey(result.CommandId)).ConfigureAwait(false);
            if (owner.IsNullOrEmpty || !Guid.TryParse(owner.ToString(), out var node) || node == Node
                || !await database.KeyExistsAsync(NodeKey(node)).ConfigureAwait(false))
            {
                return false;
            }

            var message = JsonSerializer.SerializeToUtf8Bytes(new OutcomeMessage(node, result), LiveChangeJson.Options);
            await multiplexer.GetSubscriber().PublishAsync(s_outcomes, message).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogWarning("Could not hand command {CommandId}'s outcome to the node that sent it ({Message}); settling it here", result.CommandId, ex.Message);
            return false;
        }
    }

    public async Task<Uri?> TransferNodeAsync(Guid transferId, CancellationToken cancellationToken)
    {
        if (_multiplexer is not { } multiplexer)
        {
            return null;
        }

        var database = redis.Database(multiplexer);
        var waited = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                var owner = await database.StringGetAsync(TransferKey(transferId)).ConfigureAwait(false);
                if (!owner.IsNullOrEmpty)
                {
                    if (!Guid.TryParse(owner.ToString(), out var node) || node == Node)
                    {
                        return null;
                    }

                    var address = await database.StringGetAsync(NodeKey(node)).ConfigureAwait(false);
                    return Uri.TryCreate(address.ToString(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;
                }

                // The node that opened it says so before it hands the id to an agent; Redis keeps
                // that order, but an agent's request may still come first through another path.
                if (waited.Elapsed > s_transferAnnouncement)
                {
                    return null;
                }

                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogWarning("Could not ask Redis which node holds transfer {TransferId}: {Message}", transferId, ex.Message);
            return null;
        }
    }

    /// <summary>Where the other nodes reach this one: Ringmaster:NodeUrl, or the first address it listens on.</summary>
    private string Address()
    {
        if (_address is { } known)
        {
            return known;
        }

        if (!string.IsNullOrWhiteSpace(options.Value.NodeUrl))
        {
            return _address = options.Value.NodeUrl.Trim().TrimEnd('/');
        }

        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var first = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.FirstOrDefault();
        if (first is null || !Uri.TryCreate(first.Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            // Not listening yet: asked again at the next tick.
            return "";
        }

        var host = uri.IsLoopback || !(uri.Host is "0.0.0.0" or "[::]" or "::") ? uri.Host : Dns.GetHostName();
        return _address = new UriBuilder(uri.Scheme, host, uri.Port).Uri.ToString().TrimEnd('/');
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await redis.GetAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        // Until Redis answers this node serves what passes through it, as one node alone would, and keeps trying.
        var subscribed = new HashSet<RedisChannel>();
        while (true)
        {
            try
            {
                await JoinAsync(multiplexer, subscribed).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                logger.LogWarning("Redis does not answer ({Message}); until it does this node sees only what passes through it", ex.Message);
                try
                {
                    await Task.Delay(s_tick, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        var database = redis.Database(multiplexer);
        logger.LogInformation("Node {Node} shares live changes, consoles and agent commands with the other nodes through Redis", Node);
        using var timer = new PeriodicTimer(s_tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await database.StringSetAsync(NodeKey(Node), Address(), s_nodeLifetime).ConfigureAwait(false);
                    await ForgetDeadNodesAsync(database).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    logger.LogWarning("Redis did not answer ({Message}); the other nodes may take this one for gone until it does", ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _multiplexer = null;
            try
            {
                await database.KeyDeleteAsync(NodeKey(Node)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                logger.LogDebug("Could not remove this node's key on the way out: {Message}", ex.Message);
            }
        }
    }

    /// <summary>
    /// Joins the other nodes: this node's key, the subscriptions (each once, however many tries this
    /// takes), then what this node shares, the agents it serves, and those the others serve.
    /// </summary>
    private async Task JoinAsync(IConnectionMultiplexer multiplexer, HashSet<RedisChannel> subscribed)
    {
        var subscriber = multiplexer.GetSubscriber();
        var database = redis.Database(multiplexer);
        await database.StringSetAsync(NodeKey(Node), Address(), s_nodeLifetime).ConfigureAwait(false);

        // Subscribed before anything is shared or read, so that nothing published in between is missed.
        foreach (var (channel, what, receive) in new (RedisChannel, string, Action<RedisValue>)[]
        {
            (s_feed, "a live change", ReceiveChange),
            (s_console, "console output", ReceiveConsole),
            (s_agents, "an agent's connection", ReceiveAgent),
            (s_outcomes, "a command's outcome", ReceiveOutcome),
            (s_revocations, "a revoked credential", ReceiveRevocation),
        })
        {
            if (!subscribed.Contains(channel))
            {
                (await subscriber.SubscribeAsync(channel).ConfigureAwait(false)).OnMessage(m => Guard(what, () => receive(m.Message)));
                subscribed.Add(channel);
            }
        }

        // Agents the other nodes serve, then this node's own (those that connected before it joined).
        foreach (var entry in await database.HashGetAllAsync(s_agentsHash).ConfigureAwait(false))
        {
            if (Guid.TryParse(entry.Name.ToString(), out var host) && Split(entry.Value) is { } at && at.Node != Node
                && connections.ConnectionOf(host) is null && await database.KeyExistsAsync(NodeKey(at.Node)).ConfigureAwait(false))
            {
                _remote.TryAdd(host, at);
            }
        }

        feed.ShareWith(change => Relay("a live change", () => subscriber.Publish(s_feed, LiveChangeJson.Serialize(Node, change), CommandFlags.FireAndForget)));
        consoles.ShareWith((machine, data) => Relay("console output", () => subscriber.Publish(s_console, ConsoleMessage(machine, data), CommandFlags.FireAndForget)));
        connections.Bound += (host, connection) => Announce(multiplexer, host, connection, bound: true);
        connections.Unbound += (host, connection) => Announce(multiplexer, host, connection, bound: false);
        transfers.Opened += id => Relay("a transfer's node", () => database.StringSet(TransferKey(id), Node.ToString("N"), s_transferLifetime, flags: CommandFlags.FireAndForget));
        transfers.Closed += id => Relay("a closed transfer", () => database.KeyDelete(TransferKey(id), CommandFlags.FireAndForget));
        credentials.Revoked += host => Relay("a revoked credential", () =>
            subscriber.Publish(s_revocations, JsonSerializer.SerializeToUtf8Bytes(new RevocationMessage(Node, host), LiveChangeJson.Options), CommandFlags.FireAndForget));
        _multiplexer = multiplexer;
        foreach (var (host, connection) in connections.All)
        {
            Announce(multiplexer, host, connection, bound: true);
        }
    }

    /// <summary>Hosts served by a node whose key expired: their commands fail, and the next registration says where they are now.</summary>
    private async Task ForgetDeadNodesAsync(IDatabase database)
    {
        foreach (var node in _remote.Values.Select(v => v.Node).Distinct().ToList())
        {
            if (await database.KeyExistsAsync(NodeKey(node)).ConfigureAwait(false))
            {
                continue;
            }

            logger.LogWarning("Node {Node} stopped answering; forgetting the agents it served", node);
            foreach (var (host, at) in _remote.Where(e => e.Value.Node == node).ToList())
            {
                if (_remote.TryRemove(new KeyValuePair<Guid, (Guid, string)>(host, at)))
                {
                    pending.FailHost(host, "the web node that held its agent's connection stopped");
                    await RemoveIfCurrentAsync(database, host, at.Node, at.Connection).ConfigureAwait(false);
                }
            }
        }
    }

    private void Announce(IConnectionMultiplexer multiplexer, Guid host, string connection, bool bound)
    {
        _ = AnnounceAsync(multiplexer, host, connection, bound);
    }

    private async Task AnnounceAsync(IConnectionMultiplexer multiplexer, Guid host, string connection, bool bound)
    {
        try
        {
            var database = redis.Database(multiplexer);
            if (bound)
            {
                _remote.TryRemove(host, out _);
                await database.HashSetAsync(s_agentsHash, host.ToString("N"), $"{Node:N}|{connection}").ConfigureAwait(false);
            }
            else
            {
                await RemoveIfCurrentAsync(database, host, Node, connection).ConfigureAwait(false);
            }

            var message = JsonSerializer.SerializeToUtf8Bytes(new AgentMessage(Node, host, connection, bound), LiveChangeJson.Options);
            await multiplexer.GetSubscriber().PublishAsync(s_agents, message).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogWarning("Could not tell the other nodes that host {HostId}'s agent {State} here: {Message}", host, bound ? "connected" : "disconnected", ex.Message);
        }
    }

    private static async Task RemoveIfCurrentAsync(IDatabase database, Guid host, Guid node, string connection)
    {
        var transaction = database.CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(s_agentsHash, host.ToString("N"), $"{node:N}|{connection}"));
        _ = transaction.HashDeleteAsync(s_agentsHash, host.ToString("N"));
        await transaction.ExecuteAsync().ConfigureAwait(false);
    }

    private static (Guid Node, string Connection)? Split(RedisValue value)
    {
        var text = value.ToString();
        var bar = text.IndexOf('|', StringComparison.Ordinal);
        return bar > 0 && Guid.TryParse(text.AsSpan(0, bar), out var node) ? (node, text[(bar + 1)..]) : null;
    }

    private void ReceiveChange(RedisValue message)
    {
        if (LiveChangeJson.Deserialize(message!) is ({ } node, { } change) && node != Node)
        {
            feed.Deliver(change);
            if (change is MachineRemoved removed)
            {
                consoles.Forget(removed.MachineId);
            }
        }
    }

    private void ReceiveConsole(RedisValue message)
    {
        ReadOnlySpan<byte> bytes = (byte[])message!;
        if (bytes.Length >= 32 && new Guid(bytes[..16]) != Node)
        {
            consoles.Deliver(new Guid(bytes[16..32]), bytes[32..]);
        }
    }

    private byte[] ConsoleMessage(Guid machine, byte[] data)
    {
        var message = new byte[32 + data.Length];
        Node.TryWriteBytes(message.AsSpan(0, 16));
        machine.TryWriteBytes(message.AsSpan(16, 16));
        data.CopyTo(message, 32);
        return message;
    }

    private void ReceiveAgent(RedisValue message)
    {
        if (JsonSerializer.Deserialize<AgentMessage>((byte[])message!, LiveChangeJson.Options) is not { } agent || agent.Node == Node)
        {
            return;
        }

        if (agent.Bound)
        {
            _remote[agent.Host] = (agent.Node, agent.Connection);
        }
        else if (_remote.TryRemove(new KeyValuePair<Guid, (Guid, string)>(agent.Host, (agent.Node, agent.Connection))) && connections.ConnectionOf(agent.Host) is null)
        {
            // As on one node: what was sent to an agent that went away fails now rather than at its timeout.
            pending.FailHost(agent.Host, "its agent disconnected");
        }
    }

    private void ReceiveOutcome(RedisValue message)
    {
        if (JsonSerializer.Deserialize<OutcomeMessage>((byte[])message!, LiveChangeJson.Options) is { } outcome && outcome.To == Node)
        {
            pending.Complete(outcome.Result);
        }
    }

    private void ReceiveRevocation(RedisValue message)
    {
        if (JsonSerializer.Deserialize<RevocationMessage>((byte[])message!, LiveChangeJson.Options) is { } revocation && revocation.Node != Node)
        {
            credentials.Disconnect(revocation.Host);
        }
    }

    /// <summary>Sends something to the other nodes; what cannot be sent is logged, never thrown at the code that published it here.</summary>
    private void Relay(string what, Action send)
    {
        try
        {
            send();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or NotSupportedException or JsonException)
        {
            logger.LogWarning("Could not send {What} to the other nodes: {Message}", what, ex.Message);
        }
    }

    private void Guard(string what, Action receive)
    {
        try
        {
            receive();
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException or InvalidCastException)
        {
            logger.LogWarning(ex, "Dropped {What} another node sent that this one cannot read", what);
        }
    }

    private sealed record AgentMessage(Guid Node, Guid Host, string Connection, bool Bound);

    private sealed record OutcomeMessage(Guid To, CommandResult Result);

    private sealed record RevocationMessage(Guid Node, Guid Host);
}

/// <summary>The one Redis connection of this process, shared by SignalR's backplane and <see cref="RedisBackplane"/>.</summary>
public sealed class RedisConnection(string configuration, ILoggerFactory? loggerFactory = null)
{
    private readonly Lazy<Task<IConnectionMultiplexer>> _connection = new(async () =>
    {
        var options = ConfigurationOptions.Parse(configuration);
        // Keep trying when Redis is not up yet or goes away, instead of failing the node's start.
        options.AbortOnConnectFail = false;
        options.ClientName ??= "ringmaster";
        if (loggerFactory is not null)
        {
            options.LoggerFactory = loggerFactory;
        }

        return await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
    });

    private readonly string _keyPrefix = ConfigurationOptions.Parse(configuration).ChannelPrefix.ToString() ?? "";

    /// <summary>
    /// The keys of this installation: the setting's <c>channelPrefix=</c>, which the connection puts
    /// before every channel, goes before every key too, so that installations can share one Redis.
    /// </summary>
    public IDatabase Database(IConnectionMultiplexer multiplexer) =>
        _keyPrefix.Length == 0 ? multiplexer.GetDatabase() : StackExchange.Redis.KeyspaceIsolation.DatabaseExtensions.WithKeyPrefix(multiplexer.GetDatabase(), _keyPrefix);

    public async Task<IConnectionMultiplexer> GetAsync(CancellationToken cancellationToken = default) =>
        await _connection.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
}
