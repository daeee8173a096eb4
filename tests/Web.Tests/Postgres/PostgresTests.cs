using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Access;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Postgres;

/// <summary>
/// The inventory on a real PostgreSQL (the tests' own server, <see cref="PostgresServer"/>): the
/// database made and migrated at start, started again on a migrated one, machines made, listed,
/// filtered by labels and deleted through the API, and the quota check atomic across two app
/// instances sharing the database.
/// </summary>
public sealed class PostgresTests
{
    private static PostgresServer Server => PostgresServer.Shared;

    private static RingmasterFactory App(string connectionString, Action<IServiceCollection>? services = null) =>
        new() { ConnectionString = connectionString, TestServices = services };

    private static async Task<T> InDbAsync<T>(RingmasterFactory app, Func<RingmasterDbContext, Task<T>> read)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        return await read(db);
    }

    [Fact]
    public async Task Start_MissingDatabase_CreatesAndMigratesIt()
    {
        var connection = Server.NewConnectionString("fresh");
        var database = new NpgsqlConnectionStringBuilder(connection).Database!;
        Assert.False(await Server.ExistsAsync(database));

        await using var app = App(connection);
        using var client = app.CreateClient();
        using var health = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True(await Server.ExistsAsync(database));
        await InDbAsync(app, async db =>
        {
            Assert.IsType<PostgresRingmasterDbContext>(db);
            Assert.True(db.Database.IsNpgsql());
            Assert.NotEmpty(db.Database.GetMigrations());
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
            Assert.Contains(await db.Templates.Select(t => t.Name).ToListAsync(), t => t == "busybox");
            return 0;
        });
    }

    [Fact]
    public async Task Start_AlreadyMigratedDatabase_StartsAndKeepsWhatItHeld()
    {
        var connection = Server.NewConnectionString("again");
        await using (var first = App(connection))
        {
            using var client = first.CreateClient();
            (await client.PostAsJsonAsync("/api/v1/projects", new { name = "kept", quotas = new { maxMachines = 3 } })).EnsureSuccessStatusCode();
        }

        await using var second = App(connection);
        using var again = second.CreateClient();
        var project = await (await again.GetAsync("/api/v1/projects/kept")).ReadJsonAsync();

        Assert.Equal(3, project.GetProperty("quotas").GetProperty("maxMachines").GetInt32());
        Assert.Empty(await InDbAsync(second, db => db.Database.GetPendingMigrationsAsync()));
        Assert.Equal(1, await InDbAsync(second, db => db.Projects.CountAsync(p => p.Name == "default")));
    }

    [Fact]
    public async Task Start_ThreeNodesAtOnceOnAMissingDatabase_AllStartAndTheCatalogIsMadeOnce()
    {
        var connection = Server.NewConnectionString("together");
        var apps = Enumerable.Range(0, 3).Select(_ => App(connection)).ToList();
        try
        {
            var clients = await Task.WhenAll(apps.Select(app => Task.Run(app.CreateClient)));
            foreach (var client in clients)
            {
                using (client)
                {
                    using var health = await client.GetAsync("/healthz");
                    Assert.Equal(HttpStatusCode.OK, health.StatusCode);
                }
            }

            var builtIn = DatabaseInitializer.BuiltInTemplates.Select(t => t.Name).ToList();
            Assert.Equal(builtIn.Order(), (await InDbAsync(apps[0], db => db.Templates.Select(t => t.Name).ToListAsync())).Order());
            Assert.Equal(1, await InDbAsync(apps[1], db => db.Projects.CountAsync(p => p.Name == "default")));
            Assert.Empty(await InDbAsync(apps[2], db => db.Database.GetPendingMigrationsAsync()));
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Machines_CreateListFilterByLabelsDelete_RoundTrip()
    {
        await using var app = App(Server.NewConnectionString("inventory"));
        using var admin = app.StartKestrel();
        await using var agent = await FakeAgent.StartAsync(admin.BaseAddress!, app.JoinToken, "pg-host");

        var answers = new Dictionary<string, JsonElement>();
        foreach (var (name, team) in new[] { ("web-1", "web"), ("web-2", "web"), ("db-1", "data") })
        {
            using var created = await admin.PostAsJsonAsync("/api/v1/machines", new { name, template = "busybox", start = false, labels = new Dictionary<string, string> { ["team"] = team, ["env"] = "prod" } });
            Assert.True(created.StatusCode == HttpStatusCode.Accepted, $"{name}: {created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            answers[name] = await created.ReadJsonAsync();
        }

        async Task<string[]> NamesAsync(string query) =>
            [.. (await (await admin.GetAsync($"/api/v1/machines{query}")).ReadJsonAsync()).GetProperty("items").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).Order()];

        Assert.Equal(["db-1", "web-1", "web-2"], await NamesAsync(""));
        Assert.Equal(["web-1", "web-2"], await NamesAsync("?label=team%3Dweb"));
        Assert.Equal(["db-1"], await NamesAsync("?label=team%3Ddata"));
        Assert.Equal(["db-1", "web-1", "web-2"], await NamesAsync("?label=env"));
        Assert.Empty(await NamesAsync("?label=team%3Dnone"));
        Assert.Equal(6, await InDbAsync(app, db => db.MachineLabels.CountAsync()));

        // The dashboard's search finds machines by a label on PostgreSQL too, and counts what it does not show.
        var search = app.Services.GetRequiredService<Ringmaster.Web.Services.IDashboardSearch>();
        var byLabel = await search.SearchAsync("TEAM=web", perKind: 1);
        var hit = Assert.Single(byLabel.Hits, h => h.Kind == Ringmaster.Web.Services.SearchKind.Machine);
        Assert.Equal(("web-1", true), (hit.Title, hit.Detail!.EndsWith("label team=web", StringComparison.Ordinal)));
        Assert.Equal(1, byLabel.MoreOf(Ringmaster.Web.Services.SearchKind.Machine));

        var machine = await (await admin.GetAsync("/api/v1/machines/web-1")).ReadJsonAsync();
        Assert.Equal("prod", machine.GetProperty("labels").GetProperty("env").GetString());
        // The times the create answered with are the ones read back later (PostgreSQL keeps microseconds).
        var accepted = answers["web-1"];
        Assert.Equal(accepted.GetProperty("machine").GetProperty("createdAt").GetString(), machine.GetProperty("createdAt").GetString());
        var operationId = accepted.GetProperty("operation").GetProperty("id").GetString();
        var operation = await (await admin.GetAsync($"/api/v1/operations/{operationId}")).ReadJsonAsync();
        Assert.Equal(accepted.GetProperty("operation").GetProperty("createdAt").GetString(), operation.GetProperty("createdAt").GetString());

        // An id finds what it names on PostgreSQL too.
        var byId = await search.SearchAsync(machine.GetProperty("id").GetString()!);
        Assert.Equal([(Ringmaster.Web.Services.SearchKind.Machine, "web-1")], byId.Hits.Select(h => (h.Kind, h.Title)));

        // A machine at rest on the host (the fake agent never finishes a create): deleting it is accepted and under way.
        await InDbAsync(app, db =>
        {
            db.Machines.Add(new MachineEntity
            {
                Id = Guid.NewGuid(), Name = "old-1", Project = "default", Kind = MachineKind.Container, Template = "busybox", Image = "ringmaster/busybox:latest",
                Spec = new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]), HostId = agent.HostId, State = MachineState.Stopped,
                Labels = new Dictionary<string, string> { ["team"] = "web" }, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
            });
            return db.SaveChangesAsync();
        });
        Assert.Equal(["old-1", "web-1", "web-2"], await NamesAsync("?label=team%3Dweb"));
        using var deleted = await admin.DeleteAsync("/api/v1/machines/old-1");
        Assert.True(deleted.StatusCode == HttpStatusCode.Accepted, $"{deleted.StatusCode} {await deleted.Content.ReadAsStringAsync()}");
        await HttpJson.EventuallyAsync(
            async () => (await (await admin.GetAsync("/api/v1/machines/old-1")).ReadJsonAsync()).GetProperty("state").GetString(),
            state => state == "Deleting", TimeSpan.FromSeconds(20), "the machine to be deleting");
        await HttpJson.EventuallyAsync(() => Task.FromResult(agent.Commands.Count(c => c.Kind == AgentCommandKind.Delete)), n => n == 1, TimeSpan.FromSeconds(20), "the delete to reach the host");
    }

    [Fact]
    public async Task Create_TwentyInParallelAgainstAQuotaOfFive_MakesExactlyFive()
    {
        await using var app = App(Server.NewConnectionString("race"), s => s.ConfigureDbContext<RingmasterDbContext>(o => o.AddInterceptors(new SlowMachineInserts())));
        using var admin = app.StartKestrel();
        await using var agent = await FakeAgent.StartAsync(admin.BaseAddress!, app.JoinToken, "pg-host");
        (await admin.PostAsJsonAsync("/api/v1/projects", new { name = "race", quotas = new { maxMachines = 5 } })).EnsureSuccessStatusCode();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            admin.PostAsJsonAsync("/api/v1/machines", new { name = $"race-{i}", template = "busybox", project = "race", start = false })));

        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Accepted))
        {
            Assert.True(refused.StatusCode == HttpStatusCode.Conflict, $"{refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            Assert.Contains("quota 'machines' exceeded", (await refused.ReadJsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(5, await InDbAsync(app, db => db.Machines.IgnoreQueryFilters().CountAsync(m => m.Project == "race")));
    }

    [Fact]
    public async Task SaveWithinQuota_TwentyInParallelFromTwoAppsOnOneDatabase_SavesExactlyFive()
    {
        // Two app instances on one database (as two web nodes would be): only the database can keep their checks apart.
        var connection = Server.NewConnectionString("race2");
        await using var one = App(connection, s => s.ConfigureDbContext<RingmasterDbContext>(o => o.AddInterceptors(new SlowMachineInserts())));
        using var adminOne = one.CreateClient();
        (await adminOne.PostAsJsonAsync("/api/v1/projects", new { name = "race", quotas = new { maxMachines = 5 } })).EnsureSuccessStatusCode();
        await using var two = App(connection, s => s.ConfigureDbContext<RingmasterDbContext>(o => o.AddInterceptors(new SlowMachineInserts())));
        using var adminTwo = two.CreateClient();
        var factories = new[] { one, two }.Select(a => a.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>()).ToArray();

        var refusals = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            await using var db = await factories[i % 2].CreateDbContextAsync();
            AccessFixture.AddMachine(db, $"race-{i}", "race", null);
            return await ProjectQuotas.SaveWithinQuotaAsync(db, "race", new QuotaDelta(1, 64, 1, 1, 1));
        }));

        Assert.Equal(5, refusals.Count(r => r is null));
        Assert.All(refusals.Where(r => r is not null), r => Assert.Contains("quota 'machines' exceeded", r, StringComparison.Ordinal));
        Assert.Equal(5, await InDbAsync(two, db => db.Machines.IgnoreQueryFilters().CountAsync(m => m.Project == "race")));
    }

    /// <summary>Each new machine takes a moment to be written, which opens the gap a quota check must not leave.</summary>
    private sealed class SlowMachineInserts : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
    {
        public override async ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(
            System.Data.Common.DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandEventData eventData,
            Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.Contains("INSERT INTO \"Machines\"", StringComparison.Ordinal))
            {
                await Task.Delay(150, cancellationToken);
            }

            return result;
        }
    }
}
