using System.Net;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// A command tells its agent how long the server waits for its outcome, so the agent does not give
/// up on a 30-minute backup after its default quarter of an hour while the server still waits.
/// </summary>
public sealed class AgentCommandTimeoutTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private ScriptedAgent _agent = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        _agent = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "timed");
        var id = Guid.NewGuid();
        _agent.Guests[id] = ScriptedAgent.Guest(id, "slow-vm", MachineState.Running, MachineKind.Vm);
        await _agent.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Backup_CommandCarriesTheServersWait_AndTheAgentKeepsItThatLong()
    {
        var response = await _client.PostAsync("/api/v1/machines/slow-vm/backups", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var command = await _agent.NextCommandAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(AgentCommandKind.Backup, command.Kind);
        Assert.Equal((int)BackupService.BackupTimeout.TotalSeconds, command.TimeoutSeconds);
        Assert.Equal(BackupService.BackupTimeout, command.TimeLimit());
        Assert.True(command.TimeLimit() > AgentCommand.DefaultTimeout);
    }

    [Fact]
    public async Task Stop_CommandCarriesTheActionsWait()
    {
        var response = await _client.PostAsync("/api/v1/machines/slow-vm/stop", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var command = await _agent.NextCommandAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(AgentCommandKind.Act, command.Kind);
        Assert.Equal(MachineService.ActionTimeout, command.TimeLimit());
    }

    [Fact]
    public async Task Stop_WithoutATimeout_LeavesItToTheEngine()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync("/api/v1/machines/slow-vm/stop", null)).StatusCode);

        var command = await _agent.NextCommandAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((GuestAction.Stop, (int?)null), (command.Action, command.StopTimeoutSeconds));
    }

    [Fact]
    public async Task Restart_WithATimeout_CarriesItAndTheServerWaitsAMinuteLonger()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync("/api/v1/machines/slow-vm/restart?timeout=300", null)).StatusCode);

        var command = await _agent.NextCommandAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((GuestAction.Restart, (int?)300), (command.Action, command.StopTimeoutSeconds));
        Assert.Equal(TimeSpan.FromSeconds(360), command.TimeLimit());
    }

    [Theory]
    [InlineData("stop?timeout=601", "The timeout is in seconds, from 0 (force at once) to 600; 601 is outside.")]
    [InlineData("stop?timeout=-1", "The timeout is in seconds, from 0 (force at once) to 600; -1 is outside.")]
    [InlineData("pause?timeout=5", "A timeout applies only to stop and restart, not to pause.")]
    public async Task Act_BadTimeout_ValidationProblemOnTimeoutAndNoCommand(string action, string message)
    {
        var response = await _client.PostAsync($"/api/v1/machines/slow-vm/{action}", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadJsonAsync();
        Assert.Equal(message, problem.GetProperty("errors").GetProperty("timeout")[0].GetString());
        Assert.Empty(_agent.Received);
    }

    [Fact]
    public void CommandWithoutTimeout_AgentsDefault() =>
        Assert.Equal(AgentCommand.DefaultTimeout, new AgentCommand(Guid.NewGuid(), Guid.NewGuid(), AgentCommandKind.Act, Guid.NewGuid()).TimeLimit());
}
