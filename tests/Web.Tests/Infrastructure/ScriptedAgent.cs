using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;

namespace Ringmaster.Web.Tests.Infrastructure;

/// <summary>
/// An agent the test plays: it dials the hub with the join token, registers with what the test says
/// it holds, answers guest listings from <see cref="Guests"/>, acknowledges commands and completes
/// them when the test says (or at once through <see cref="AutoComplete"/>).
/// </summary>
public sealed class ScriptedAgent : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly Channel<AgentCommand> _commands = Channel.CreateUnbounded<AgentCommand>();

    public ScriptedAgent(Uri server, string token, Guid hostId, string name)
    {
        HostId = hostId;
        Name = name;
        _connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server, AgentHubPaths.Hub), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            .Build();
        _connection.On<AgentCommand, CommandAck>(nameof(IAgentClient.Execute), command =>
        {
            Received.Add(command);
            if (AutoComplete?.Invoke(command) is { } result)
            {
                _ = Task.Run(() => CompleteAsync(result));
            }
            else
            {
                _commands.Writer.TryWrite(command);
            }

            return new CommandAck(true);
        });
        _connection.On<MigrationProbeRequest, MigrationProbe>(nameof(IAgentClient.ProbeMigration), request =>
            ProbeAnswer?.Invoke(request) ?? throw new HubException("This agent answers no migration probe."));
        // The console of a guest this agent holds: input is answered as a shell on this host would.
        _connection.On<Guid, CommandAck>(nameof(IAgentClient.OpenConsole), machineId =>
            Guests.ContainsKey(machineId) ? new CommandAck(true) : new CommandAck(false, "No such guest on this host."));
        _connection.On<ConsoleChunk>(nameof(IAgentClient.ConsoleInput), chunk =>
            Guests.ContainsKey(chunk.MachineId) && ConsoleShell?.Invoke(Encoding.UTF8.GetString(chunk.Data)) is { } answer
                ? SendConsoleOutputAsync(chunk.MachineId, answer)
                : Task.CompletedTask);
        _connection.On(nameof(IAgentClient.ListGuests), async () =>
        {
            await ListingGate.Task;
            return (IReadOnlyList<GuestInfo>)[.. Guests.Values];
        });
    }

    public Guid HostId { get; }

    public string Name { get; }

    /// <summary>The guests this agent says it has (listings and registrations).</summary>
    public ConcurrentDictionary<Guid, GuestInfo> Guests { get; } = new();

    /// <summary>Every command the server sent, in order.</summary>
    public ConcurrentBag<AgentCommand> Received { get; } = [];

    /// <summary>Completes a command at once with the result this returns (null: the test completes it).</summary>
    public Func<AgentCommand, CommandResult?>? AutoComplete { get; set; }

    /// <summary>How this agent answers a migration's pre-flight probe (null: it fails, as an agent without migrations would).</summary>
    public Func<MigrationProbeRequest, MigrationProbe>? ProbeAnswer { get; set; }

    /// <summary>What a guest's console prints for the input typed into it (null: nothing), while this agent holds the guest.</summary>
    public Func<string, string?>? ConsoleShell { get; set; }

    /// <summary>Listings wait for this (completed unless a test holds them back).</summary>
    public TaskCompletionSource ListingGate { get; set; } = Completed();

    public static readonly HostCapabilities Capabilities = new("Test CPU", 4, 8L << 30, 1L << 30, 2L << 30, [], false, null, false, null, false, false, "not present",
        new ContainerEngineInfo("podman", "4.3", "unix:///run/podman/podman.sock"), "0", "rv64imafdc_zicsr_zifencei", "Linux", "x64");

    public static GuestInfo Guest(Guid id, string name, MachineState state, MachineKind kind = MachineKind.Container) =>
        new(id, name, kind, state, kind == MachineKind.Vm ? "default" : "ringmaster/busybox:latest", new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]), new Dictionary<string, string>());

    public async Task ConnectAsync(AgentHoldings? holdings = null)
    {
        await _connection.StartAsync();
        await RegisterAsync(holdings);
    }

    public Task<RegistrationResult> RegisterAsync(AgentHoldings? holdings = null) =>
        _connection.InvokeAsync<RegistrationResult>(nameof(IAgentHub.Register),
            new AgentRegistration(HostId, Name, "test", Capabilities, [.. Guests.Values], holdings ?? new AgentHoldings([], [], [], [])));

    /// <summary>The next command the server sent that the test has to complete.</summary>
    public async Task<AgentCommand> NextCommandAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await _commands.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Pushes guests' figures as an agent does (returns once the server has taken them).</summary>
    public Task SendMetricsAsync(IReadOnlyList<GuestMetrics> metrics) => _connection.InvokeAsync(nameof(IAgentHub.Metrics), metrics);

    /// <summary>Sends a heartbeat with the host's figures at <paramref name="at"/>.</summary>
    public Task HeartbeatAsync(DateTimeOffset at, double cpuPercent, long memoryUsedBytes) =>
        _connection.InvokeAsync(nameof(IAgentHub.Heartbeat), new AgentHeartbeat(HostId, at, cpuPercent, memoryUsedBytes, 1L << 30));

    /// <summary>Reports a guest's new state, as an agent does when its engine tells it.</summary>
    public Task GuestChangedAsync(GuestInfo guest)
    {
        Guests[guest.Id] = guest;
        return _connection.InvokeAsync(nameof(IAgentHub.GuestChanged), guest);
    }

    /// <summary>Streams console output of a guest to the server, as an agent's console session does.</summary>
    public Task SendConsoleOutputAsync(Guid machineId, string text) =>
        _connection.InvokeAsync(nameof(IAgentHub.ConsoleOutput), new ConsoleChunk(machineId, Encoding.UTF8.GetBytes(text)));

    public Task CompleteAsync(CommandResult result) => _connection.InvokeAsync(nameof(IAgentHub.CommandCompleted), result);

    public static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
