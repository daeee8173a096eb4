using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Operations a stop of the server interrupted, settled at the next start against what agents
/// report: the database is left as a crash leaves it, the server starts on it, and agents the test
/// plays report what they hold. Also: a delete of a machine with nothing behind it, and what was
/// queued behind a delete.
/// </summary>
public sealed class InterruptedOperationTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private readonly List<ScriptedAgent> _agents = [];
    private readonly Guid _hostId = Guid.NewGuid();
    private HttpClient _client = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await _factory.DisposeAsync();
    }

    private string Database => Path.Combine(_factory.DataPath, "ringmaster.db");

    /// <summary>The app's database, opened as the app opens it: its SQLite file, or its database on PostgreSQL (RINGMASTER_TEST_DATABASE=postgres).</summary>
    private RingmasterDbContext Open() => DatabaseProvider.IsPostgres(_factory.ConnectionString)
        ? new PostgresRingmasterDbContext(new DbContextOptionsBuilder<RingmasterDbContext>().UseNpgsql(_factory.ConnectionString).Options)
        : new RingmasterDbContext(new DbContextOptionsBuilder<RingmasterDbContext>().UseSqlite($"Data Source={Database}").Options);

    /// <summary>The database as the stopped server left it.</summary>
    private async Task LeftBehindAsync(Action<RingmasterDbContext> seed)
    {
        await using var db = Open();
        await db.Database.MigrateAsync();
        seed(db);
        await db.SaveChangesAsync();
    }

    private void Start() => _client = _factory.StartKestrel();

    private async Task<ScriptedAgent> AgentAsync(Guid hostId, string name, Action<ScriptedAgent>? prepare = null, AgentHoldings? holdings = null)
    {
        var agent = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, hostId, name);
        _agents.Add(agent);
        prepare?.Invoke(agent);
        await agent.ConnectAsync(holdings);
        return agent;
    }

    private static HostEntity Host(Guid id, string name) => new() { Id = id, Name = name, RegisteredAt = DateTime.UtcNow, Online = true };

    private static MachineEntity Machine(Guid id, string name, Guid hostId, MachineState state, MachineKind kind = MachineKind.Container) => new()
    {
        Id = id,
        Name = name,
        Kind = kind,
        Template = kind == MachineKind.Vm ? "default" : "busybox",
        Image = kind == MachineKind.Vm ? "default" : "ringmaster/busybox:latest",
        Spec = new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]),
        HostId = hostId,
        State = state,
        CreatedAt = DateTime.UtcNow,
        UpdatedAt = DateTime.UtcNow,
    };

    private static OperationEntity Operation(string kind, Guid? machineId, string target, OperationStatus state, OperationIntent intent) => new()
    {
        Id = Guid.NewGuid(),
        Kind = OperationKinds.Parse(kind),
        MachineId = machineId,
        Target = target,
        User = "admin",
        CreatedAt = DateTime.UtcNow,
        StartedAt = state == OperationStatus.Running ? DateTime.UtcNow : null,
        State = state,
        Message = state.ToString(),
        Intent = intent,
    };

    private Task<JsonElement> EndedAsync(Guid operationId) =>
        HttpJson.EventuallyAsync(
            async () => await (await _client.GetAsync($"/api/v1/operations/{operationId}")).ReadJsonAsync(),
            o => o.GetProperty("state").GetString() is "Succeeded" or "Failed" or "Cancelled",
            TimeSpan.FromSeconds(30), $"operation {operationId} to be settled");

    private async Task<List<EventEntity>> EventsAsync(string type)
    {
        await using var db = Open();
        return await db.Events.AsNoTracking().Where(e => e.Type == type).ToListAsync();
    }

    [Fact]
    public async Task Restart_CreateWhoseGuestTheAgentHas_SucceedsWithTheMachineAsReported()
    {
        var machineId = Guid.NewGuid();
        var create = Operation("machine.create", machineId, "made-1", OperationStatus.Running, new OperationIntent { HostId = _hostId, NewMachineId = machineId, Start = true });
        await LeftBehindAsync(db =>
        {
            db.Hosts.Add(Host(_hostId, "h1"));
            db.Machines.Add(Machine(machineId, "made-1", _hostId, MachineState.Creating));
            db.Operations.Add(create);
        });
        Start();

        await AgentAsync(_hostId, "h1", a => a.Guests[machineId] = ScriptedAgent.Guest(machineId, "made-1", MachineState.Running));
        var settled = await EndedAsync(create.Id);

        Assert.Equal("Succeeded", settled.GetProperty("state").GetString());
        Assert.Contains("The server restarted while this operation ran", settled.GetProperty("log").GetString());
        Assert.Contains("h1 reports made-1 (Running)", settled.GetProperty("log").GetString());
        var machine = await (await _client.GetAsync($"/api/v1/machines/{machineId}")).ReadJsonAsync();
        Assert.Equal("Running", machine.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Restart_CreateTheAgentNeverMade_UndoneMachineRemovedAndFailed()
    {
        var machineId = Guid.NewGuid();
        var create = Operation("machine.create", machineId, "unmade-1", OperationStatus.Running, new OperationIntent { HostId = _hostId, NewMachineId = machineId, Start = true });
        await LeftBehindAsync(db =>
        {
            db.Hosts.Add(Host(_hostId, "h1"));
            db.Machines.Add(Machine(machineId, "unmade-1", _hostId, MachineState.Creating));
            db.Operations.Add(create);
        });
        Start();

        var agent = await AgentAsync(_hostId, "h1", a => a.AutoComplete = c => new CommandResult(c.CommandId, true, null, null));
        var settled = await EndedAsync(create.Id);

        Assert.Equal("Failed", settled.GetProperty("state").GetString());
        Assert.Contains("before h1 had made unmade-1", settled.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/machines/{machineId}")).StatusCode);
        Assert.Contains(agent.Received, c => c.Kind == AgentCommandKind.Delete && c.MachineId == machineId);
        Assert.Single(await EventsAsync("machine.removed"));
    }

    [Fact]
    public async Task Restart_QueuedCreate_CancelledAndItsMachineRecordRemoved()
    {
        var machineId = Guid.NewGuid();
        var create = Operation("machine.create", machineId, "queued-1", OperationStatus.Queued, new OperationIntent { HostId = _hostId, NewMachineId = machineId });
        await LeftBehindAsync(db =>
        {
            db.Hosts.Add(Host(_hostId, "h1"));
            db.Machines.Add(Machine(machineId, "queued-1", _hostId, MachineState.Creating));
            db.Operations.Add(create);
        });

        Start();
        var settled = await EndedAsync(create.Id);

        Assert.Equal("Cancelled", settled.GetProperty("state").GetString());
        Assert.Contains("before this operation began", settled.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/machines/{machineId}")).StatusCode);
    }

    [Fact]
    public async Task Restart_HostThatDoesNotComeBack_SettledAsNotKnownAfterTheGrace()
    {
        var machineId = Guid.NewGuid();
        var take = Operation("snapshot.create", machineId, "far-1", OperationStatus.Running, new OperationIntent { HostId = _hostId, SnapshotId = Guid.NewGuid(), SnapshotName = "s1" });
        await LeftBehindAsync(db =>
        {
            db.Hosts.Add(Host(_hostId, "gone-host"));
            db.Machines.Add(Machine(machineId, "far-1", _hostId, MachineState.Running, MachineKind.Vm));
            db.Operations.Add(take);
        });
        _factory.Settings["Recovery:HostGraceSeconds"] = "2";

        Start();
        var settled = await EndedAsync(take.Id);

        Assert.Contains("waiting for gone-host to report what it did", settled.GetProperty("log").GetString());
        Assert.Equal("Failed", settled.GetProperty("state").GetString());
        Assert.Contains("gone-host has not reported since; what it did is not known", settled.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Restart_SnapshotTheAgentHolds_AdoptedAndOperationSucceeds()
    {
        var machineId = Guid.NewGuid();
        var snapshotId = Guid.NewGuid();
        var take = Operation("snapshot.create", machineId, "vm-1", OperationStatus.Running, new OperationIntent { HostId = _hostId, SnapshotId = snapshotId, SnapshotName = "before-upgrade" });
        await LeftBehindAsync(db =>
        {
            db.Hosts.Add(Host(_hostId, "h1"));
            db.Machines.Add(Machine(machineId, "vm-1", _hostId, MachineState.Running, MachineKind.Vm));
            db.Operations.Add(take);
        });
        Start();

        var held = new SnapshotInfo(snapshotId, "before-upgrade", null, null, true, DateTimeOffset.UtcNow, 4096);
        await AgentAsync(_hostId, "h1", a => a.Guests[machineId] = ScriptedAgent.Guest(machineId, "vm-1", MachineState.Stopped, MachineKind.Vm),
            new AgentHoldings([], [new GuestSnapshots(machineId, [held])], [], []));
        var settled = await EndedAsync(take.Id);

        Assert.Equal("Succeeded", settled.GetProperty("state").GetString());
        Assert.Equal(snapshotId, settled.GetProperty("result").GetProperty("id").GetGuid());
        Assert.Contains("found on h1 and recorded", settled.GetProperty("log").GetString());
        var tree = await (await _client.GetAsync($"/api/v1/machines/{machineId}/snapshots")).ReadJsonAsync();
        Assert.Contains(tree.EnumerateArray(), s => s.GetProperty("name").GetString() == "before-upgrade" && s.GetProperty("includesMemory").GetBoolean());
        Assert.Single(await EventsAsync("snapshot.adopted"));

        // The name is the inventory's now: taking another snapshot by that name is refused by the server, in words.
        var again = await _client.PostAsJsonAsync($"/api/v1/machines/{machineId}/snapshots", new { name = "before-upgrade" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Restart_BackupStillUnderWayOnTheAgent_SettledWhenItsOutcomeArrives()
    {
        var machineId = Guid.NewGuid();
        var backupId = Guid.NewGuid();
        var backup = Operation("machine.backup", machineId, "vm-2", OperationStatus.Running, new OperationIntent { HostId = _hostId, BackupId = backupId });
        await LeftBehindAsync(db =>
        {
            db.Hosts.Add(Host(_hostId, "h1"));
            db.Machines.Add(Machine(machineId, "vm-2", _hostId, MachineState.Running, MachineKind.Vm));
            db.Operations.Add(backup);
        });
        Start();

        var commandId = Guid.NewGuid();
        var agent = await AgentAsync(_hostId, "h1", a => a.Guests[machineId] = ScriptedAgent.Guest(machineId, "vm-2", MachineState.Running, MachineKind.Vm),
            new AgentHoldings([new CommandUnderWay(commandId, backup.Id, AgentCommandKind.Backup, machineId)], [new GuestSnapshots(machineId, [])], [], []));
        var waiting = await HttpJson.EventuallyAsync(
            async () => await (await _client.GetAsync($"/api/v1/operations/{backup.Id}")).ReadJsonAsync(),
            o => o.GetProperty("log").GetString()!.Contains("still carrying out its part"), TimeSpan.FromSeconds(30), "the backup to wait for its agent");
        Assert.Equal("Running", waiting.GetProperty("state").GetString());

        // The agent finishes while the new server runs: its outcome, sent to the server that stopped, comes now.
        var info = new BackupInfo(backupId, machineId, "vm-2", MachineKind.Vm, null, true, DateTimeOffset.UtcNow, 1 << 20, 1L << 30, 12, "/store/x.rmbak");
        await agent.CompleteAsync(new CommandResult(commandId, true, null, null, Backup: info, OperationId: backup.Id));
        var settled = await EndedAsync(backup.Id);

        Assert.Equal("Succeeded", settled.GetProperty("state").GetString());
        Assert.Contains("finished its part while the server was down", settled.GetProperty("log").GetString());
        var recorded = await (await _client.GetAsync($"/api/v1/backups/{backupId}")).ReadJsonAsync();
        Assert.Equal("h1", recorded.GetProperty("host").GetString());
        Assert.Single(await EventsAsync("backup.adopted"));
    }

    [Fact]
    public async Task Register_LeftoversTheAgentRemoved_InAnEventAndTheOperationsLog()
    {
        var machineId = Guid.NewGuid();
        var take = Operation("snapshot.create", machineId, "vm-3", OperationStatus.Running, new OperationIntent { HostId = _hostId, SnapshotId = Guid.NewGuid(), SnapshotName = "half" });
        await LeftBehindAsync(db =>
        {
            db.Hosts.Add(Host(_hostId, "h1"));
            db.Machines.Add(Machine(machineId, "vm-3", _hostId, MachineState.Running, MachineKind.Vm));
            db.Operations.Add(take);
        });
        Start();

        var leftover = new DiscardedLeftover("the memory of an unfinished snapshot of VM vm-3 (x.state.tmp)", machineId, 128 << 20);
        await AgentAsync(_hostId, "h1", a => a.Guests[machineId] = ScriptedAgent.Guest(machineId, "vm-3", MachineState.Stopped, MachineKind.Vm),
            new AgentHoldings([], [new GuestSnapshots(machineId, [])], [], [leftover]));
        var settled = await EndedAsync(take.Id);

        Assert.Equal("Failed", settled.GetProperty("state").GetString());
        Assert.Contains("before snapshot half was complete", settled.GetProperty("error").GetString());
        Assert.Contains("h1 removed the memory of an unfinished snapshot of VM vm-3", settled.GetProperty("log").GetString());
        var removed = Assert.Single(await EventsAsync("leftover.removed"));
        Assert.Equal(machineId, removed.MachineId);
    }

    [Fact]
    public async Task Restart_MigrationTheTargetHasWhole_FinishedOnTargetAndSourceCopyRemoved()
    {
        var machineId = Guid.NewGuid();
        var targetId = Guid.NewGuid();
        var move = Operation("machine.migrate", machineId, "vm-4", OperationStatus.Running, new OperationIntent { HostId = _hostId, TargetHostId = targetId, PreviousState = MachineState.Running });
        await LeftBehindAsync(db =>
        {
            db.Hosts.Add(Host(_hostId, "source"));
            db.Hosts.Add(Host(targetId, "target"));
            db.Machines.Add(Machine(machineId, "vm-4", _hostId, MachineState.Migrating, MachineKind.Vm));
            db.Operations.Add(move);
        });
        Start();

        var target = await AgentAsync(targetId, "target", a => a.Guests[machineId] = ScriptedAgent.Guest(machineId, "vm-4", MachineState.Running, MachineKind.Vm));
        var source = await AgentAsync(_hostId, "source", a =>
        {
            a.Guests[machineId] = ScriptedAgent.Guest(machineId, "vm-4", MachineState.Migrating, MachineKind.Vm);
            a.AutoComplete = c => new CommandResult(c.CommandId, true, null, null);
        });
        var settled = await EndedAsync(move.Id);

        Assert.Equal("Succeeded", settled.GetProperty("state").GetString());
        Assert.Contains("Removed the copy left on source", settled.GetProperty("log").GetString());
        var machine = await (await _client.GetAsync($"/api/v1/machines/{machineId}")).ReadJsonAsync();
        Assert.Equal(("target", "Running"), (machine.GetProperty("host").GetString(), machine.GetProperty("state").GetString()));
        Assert.Contains(source.Received, c => c.Kind == AgentCommandKind.Delete && c.MachineId == machineId);
        Assert.DoesNotContain(target.Received, c => c.Kind == AgentCommandKind.Delete);
    }

    [Fact]
    public async Task Restart_AgentRegistersAgainNamingACommandWhoseOutcomeCame_NotWaitedForAndSettled()
    {
        var machineId = Guid.NewGuid();
        var targetId = Guid.NewGuid();
        var move = Operation("machine.migrate", machineId, "vm-5", OperationStatus.Running, new OperationIntent { HostId = _hostId, TargetHostId = targetId, PreviousState = MachineState.Running });
        await LeftBehindAsync(db =>
        {
            db.Hosts.Add(Host(_hostId, "source"));
            db.Hosts.Add(Host(targetId, "target"));
            db.Machines.Add(Machine(machineId, "vm-5", _hostId, MachineState.Migrating, MachineKind.Vm));
            db.Operations.Add(move);
        });
        Start();

        // The target is still receiving when it registers; its outcome comes next.
        var receiving = new AgentHoldings([new CommandUnderWay(Guid.NewGuid(), move.Id, AgentCommandKind.MigrateIn, machineId)], [], [], []);
        var target = await AgentAsync(targetId, "target", a => a.Guests[machineId] = ScriptedAgent.Guest(machineId, "vm-5", MachineState.Running, MachineKind.Vm), receiving);
        await HttpJson.EventuallyAsync(
            async () => await (await _client.GetAsync($"/api/v1/operations/{move.Id}")).ReadJsonAsync(),
            o => o.GetProperty("log").GetString()!.Contains("still carrying out its part"), TimeSpan.FromSeconds(30), "the move to wait for its target");
        await target.CompleteAsync(new CommandResult(receiving.Running[0].CommandId, true, null, null, OperationId: move.Id));

        // A registration again (the server asked for it on late heartbeats) whose list was taken before the outcome went.
        await target.RegisterAsync(receiving);
        await AgentAsync(_hostId, "source", a =>
        {
            a.Guests[machineId] = ScriptedAgent.Guest(machineId, "vm-5", MachineState.Migrating, MachineKind.Vm);
            a.AutoComplete = c => new CommandResult(c.CommandId, true, null, null);
        });
        var settled = await EndedAsync(move.Id);

        Assert.Equal("Succeeded", settled.GetProperty("state").GetString());
        Assert.Contains("target finished its part while the server was down", settled.GetProperty("log").GetString());
        var machine = await (await _client.GetAsync($"/api/v1/machines/{machineId}")).ReadJsonAsync();
        Assert.Equal(("target", "Running"), (machine.GetProperty("host").GetString(), machine.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task Register_CopyOfAnotherHostsMachine_RemovedOnceItsOwnHostHasIt()
    {
        var machineId = Guid.NewGuid();
        var otherId = Guid.NewGuid();
        await LeftBehindAsync(db =>
        {
            db.Hosts.Add(Host(_hostId, "owner"));
            db.Hosts.Add(Host(otherId, "other"));
            db.Machines.Add(Machine(machineId, "vm-5", _hostId, MachineState.Running, MachineKind.Vm));
        });
        Start();

        // A move that failed after the target had it all, the target out of reach then: it still has a copy.
        var copy = await AgentAsync(otherId, "other", a =>
        {
            a.Guests[machineId] = ScriptedAgent.Guest(machineId, "vm-5", MachineState.Running, MachineKind.Vm);
            a.AutoComplete = c => new CommandResult(c.CommandId, true, null, null);
        });
        await AgentAsync(_hostId, "owner", a => a.Guests[machineId] = ScriptedAgent.Guest(machineId, "vm-5", MachineState.Running, MachineKind.Vm));
        await HttpJson.EventuallyAsync(() => Task.FromResult(copy.Received.Any(c => c.Kind == AgentCommandKind.Delete && c.MachineId == machineId)), sent => sent,
            TimeSpan.FromSeconds(30), "the copy to be deleted");

        var machine = await (await _client.GetAsync($"/api/v1/machines/{machineId}")).ReadJsonAsync();
        Assert.Equal("owner", machine.GetProperty("host").GetString());
        var removed = await HttpJson.EventuallyAsync(() => EventsAsync("machine.copy-removed"), e => e.Count > 0, TimeSpan.FromSeconds(30), "the event");
        Assert.Equal("other had a copy of machine vm-5, which is on owner: the copy is removed.", Assert.Single(removed).Message);
    }

    [Fact]
    public async Task Delete_MachineStuckCreatingWithNothingBehindIt_Deleted()
    {
        var machineId = Guid.NewGuid();
        await LeftBehindAsync(db =>
        {
            db.Hosts.Add(Host(_hostId, "h1"));
            db.Machines.Add(Machine(machineId, "stuck-1", _hostId, MachineState.Creating));
        });
        // No offline sweep before the agent is back: on a loaded machine the agent may register after it, and
        // the sweep would show the machine Unknown, then Lost once the agent does not report it (deleted as a record only).
        _factory.Settings["Agent:OfflineAfterSeconds"] = "600";
        Start();

        // The host answers commands but holds back its listings, so nothing settles the machine before the delete does.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var agent = await AgentAsync(_hostId, "h1", a =>
        {
            a.ListingGate = held;
            a.AutoComplete = c => new CommandResult(c.CommandId, true, null, null);
        });
        var deleted = await _client.DeleteAsync($"/api/v1/machines/{machineId}");
        var body = await deleted.Content.ReadAsStringAsync();
        Assert.True(deleted.StatusCode == HttpStatusCode.Accepted, $"DELETE answered {(int)deleted.StatusCode}: {body}");
        var operation = await EndedAsync(JsonDocument.Parse(body).RootElement.GetProperty("operation").GetProperty("id").GetGuid());
        held.SetResult();

        Assert.Equal("Succeeded", operation.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/machines/{machineId}")).StatusCode);
        Assert.Contains(agent.Received, c => c.Kind == AgentCommandKind.Delete && c.MachineId == machineId);
    }

    [Fact]
    public async Task Restore_QueuedBehindADelete_CancelledSayingTheMachineWasDeletedAndNeverSent()
    {
        var machineId = Guid.NewGuid();
        var backupId = Guid.NewGuid();
        await LeftBehindAsync(db =>
        {
            db.Hosts.Add(Host(_hostId, "h1"));
            db.Machines.Add(Machine(machineId, "web-1", _hostId, MachineState.Running));
            db.Backups.Add(new BackupEntity { Id = backupId, MachineId = machineId, MachineName = "web-1", Kind = MachineKind.Container, HostId = _hostId, CreatedAt = DateTime.UtcNow, Image = "ringmaster/busybox:latest" });
        });
        Start();
        var agent = await AgentAsync(_hostId, "h1", a => a.Guests[machineId] = ScriptedAgent.Guest(machineId, "web-1", MachineState.Running));

        // A snapshot holds the machine; a delete and then a restore queue behind it.
        var snapshot = await StartAsync(HttpMethod.Post, $"/api/v1/machines/{machineId}/snapshots", new { name = "s1" });
        var taking = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        var delete = await StartAsync(HttpMethod.Delete, $"/api/v1/machines/{machineId}");
        var restore = await StartAsync(HttpMethod.Post, $"/api/v1/backups/{backupId}/restore", new { });

        agent.AutoComplete = c => new CommandResult(c.CommandId, true, null, null, OperationId: c.OperationId);
        await agent.CompleteAsync(new CommandResult(taking.CommandId, true, agent.Guests[machineId], null, Snapshot: new SnapshotInfo(taking.Snapshot!.SnapshotId, "s1", null, null, false, DateTimeOffset.UtcNow, 0)));
        Assert.Equal("Succeeded", (await EndedAsync(snapshot)).GetProperty("state").GetString());
        Assert.Equal("Succeeded", (await EndedAsync(delete)).GetProperty("state").GetString());
        var cancelled = await EndedAsync(restore);

        Assert.Equal("Cancelled", cancelled.GetProperty("state").GetString());
        Assert.Contains("web-1", cancelled.GetProperty("error").GetString());
        Assert.Contains("deleted", cancelled.GetProperty("error").GetString());
        Assert.DoesNotContain(agent.Received, c => c.Kind == AgentCommandKind.Restore);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/api/v1/machines/{machineId}")).StatusCode);
    }

    private async Task<Guid> StartAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("operation").GetProperty("id").GetGuid();
    }
}
