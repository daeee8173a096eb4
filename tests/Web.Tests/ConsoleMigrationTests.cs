using Ringmaster.Contracts;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// A console open while its VM moves live to another host follows the machine: the viewer is told
/// it moved, and what is typed afterwards reaches the machine on its new host, whose answer shows,
/// on the same socket and without opening it again.
/// </summary>
public sealed class ConsoleMigrationTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private HttpClient _client = null!;
    private ScriptedAgent _source = null!;
    private ScriptedAgent _target = null!;
    private readonly Guid _vm = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        _source = Agent("console-a");
        _target = Agent("console-b");
        _source.Guests[_vm] = ScriptedAgent.Guest(_vm, "roaming", MachineState.Running, MachineKind.Vm);

        // The source sends the VM and lets go of it when told; the target receives it running.
        _source.AutoComplete = command => command.Kind switch
        {
            AgentCommandKind.MigrateOut => new CommandResult(command.CommandId, true, null, null, Migration: new MigrationFigures(4096, 1, 1)),
            AgentCommandKind.Delete => Remove(_source, command),
            _ => null,
        };
        _target.AutoComplete = command => command.Kind == AgentCommandKind.MigrateIn
            ? Receive(_target, command)
            : null;
        await _source.ConnectAsync();
        await _target.ConnectAsync();
    }

    private ScriptedAgent Agent(string name)
    {
        var agent = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), name)
        {
            // Both hold the VM's image: the source names its files, the target has them all.
            ProbeAnswer = request => new MigrationProbe(true, true, true, new ImageManifest(request.Image, []), null),
        };
        agent.ConsoleShell = typed => typed == "hostname\r" ? $"hostname\r\n{agent.Name}\r\n" : null;
        return agent;
    }

    private static CommandResult Remove(ScriptedAgent agent, AgentCommand command)
    {
        agent.Guests.TryRemove(command.MachineId, out _);
        return new CommandResult(command.CommandId, true, null, null);
    }

    private static CommandResult Receive(ScriptedAgent agent, AgentCommand command)
    {
        var guest = ScriptedAgent.Guest(command.MachineId, command.Definition!.Name, MachineState.Running, MachineKind.Vm);
        agent.Guests[command.MachineId] = guest;
        return new CommandResult(command.CommandId, true, guest, null, Migration: new MigrationFigures(4096, 1, 1, DowntimeMs: 5));
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        await _target.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Console_OpenDuringLiveMigration_FollowsTheVmToItsNewHostAndTypingWorks()
    {
        var api = new ApiClient(_client);
        await using var console = await api.OpenConsoleAsync(_vm.ToString());
        await console.TypeAsync("hostname\r");
        await console.ReadUntilAsync(seen => seen.Contains("console-a\r\n", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.Contains("console-a\r\n", console.Seen);

        var operationId = await api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{_vm}/migrate", new { host = "console-b", live = true });
        await api.WaitSucceededAsync(operationId, TimeSpan.FromMinutes(1));
        Assert.Equal("console-b", (await api.MachineAsync(_vm.ToString())).GetProperty("host").GetString());

        // The same socket says where the console went, then takes typing there.
        await console.ReadUntilAsync(seen => seen.Contains("Reconnected after the move to console-b.", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.Contains("Reconnected after the move to console-b.", console.Seen);
        await console.TypeAsync("hostname\r");
        await console.ReadUntilAsync(seen => seen.Contains("console-b\r\n", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.Contains("console-b\r\n", console.Seen);
    }
}
