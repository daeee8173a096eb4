using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;

namespace Ringmaster.Web.Tests.Infrastructure;

/// <summary>
/// An agent played by the test: it registers an online host with a container engine and the
/// built-in images, beats its heart as a real agent does (or the host goes offline and its pending
/// commands fail), accepts every command and never finishes one (what the server decides before
/// the guest work is what the tests look at).
/// </summary>
public sealed class FakeAgent : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private Task _heartbeats = Task.CompletedTask;

    private FakeAgent(HubConnection connection) => _connection = connection;

    public Guid HostId { get; } = Guid.NewGuid();

    public ConcurrentQueue<AgentCommand> Commands { get; } = new();

    public static async Task<FakeAgent> StartAsync(Uri server, string joinToken, string name)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server, AgentHubPaths.Hub), o => o.AccessTokenProvider = () => Task.FromResult<string?>(joinToken))
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            .Build();
        var agent = new FakeAgent(connection);
        connection.On<AgentCommand, CommandAck>(nameof(IAgentClient.Execute), command =>
        {
            agent.Commands.Enqueue(command);
            return new CommandAck(true);
        });
        connection.On<IReadOnlyList<GuestInfo>>(nameof(IAgentClient.ListGuests), () => []);
        await connection.StartAsync();
        var capabilities = new HostCapabilities("Test CPU", 8, 64L << 30, 100L << 30, 200L << 30, [], false, null, false, null, false, false, "not present",
            new ContainerEngineInfo("podman", "4.3", "unix:///run/podman/podman.sock"), "0", "rv64", "Linux", "x64", null, new HostImages(["default"], [], null));
        var registered = await connection.InvokeAsync<RegistrationResult>(nameof(IAgentHub.Register), new AgentRegistration(agent.HostId, name, "test", capabilities, []));
        agent._heartbeats = agent.BeatAsync(TimeSpan.FromSeconds(registered.HeartbeatSeconds));
        return agent;
    }

    private async Task BeatAsync(TimeSpan every)
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await _connection.SendAsync(nameof(IAgentHub.Heartbeat), new AgentHeartbeat(HostId, DateTimeOffset.UtcNow, 1, 1L << 30, 100L << 30), _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _heartbeats.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _connection.DisposeAsync();
        _stop.Dispose();
    }
}
