using Medallion.Threading;
using Medallion.Threading.Postgres;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Ringmaster.Core.Services;

/// <summary>
/// Whether this web node leads the background work that must run once however many nodes share the
/// inventory: the host offline sweep, schedules, the scaling controller, webhook delivery and
/// pruning. On SQLite there is one node and it always leads; on PostgreSQL the node that holds a
/// session advisory lock leads, and when its process dies PostgreSQL ends its session, frees the
/// lock and another node takes it.
/// </summary>
public interface ILeadership
{
    /// <summary>This node's name (Leadership:Node; the machine's name and the process id by default).</summary>
    string Node { get; }

    /// <summary>This process among the nodes (<see cref="NodeInstance.Id"/>, new at each start): operations record it as the node that runs them.</summary>
    string Instance => NodeInstance.Id;

    /// <summary>Whether this node leads now.</summary>
    bool IsLeader { get; }

    /// <summary>Since when this node leads (null while it does not).</summary>
    DateTimeOffset? LeaderSince { get; }

    /// <summary>Whether other nodes may share the inventory (PostgreSQL): what they write is not seen in this node's live feed.</summary>
    bool Shared { get; }

    /// <summary>How often a follower tries to take the lead, and how often shared work looks for what other nodes queued.</summary>
    TimeSpan PollInterval { get; }

    /// <summary>Waits until this node leads; the token it returns fires when it stops leading.</summary>
    Task<CancellationToken> WaitForLeadershipAsync(CancellationToken cancellationToken);

    /// <summary>The <see cref="Instance"/>s of the nodes running now, this one's included.</summary>
    Task<IReadOnlySet<string>> LiveInstancesAsync(CancellationToken cancellationToken);
}

/// <summary>This process as a web node: an id made at its start, so that a node started again under the same name is not taken for the one that died.</summary>
public static class NodeInstance
{
    public static string Id { get; } = Guid.NewGuid().ToString("N")[..12];
}

/// <summary>How nodes elect the one that runs the background work (section <c>Leadership</c>).</summary>
public sealed record LeadershipOptions
{
    public const string Section = "Leadership";

    /// <summary>This node's name as /api/v1/status and the logs show it (Leadership:Node).</summary>
    public string? Node { get; init; }

    /// <summary>Seconds between a follower's tries to take the lead (Leadership:PollSeconds).</summary>
    public double PollSeconds { get; init; } = 1.5;

    public string NodeName => string.IsNullOrWhiteSpace(Node) ? $"{Environment.MachineName}-{Environment.ProcessId}" : Node.Trim();
}

public static class LeadershipExtensions
{
    /// <summary>
    /// Runs <paramref name="work"/> each time this node leads, with a token that fires when it stops
    /// leading or the host stops; returns when <paramref name="stoppingToken"/> fires.
    /// </summary>
    public static async Task WhileLeadingAsync(this ILeadership leadership, Func<CancellationToken, Task> work, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            CancellationToken lost;
            try
            {
                lost = await leadership.WaitForLeadershipAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            using var leading = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lost);
            try
            {
                await work(leading.Token).ConfigureAwait(false);
                // Work that ended on its own is not started again while the same lead lasts.
                await Task.Delay(Timeout.Infinite, leading.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
            }
        }
    }
}

/// <summary>One node on one SQLite file: it always leads, and nothing is elected.</summary>
public sealed class SoleLeadership(IOptions<LeadershipOptions> options, TimeProvider clock) : ILeadership, IHostedService
{
    private readonly DateTimeOffset _since = clock.GetUtcNow();

    public string Node { get; } = options.Value.NodeName;

    public bool IsLeader => true;

    public DateTimeOffset? LeaderSince => _since;

    public bool Shared => false;

    public TimeSpan PollInterval { get; } = TimeSpan.FromSeconds(options.Value.PollSeconds);

    public Task<CancellationToken> WaitForLeadershipAsync(CancellationToken cancellationToken) => Task.FromResult(CancellationToken.None);

    public Task<IReadOnlySet<string>> LiveInstancesAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlySet<string>>(new HashSet<string> { NodeInstance.Id });

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// The leader among the web nodes on one PostgreSQL database: the node holding the session advisory
/// lock <see cref="LockName"/> (through DistributedLock.Postgres) on a connection of its own, outside
/// the pool. A follower tries to take it every <see cref="LeadershipOptions.PollSeconds"/>; the
/// leader checks its connection as often and stops leading when it fails. The lock lives as long as
/// the leader's session: a leader killed outright closes it with its process, PostgreSQL frees the
/// lock and a follower takes it at its next try; one that stops cleanly releases it at once.
/// </summary>
/// <remarks>
/// The lock's connection is idle between checks on purpose: DistributedLock's own watch of a handle
/// (HandleLostToken) keeps a sleeping query running on it, and a backend busy with a query does not
/// notice that its client died, which kept a killed leader's lock for as long as the query slept.
/// </remarks>
public sealed class PostgresLeadership : BackgroundService, ILeadership
{
    /// <summary>Advisory locks are per database: nodes on other databases of the same server never compete.</summary>
    public const string LockName = "ringmaster.leader";

    /// <summary>How the lock's session names itself (then the instance and the node): the nodes alive are the sessions so named.</summary>
    public const string SessionPrefix = "ringmaster node ";

    private static readonly PostgresAdvisoryLockKey s_key = new(LockName, allowHashing: true);

