using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>Placement refuses a host whose machines would be given more memory than Placement:MemoryOvercommitRatio times what it has.</summary>
public sealed class PlacementTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private ScriptedAgent _agent = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        _agent = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "eight-gig");
        await _agent.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Create_MemoryBeyondTheOvercommitRatio_ConflictSaysWhyAndWithinItIsAccepted()
    {
        // The host has 8 GiB: at the default 1.5× its machines may be given 12288 MiB.
        using var within = await _client.PostAsJsonAsync("/api/v1/machines", new { name = "fits", template = "busybox", memoryMiB = 12000, host = "eight-gig", start = false });
        Assert.Equal(HttpStatusCode.Accepted, within.StatusCode);

        using var named = await _client.PostAsJsonAsync("/api/v1/machines", new { name = "too-big", template = "busybox", memoryMiB = 300, host = "eight-gig" });
        Assert.Equal(HttpStatusCode.Conflict, named.StatusCode);
        Assert.Contains("eight-gig has 8192 MiB of memory and its machines are given 12000 MiB; 300 MiB more would pass the limit of 1.5× (12288 MiB",
            (await named.ReadJsonAsync()).GetProperty("detail").GetString());

        using var placed = await _client.PostAsJsonAsync("/api/v1/machines", new { name = "too-big", template = "busybox", memoryMiB = 300 });
        Assert.Equal(HttpStatusCode.Conflict, placed.StatusCode);
        Assert.Contains("No host has room for the memory", (await placed.ReadJsonAsync()).GetProperty("detail").GetString());

        using var small = await _client.PostAsJsonAsync("/api/v1/machines", new { name = "small", template = "busybox", memoryMiB = 288, start = false });
        Assert.Equal(HttpStatusCode.Accepted, small.StatusCode);
    }

    [Fact]
    public async Task CloneAndRestoreAsNew_MemoryBeyondTheOvercommitRatio_ConflictSaysWhyAndNothingIsMade()
    {
        // "crowded" has 8 GiB and a 7000 MiB machine: a second one would give 14000 MiB, past 1.5× (12288 MiB).
        var id = Guid.NewGuid();
        await using var crowded = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "crowded");
        crowded.Guests[id] = ScriptedAgent.Guest(id, "resident", MachineState.Stopped) with { Spec = new MachineSpec(1, 7000, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]) };
        await crowded.ConnectAsync();
        var backupId = Guid.NewGuid();
        var dbFactory = _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>();
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            var resident = await db.Machines.SingleAsync(m => m.Id == id);
            Assert.Equal(7000, resident.Spec.MemoryMiB);
            db.Backups.Add(new BackupEntity { Id = backupId, MachineId = id, MachineName = "resident", Kind = MachineKind.Container, HostId = resident.HostId!.Value, CreatedAt = DateTime.UtcNow, Spec = resident.Spec, Image = resident.Image });
            await db.SaveChangesAsync();
        }

        using var clone = await _client.PostAsJsonAsync($"/api/v1/machines/{id}/clone", new { name = "resident-copy" });
        Assert.Equal(HttpStatusCode.Conflict, clone.StatusCode);
        Assert.Equal("A clone of resident does not fit beside it: crowded has 8192 MiB of memory and its machines are given 7000 MiB; 7000 MiB more would pass the limit of 1.5× (12288 MiB, setting Placement:MemoryOvercommitRatio).",
            (await clone.ReadJsonAsync()).GetProperty("detail").GetString());

        using var restore = await _client.PostAsJsonAsync($"/api/v1/backups/{backupId}/restore", new { name = "resident-restored" });
        Assert.Equal(HttpStatusCode.Conflict, restore.StatusCode);
        Assert.Equal("resident-restored does not fit on crowded: crowded has 8192 MiB of memory and its machines are given 7000 MiB; 7000 MiB more would pass the limit of 1.5× (12288 MiB, setting Placement:MemoryOvercommitRatio).",
            (await restore.ReadJsonAsync()).GetProperty("detail").GetString());

        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            Assert.Equal(["resident"], await db.Machines.IgnoreQueryFilters().Where(m => m.HostId == crowded.HostId).Select(m => m.Name).ToListAsync());
            Assert.Empty(await db.Operations.IgnoreQueryFilters().Where(o => o.Kind == OperationKind.MachineClone || o.Kind == OperationKind.BackupRestore).ToListAsync());
        }
    }

    [Fact]
    public async Task HostBeingEvacuated_TakesNoNewMachine_NamedOrPlaced()
    {
        // "eight-gig" has room for the evacuated machine but not for a 5000 MiB one; "leaving" has room for
        // both, and one machine that an evacuation starts moving to "eight-gig" (this agent never answers the move).
        using var full = await _client.PostAsJsonAsync("/api/v1/machines", new { name = "fills", template = "busybox", memoryMiB = 8000, host = "eight-gig", start = false });
        Assert.Equal(HttpStatusCode.Accepted, full.StatusCode);
        var id = Guid.NewGuid();
        _agent.ProbeAnswer = _ => new MigrationProbe(true, true, true, null, null);
        await using var leaving = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "leaving");
        leaving.Guests[id] = ScriptedAgent.Guest(id, "resident", MachineState.Running);
        await leaving.ConnectAsync();
        using var evacuate = await _client.PostAsJsonAsync("/api/v1/hosts/leaving/evacuate", new { concurrency = 1 });
        Assert.Equal(HttpStatusCode.Accepted, evacuate.StatusCode);
        Assert.Equal(AgentCommandKind.Create, (await _agent.NextCommandAsync(TimeSpan.FromSeconds(30))).Kind); // "fills", left unanswered
        var move = await _agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((AgentCommandKind.MigrateIn, id), (move.Kind, move.MachineId));

        using var named = await _client.PostAsJsonAsync("/api/v1/machines", new { name = "newcomer", template = "busybox", memoryMiB = 5000, host = "leaving" });
        Assert.Equal(HttpStatusCode.Conflict, named.StatusCode);
        Assert.Equal("Host leaving is being evacuated: its machines are moving off it. Choose another host, or wait until the evacuation ends.",
            (await named.ReadJsonAsync()).GetProperty("detail").GetString());

        using var placed = await _client.PostAsJsonAsync("/api/v1/machines", new { name = "newcomer", template = "busybox", memoryMiB = 5000 });
        Assert.Equal(HttpStatusCode.Conflict, placed.StatusCode);
        Assert.StartsWith("No host has room for the memory: eight-gig has 8192 MiB of memory and its machines are given 8000 MiB", (await placed.ReadJsonAsync()).GetProperty("detail").GetString());

        using var again = await _client.PostAsJsonAsync("/api/v1/hosts/leaving/evacuate", new { concurrency = 1 });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("Host leaving is already being evacuated.", (await again.ReadJsonAsync()).GetProperty("detail").GetString());
    }
}
