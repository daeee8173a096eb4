using Microsoft.EntityFrameworkCore;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Services;

namespace Ringmaster.Web.Components.Tests;

/// <summary>The dashboard's queries against a real SQLite inventory: filters, sorts and pages run in the database.</summary>
public sealed class DashboardDataTests : IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"ringmaster-ui-{Guid.NewGuid():N}.db");
    private readonly Guid _alpha = Guid.NewGuid();
    private readonly Guid _beta = Guid.NewGuid();
    private Factory _factory = null!;
    private DashboardData _data = null!;

    private sealed class Factory(DbContextOptions<RingmasterDbContext> options) : IDbContextFactory<RingmasterDbContext>
    {
        public RingmasterDbContext CreateDbContext() => new(options);
    }

    public async Task InitializeAsync()
    {
        _factory = new Factory(new DbContextOptionsBuilder<RingmasterDbContext>().UseSqlite($"Data Source={_path}").Options);
        _data = new DashboardData(_factory, new LiveFeed());
        await using var db = _factory.CreateDbContext();
        await db.Database.MigrateAsync();
        db.Hosts.Add(new HostEntity { Id = _alpha, Name = "alpha", Online = true });
        db.Hosts.Add(new HostEntity { Id = _beta, Name = "beta", Online = true });
        for (var i = 0; i < 120; i++)
        {
            db.Machines.Add(new MachineEntity
            {
                Id = Guid.NewGuid(),
                Name = $"m-{i:000}",
                Kind = i % 2 == 0 ? MachineKind.Vm : MachineKind.Container,
                Template = "t",
                Image = "i",
                Spec = new MachineSpec(2, 128, [new DiskSpec("root", 3)], [new NetworkSpec("eth0")]),
                HostId = i < 100 ? _alpha : _beta,
                State = i % 3 == 0 ? MachineState.Running : MachineState.Stopped,
                Labels = new Dictionary<string, string> { ["team"] = $"t{i % 4}", ["odd_key"] = i == 7 ? "x%y" : "z" },
            });
        }

        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task QueryMachines_PageOfMany_ReturnsThatPageAndTheTotal()
    {
        var page = await _data.QueryMachinesAsync(new MachineQuery(Page: 2, PageSize: 25));

        Assert.Equal(120, page.Total);
        Assert.Equal(25, page.Items.Count);
        Assert.Equal("m-050", page.Items[0].Name);
        Assert.Equal("alpha", page.Items[0].Host);
    }

    [Fact]
    public async Task QueryMachines_Filters_CombineInTheDatabase()
    {
        var page = await _data.QueryMachinesAsync(new MachineQuery(Name: "m-0", State: MachineState.Running, Kind: MachineKind.Vm, HostId: _alpha));

        Assert.All(page.Items, m => Assert.True(m.Name.StartsWith("m-0", StringComparison.Ordinal) && m.State == MachineState.Running && m.Kind == MachineKind.Vm));
        Assert.Equal(17, page.Total);
    }

    [Theory]
    [InlineData("team=t1", 30)]
    [InlineData("team", 120)]
    [InlineData("odd_key=x%y", 1)]
    [InlineData("oddXkey=x%y", 0)]
    [InlineData("team=t", 0)]
    public async Task QueryMachines_Label_MatchesKeyOrKeyAndValueExactly(string label, int expected)
    {
        var page = await _data.QueryMachinesAsync(new MachineQuery(Label: label, PageSize: 500));

        Assert.Equal(expected, page.Total);
    }

    [Fact]
    public async Task QueryMachines_SortByHostDescending_PutsBetaFirst()
    {
        var page = await _data.QueryMachinesAsync(new MachineQuery(Sort: MachineSort.Host, Descending: true));

        Assert.Equal("beta", page.Items[0].Host);
        Assert.Equal("m-100", page.Items[0].Name);
    }

    [Fact]
    public async Task Summaries_AndHosts_CountWhatIsThere()
    {
        var summaries = await _data.GetMachineSummariesAsync();
        var hosts = await _data.GetHostsAsync();

        Assert.Equal(120 * 3, summaries.Sum(s => s.DiskGiB));
        Assert.Equal([100, 20], hosts.Select(h => h.MachineCount));
    }

    [Fact]
    public async Task GetMetrics_SamplesRecorded_ComeBackFromTheHistoryByRange_UnknownMachineIsNull()
    {
        var history = new MetricsHistory(_factory, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<MetricsHistory>.Instance);
        var data = new DashboardData(_factory, new LiveFeed(), history: history);
        await using (var db = _factory.CreateDbContext())
        {
            var machine = await db.Machines.OrderBy(m => m.Name).FirstAsync();
            var now = DateTimeOffset.UtcNow;
            history.RecordGuests(_alpha, [new GuestMetrics(machine.Id, now.AddHours(-2), 70, 10, 20, 0, 0, 0, 0)]);
            history.RecordGuests(_alpha, [new GuestMetrics(machine.Id, now.AddSeconds(-5), 30, 10, 20, 0, 0, 0, 0)]);
            history.RecordHost(_beta, now.AddSeconds(-5), 12, 1, 2);

            var hour = await data.GetMetricsAsync(MetricOwner.Machine, machine.Id, MetricsHistory.TierOf("1h")!);
            var day = await data.GetMetricsAsync(MetricOwner.Machine, machine.Id, MetricsHistory.TierOf("1d")!);
            var host = await data.GetMetricsAsync(MetricOwner.Host, _beta, MetricsHistory.TierOf("1h")!);

            Assert.Equal([30.0], hour!.Points.Select(p => p.CpuPercent));
            Assert.Equal([70.0, 30.0], day!.Points.Select(p => p.CpuPercent));
            Assert.Equal([12.0], host!.Points.Select(p => p.CpuPercent));
        }

        Assert.Null(await data.GetMetricsAsync(MetricOwner.Machine, Guid.NewGuid(), MetricsHistory.Tiers[0]));
        Assert.Null(await data.GetMetricsAsync(MetricOwner.Host, Guid.NewGuid(), MetricsHistory.Tiers[0]));
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_path);
        return Task.CompletedTask;
    }
}

/// <summary>The live feed's promise to a subscriber that reads too slowly: it loses the oldest changes, and is told where.</summary>
public sealed class LiveFeedTests
{
    [Fact]
    public async Task SubscriberThatFellBehind_ReadsChangesMissed_ThenTheNewestChangesInOrder()
    {
        var feed = new LiveFeed();
        using var subscription = feed.Subscribe();
        const int extra = 10;
        for (var i = 0; i < LiveFeed.Capacity + extra; i++)
        {
            feed.Publish(new MachineRemoved(Guid.NewGuid(), $"m-{i}"));
        }

        using var read = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var changes = new List<LiveChange>();
        await foreach (var change in subscription.ReadAllAsync(read.Token))
        {
            changes.Add(change);
            if (changes.Count == LiveFeed.Capacity + 1)
            {
                break;
            }
        }

        Assert.IsType<ChangesMissed>(changes[0]);
        var names = changes.Skip(1).Select(c => Assert.IsType<MachineRemoved>(c).Name).ToList();
        Assert.Equal(Enumerable.Range(extra, LiveFeed.Capacity).Select(i => $"m-{i}"), names);

        // Once told, not told again while nothing more is lost.
        feed.Publish(new MachineRemoved(Guid.NewGuid(), "after"));
        await using var more = subscription.ReadAllAsync(read.Token).GetAsyncEnumerator(read.Token);
        Assert.True(await more.MoveNextAsync());
        Assert.Equal("after", Assert.IsType<MachineRemoved>(more.Current).Name);
    }
}