    private readonly string _connectionString;
    private readonly string _pooledConnectionString;
    private readonly TimeProvider _clock;
    private readonly ILogger<PostgresLeadership> _logger;
    private readonly Lock _gate = new();
    private TaskCompletionSource<CancellationToken> _leads = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NpgsqlConnection? _connection;
    private IDistributedSynchronizationHandle? _handle;
    private CancellationTokenSource? _lead;
    private bool _followingLogged;

    public PostgresLeadership(IOptions<RingmasterOptions> settings, IOptions<LeadershipOptions> options, TimeProvider clock, ILogger<PostgresLeadership> logger)
    {
        _clock = clock;
        _logger = logger;
        Node = options.Value.NodeName;
        PollInterval = TimeSpan.FromSeconds(options.Value.PollSeconds);
        _pooledConnectionString = settings.Value.ConnectionString
            ?? throw new InvalidOperationException("A shared (PostgreSQL) control plane needs a connection string.");
        // Outside the pool: closing it ends the session (and frees the lock) rather than parking it for reuse.
        _connectionString = new NpgsqlConnectionStringBuilder(_pooledConnectionString)
        {
            Pooling = false,
            // Held for the process' life whether it leads or follows, so other nodes see it alive; PostgreSQL keeps 63 bytes of it.
            ApplicationName = $"{SessionPrefix}{NodeInstance.Id} {Node}",
            CommandTimeout = Math.Max(5, (int)Math.Ceiling(PollInterval.TotalSeconds * 4)),
        }.ConnectionString;
    }

    public string Node { get; }

    public bool IsLeader
    {
        get
        {
            lock (_gate)
            {
                return _lead is not null;
            }
        }
    }

    public DateTimeOffset? LeaderSince { get; private set; }

    public bool Shared => true;

    public TimeSpan PollInterval { get; }

    public Task<CancellationToken> WaitForLeadershipAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _lead is { } lead ? Task.FromResult(lead.Token) : _leads.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The nodes whose lock session is open: a node's session ends with its process, as the leader's lock does.</summary>
    public async Task<IReadOnlySet<string>> LiveInstancesAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_pooledConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE @prefix", connection);
        command.Parameters.AddWithValue("prefix", SessionPrefix + "%");
        var live = new HashSet<string> { NodeInstance.Id };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var name = reader.GetString(0)[SessionPrefix.Length..];
            live.Add(name.Split(' ')[0]);
        }

        return live;
    }

    /// <summary>One try before the other services start, so those that look at <see cref="IsLeader"/> once at start see the outcome.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await TryLeadAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The only user of the lock's connection once started (tries, checks, release), so it is never used by two at once.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(PollInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            if (_handle is null)
            {
                await TryLeadAsync(stoppingToken).ConfigureAwait(false);
            }
            else
            {
                await CheckAsync(stoppingToken).ConfigureAwait(false);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        // Ending the session now frees the lock, so another node leads at its next try instead of after this process ends.
        await LoseAsync("this node is stopping").ConfigureAwait(false);
    }

    private async Task TryLeadAsync(CancellationToken cancellationToken)
    {
        IDistributedSynchronizationHandle? handle;
        try
        {
            if (_connection is null)
            {
                var connection = new NpgsqlConnection(_connectionString);
                try
                {
                    await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                _connection = connection;
            }

            handle = await new PostgresDistributedLock(s_key, _connection).TryAcquireAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("Node {Node} could not ask the database who leads ({Reason}); trying again in {Seconds} s", Node, ex.Message, PollInterval.TotalSeconds);
            await CloseAsync().ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (handle is null)
        {
            if (!_followingLogged)
            {
                _followingLogged = true;
                _logger.LogInformation("Node {Node} follows: another node leads the background work", Node);
            }

            return;
        }

        TaskCompletionSource<CancellationToken> leads;
        CancellationTokenSource lead;
        lock (_gate)
        {
            _handle = handle;
            _lead = lead = new CancellationTokenSource();
            LeaderSince = _clock.GetUtcNow();
            leads = _leads;
        }

        _followingLogged = false;
        _logger.LogWarning("Node {Node} now leads the background work (host sweep, schedules, scaling, webhooks)", Node);
        leads.TrySetResult(lead.Token);
    }

    /// <summary>The leader's session still answers; when it does not, the lock may be gone with it, and this node stops leading.</summary>
    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT 1", _connection);
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            await LoseAsync($"the database connection holding the leader's lock failed ({ex.Message})").ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task LoseAsync(string reason)
    {
        IDistributedSynchronizationHandle? handle;
        CancellationTokenSource? lead;
        lock (_gate)
        {
            handle = _handle;
            lead = _lead;
            if (handle is null || lead is null)
            {
                return;
            }

            _handle = null;
            _lead = null;
            LeaderSince = null;
            _leads = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _logger.LogWarning("Node {Node} no longer leads the background work: {Reason}", Node, reason);
        // Not disposed: work still running may link to its token; the source holds no timer or handle.
        await lead.CancelAsync().ConfigureAwait(false);
        // The lock is a session's: ending the session frees it (or it went with a broken one), with no
        // unlock to wait for on a connection that may not answer.
        await CloseAsync().ConfigureAwait(false);
    }

    /// <summary>Closes the lock's connection, waiting for it a few seconds at most (a dead peer must not hold up a stop).</summary>
    private async Task CloseAsync()
    {
        if (_connection is not { } connection)
        {
            return;
        }

        _connection = null;
        var close = Task.Run(() => connection.Dispose());
        try
        {
            await close.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "Closing the leader's connection failed");
        }
    }

    public override void Dispose()
    {
        _connection?.Dispose();
        _lead?.Dispose();
        base.Dispose();
    }
}
