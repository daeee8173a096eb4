using System.Net;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ringmaster.Contracts;

namespace Ringmaster.Agents;

/// <summary>
/// The agent's connection to its server: dials the agent hub with the join token, registers its
/// host with its full inventory on every (re)connect, heartbeats, pushes guest changes and metrics,
/// and answers the server's commands. Reconnects with backoff for as long as it runs.
/// </summary>
public sealed class AgentWorker(
    IOptions<AgentOptions> options,
    AgentIdentity identity,
    IAgentServerAddress serverAddress,
    AgentRuntime runtime,
    ConsoleSessions consoles,
    DisplaySessions displays,
    HostProbe probe,
    Drivers.GuestDrivers drivers,
    Transfers.HostTransfers transfers,
    Migration.AgentMigrations migrations,
    IHostApplicationLifetime lifetime,
    ILogger<AgentWorker> logger) : BackgroundService, IAgentUplink
{
    public const string Version = "0.1.0";

    private readonly Channel<(string Method, object Argument, Action? Delivered)> _outbox = Channel.CreateUnbounded<(string, object, Action?)>();
    private readonly Dictionary<Guid, MachineState> _lastStates = [];

    /// <summary>Guests a command reported while the watch loop was listing: the list may predate them.</summary>
    private readonly HashSet<Guid> _reportedDuringList = [];
    private readonly Lock _statesLock = new();
    private HubConnection? _connection;
    private Guid _hostId;
    private int _heartbeatSeconds = 3;
    private (long Idle, long Total) _lastCpu;

    private readonly SemaphoreSlim _registering = new(1, 1);
    private string? _registrationFailure;
    private string _dataPath = "";

    /// <summary>Set when what the host can do may have changed since registration; the watch loop sends it again.</summary>
    private int _capabilitiesStale;

    /// <summary>What this agent removed at start (half-made files of interrupted commands), told to the server at the next registration.</summary>
    private IReadOnlyList<DiscardedLeftover> _discarded = [];

    /// <summary>True once registered on the current connection.</summary>
    public bool Registered { get; private set; }

    /// <summary>Set when the server refused the stored credential, so the join token is tried instead.</summary>
    private volatile bool _credentialRefused;

    /// <summary>Set when the server refused the join token; a standalone agent then exits with code 2.</summary>
    public bool StopOnRejectedToken { get; set; } = true;

    public Guid HostId => _hostId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var dataPath = Path.GetFullPath(settings.Data);
        _hostId = identity.HostId;
        runtime.Attach(this);
        consoles.Attach(this);
        runtime.DriversChanged += MarkCapabilitiesStale;
        probe.Changed += MarkCapabilitiesStale;

        // Before any command runs: what a crash interrupted is removed now, and told at registration.
        _discarded = await runtime.DiscardLeftoversAsync(dataPath, stoppingToken).ConfigureAwait(false);

        Uri server;
        try
        {
            server = await serverAddress.GetAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var hubUri = new Uri(server, AgentHubPaths.Hub);
        // Several servers (web nodes on one inventory): the connection's requests go to the one dialled now.
        var failover = serverAddress is ServerFailover { Servers.Count: > 1 } several ? several : null;
        if (failover is not null)
        {
            failover.Moved += (from, to) => logger.LogWarning("The server at {From} does not answer; dialling {To}", from, to);
        }

        _connection = new HubConnectionBuilder()
            .WithUrl(hubUri, o =>
            {
                o.AccessTokenProvider = () => Task.FromResult(_credentialRefused ? settings.Token : identity.Credential ?? settings.Token);
                if (failover is not null)
                {
                    o.HttpMessageHandlerFactory = failover.Handler;
                    o.WebSocketFactory = failover.ConnectWebSocketAsync;
                }
            })
            .WithAutomaticReconnect(new BackoffRetryPolicy())
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            .Build();
        _connection.ServerTimeout = TimeSpan.FromSeconds(30);
        RegisterHandlers(_connection);
        transfers.Attach(_connection, () => failover?.Current ?? server, settings.Token, _hostId);
        _connection.Reconnecting += error =>
        {
            Registered = false;
            logger.LogWarning("Lost the server at {Hub}; reconnecting ({Reason})", failover is null ? hubUri : failover.Route(hubUri), error?.Message);
            return Task.CompletedTask;
        };
        _connection.Reconnected += _ => TryRegisterAsync(dataPath, stoppingToken);
        _dataPath = dataPath;

        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _connection.StartAsync(stoppingToken).ConfigureAwait(false);
                // Connected: a registration that fails now (a slow or busy server) is tried again by
                // the heartbeat loop on this connection, not by starting it again.
                await TryRegisterAsync(dataPath, stoppingToken).ConfigureAwait(false);
                break;
            }
            catch (HttpRequestException ex) when (ex.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden && identity.Credential is not null && !_credentialRefused)
            {
                // The server no longer knows this credential (a new database): join again with the join token.
                logger.LogWarning("The server at {Hub} refused this agent's credential; joining with the join token", hubUri);
                _credentialRefused = true;
            }
            catch (HttpRequestException ex) when (ex.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                logger.LogCritical("The server at {Hub} refused this agent's join token.", hubUri);
                if (StopOnRejectedToken)
                {
                    Environment.ExitCode = 2;
                    lifetime.StopApplication();
                    return;
                }

                await DelayAsync(TimeSpan.FromSeconds(10), stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Cannot reach the server at {Hub} ({Reason}); retrying in {Delay} s", failover is null ? hubUri.ToString() : string.Join(", ", failover.Servers), ex.Message, delay.TotalSeconds);
                await DelayAsync(delay, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 10));
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        await Task.WhenAll(
            HeartbeatLoopAsync(stoppingToken),
            WatchLoopAsync(stoppingToken),
            OutboxLoopAsync(stoppingToken)).ConfigureAwait(false);
    }

    private void RegisterHandlers(HubConnection connection)
    {
        connection.On<AgentCommand, CommandAck>(nameof(IAgentClient.Execute), command => runtime.Accept(command));
        connection.On(nameof(IAgentClient.ListGuests), () => runtime.ListAsync(CancellationToken.None));
        connection.On<Guid, CommandAck>(nameof(IAgentClient.OpenConsole), runtime.OpenConsoleAsync);
        connection.On<ConsoleChunk>(nameof(IAgentClient.ConsoleInput), consoles.WriteAsync);
        connection.On<ConsoleSize>(nameof(IAgentClient.ConsoleResize), consoles.ResizeAsync);
        connection.On<DisplayStream, CommandAck>(nameof(IAgentClient.OpenDisplay), stream => displays.OpenAsync(runtime.EngineOf(stream.MachineId), stream));
        connection.On<MigrationProbeRequest, MigrationProbe>(nameof(IAgentClient.ProbeMigration), migrations.ProbeAsync);
        // The server lost sight of this host while the connection stayed up (heartbeats late on a
        // loaded machine): it asks for the whole state again. Not awaited here: a registration is a
        // call to the server, and this handler runs on the connection's receive loop.
        connection.On(nameof(IAgentClient.Resync), () =>
        {
            _ = TryRegisterAsync(_dataPath, CancellationToken.None);
            return Task.CompletedTask;
        });
    }

    /// <summary>Registers (again), one registration at a time; a failure is logged (once per reason) and leaves <see cref="Registered"/> false for the next try.</summary>
    private async Task<bool> TryRegisterAsync(string dataPath, CancellationToken cancellationToken)
    {
        await _registering.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await RegisterAsync(dataPath, cancellationToken).ConfigureAwait(false);
            _registrationFailure = null;
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Registered = false;
            if (_registrationFailure != ex.Message)
            {
                _registrationFailure = ex.Message;
                logger.LogWarning("Registering with the server failed ({Reason}); trying again", ex.Message);
            }

            return false;
        }
        finally
        {
            _registering.Release();
        }
    }

    private async Task RegisterAsync(string dataPath, CancellationToken cancellationToken)
    {
        var capabilities = await probe.ProbeAsync(dataPath, cancellationToken).ConfigureAwait(false);

        // The commands under way first: every command not named has already done what the guests and holdings show.
        var running = runtime.UnderWay();
        var (guests, unlisted) = await runtime.ListAllAsync(cancellationToken).ConfigureAwait(false);
        var discarded = _discarded;
        var holdings = await runtime.HoldingsAsync(running, guests, discarded, cancellationToken).ConfigureAwait(false);
        var registration = new AgentRegistration(_hostId, options.Value.Name ?? Environment.MachineName, Version, capabilities, guests, holdings, unlisted);
        var result = await _connection!.InvokeAsync<RegistrationResult>(nameof(IAgentHub.Register), registration, cancellationToken).ConfigureAwait(false);
        if (ReferenceEquals(_discarded, discarded))
        {
            _discarded = [];
        }

        _heartbeatSeconds = Math.Max(1, result.HeartbeatSeconds);
        if (result.Credential is { Length: > 0 } credential)
        {
            identity.SaveCredential(credential);
            _credentialRefused = false;
        }

        lock (_statesLock)
        {
            _lastStates.Clear();
            foreach (var guest in guests)
            {
                _lastStates[guest.Id] = guest.State;
            }
        }

        Registered = true;
        logger.LogInformation("Registered host {Host} ({HostId}) with {Count} guests", registration.HostName, _hostId, guests.Count);
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await DelayAsync(TimeSpan.FromSeconds(_heartbeatSeconds), cancellationToken).ConfigureAwait(false);
            if (_connection?.State != HubConnectionState.Connected)
            {
                continue;
            }

            if (!Registered)
            {
                await TryRegisterAsync(_dataPath, cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                var heartbeat = new AgentHeartbeat(_hostId, DateTimeOffset.UtcNow, HostCpuPercent(), HostProbe.MemUsedBytes(), HostProbe.Disk(options.Value.Data).Free);
                await _connection.SendAsync(nameof(IAgentHub.Heartbeat), heartbeat, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogDebug(ex, "Heartbeat not sent");
            }
        }
    }

    /// <summary>Watches the guests: pushes state changes made outside a command, metrics of running guests, and keeps their consoles open.</summary>
    private async Task WatchLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await DelayAsync(TimeSpan.FromSeconds(options.Value.MetricsSeconds), cancellationToken).ConfigureAwait(false);
            if (!Registered)
            {
                continue;
            }

            try
            {
                lock (_statesLock)
                {
                    _reportedDuringList.Clear();
                }

                var guests = await runtime.ListAsync(cancellationToken).ConfigureAwait(false);
                var metrics = new List<GuestMetrics>();
                lock (_statesLock)
                {
                    // A guest a command reported after the list was taken is as that command said: the
                    // list neither changes nor removes it (it may not have existed, or been in that
                    // state, when the list was taken); the next round looks at it again.
                    var listed = guests.Select(g => g.Id).ToHashSet();
                    foreach (var guest in guests.Where(g => !_reportedDuringList.Contains(g.Id)))
                    {
                        if (!_lastStates.TryGetValue(guest.Id, out var before) || before != guest.State)
                        {
                            Enqueue(nameof(IAgentHub.GuestChanged), guest);
                        }
                    }

                    foreach (var gone in _lastStates.Keys.Where(id => !listed.Contains(id) && !_reportedDuringList.Contains(id)).ToList())
                    {
                        Enqueue(nameof(IAgentHub.GuestRemoved), gone);
                    }

                    var reported = _lastStates.Where(p => _reportedDuringList.Contains(p.Key)).ToList();
                    _lastStates.Clear();
                    foreach (var guest in guests)
                    {
                        _lastStates[guest.Id] = guest.State;
                    }

                    foreach (var (id, state) in reported)
                    {
                        _lastStates[id] = state;
                    }
                }

                foreach (var guest in guests.Where(g => g.State == MachineState.Running))
                {
                    var driver = drivers.Find<Drivers.IGuestDriver>(guest.Kind);
                    if (driver is null)
                    {
                        continue;
                    }

                    if (!consoles.IsOpen(guest.Id))
                    {
                        await consoles.OpenAsync(driver, guest.Id).ConfigureAwait(false);
                    }

                    if (await driver.GetMetricsAsync(guest.Id, cancellationToken).ConfigureAwait(false) is { } m)
                    {
                        metrics.Add(m);
                    }
                }

                if (metrics.Count > 0)
                {
                    await SendIfConnectedAsync(nameof(IAgentHub.Metrics), metrics).ConfigureAwait(false);
                }

                if (Interlocked.Exchange(ref _capabilitiesStale, 0) == 1)
                {
                    var capabilities = await probe.ProbeAsync(options.Value.Data, cancellationToken).ConfigureAwait(false);
                    Enqueue(nameof(IAgentHub.CapabilitiesChanged), capabilities);
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogDebug(ex, "Watching guests failed this round");
            }
        }
    }

    private void MarkCapabilitiesStale() => Volatile.Write(ref _capabilitiesStale, 1);

    private async Task OutboxLoopAsync(CancellationToken cancellationToken)
    {
        await foreach (var (method, argument, delivered) in _outbox.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (_connection?.State == HubConnectionState.Connected && Registered)
                {
                    try
                    {
                        await _connection.InvokeAsync(method, argument, cancellationToken).ConfigureAwait(false);
                        delivered?.Invoke();
                        break;
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                    {
                        logger.LogDebug(ex, "Sending {Method} failed; retrying", method);
                    }
                }

                await DelayAsync(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Enqueue(string method, object argument, Action? delivered = null)
    {
        // A guest a command just made or changed counts as seen, so that the watch loop reports it
        // removed even when it disappears before the loop's next look.
        if (argument is CommandResult { Guest: { } guest })
        {
            lock (_statesLock)
            {
                _lastStates[guest.Id] = guest.State;
                _reportedDuringList.Add(guest.Id);
            }
        }

        if (argument is CommandResult result && !(_connection?.State == HubConnectionState.Connected && Registered))
        {
            logger.LogInformation(
                "Command {CommandId} of operation {OperationId} ended ({Outcome}) while the server is unreachable; its outcome is held until the server is back",
                result.CommandId, result.OperationId, result.Succeeded ? "succeeded" : "failed");
        }

        _outbox.Writer.TryWrite((method, argument, delivered));
    }

    public async Task SendIfConnectedAsync(string method, object argument)
    {
        if (_connection?.State == HubConnectionState.Connected && Registered)
        {
            try
            {
                await _connection.SendAsync(method, argument).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                logger.LogDebug(ex, "{Method} not sent", method);
            }
        }
    }

    private double HostCpuPercent()
    {
        try
        {
            var parts = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            var idle = parts[3] + (parts.Length > 4 ? parts[4] : 0);
            var total = parts.Sum();
            var (lastIdle, lastTotal) = _lastCpu;
            _lastCpu = (idle, total);
            return lastTotal == 0 || total == lastTotal ? 0 : 100.0 * (1 - (double)(idle - lastIdle) / (total - lastTotal));
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        await Task.Delay(delay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await consoles.DisposeAsync().ConfigureAwait(false);
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed class BackoffRetryPolicy : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext) => retryContext.PreviousRetryCount switch
        {
            0 => TimeSpan.Zero,
            1 => TimeSpan.FromSeconds(1),
            2 => TimeSpan.FromSeconds(2),
            3 => TimeSpan.FromSeconds(5),
            _ => TimeSpan.FromSeconds(5 + Random.Shared.NextDouble() * 5),
        };
    }
}
