using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Core.Services;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>A clock the test moves by hand; its timers never fire, so only the test starts due jobs.</summary>
public sealed class FakeScheduleClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new NeverTimer();

    private sealed class NeverTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>Scheduled snapshots on a real VM with the clock in the test's hands, and retention as Proxmox Backup Server prunes.</summary>
public sealed class SchedulesTests : IAsyncLifetime
{
    private readonly FakeScheduleClock _clock = new(new DateTimeOffset(2026, 11, 24, 8, 30, 0, TimeSpan.Zero));
    private readonly RingmasterFactory _factory;
    private HttpClient _client = null!;

    public SchedulesTests() => _factory = new RingmasterFactory { Embedded = true, TestServices = s => s.AddSingleton<TimeProvider>(_clock) };

    public async Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        await HttpJson.EventuallyAsync(() => _client.GetAsync("/readyz"), r => r.IsSuccessStatusCode, TimeSpan.FromSeconds(30), "readiness");
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task HourlySnapshots_KeepLastTwo_ThirdRunPrunesTheOldest()
    {
        var api = new ApiClient(_client);
        await api.CreateMachineAsync(new { name = "sched-vm", template = "default", start = false }, TimeSpan.FromMinutes(2));
        var created = await _client.PostAsJsonAsync("/api/v1/schedules", new { name = "hourly", job = "snapshot", cron = "0 * * * *", machine = "sched-vm", keepLast = 2 });
        var schedule = await created.ReadJsonAsync();
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero), schedule.GetProperty("nextRunAt").GetDateTimeOffset());
        var scheduler = _factory.Services.GetRequiredService<ScheduleService>();

        Assert.Empty(await scheduler.RunDueAsync());
        foreach (var hour in new[] { 9, 10, 11 })
        {
            _clock.Now = new DateTimeOffset(2026, 11, 24, hour, 0, 30, TimeSpan.Zero);
            var started = Assert.Single(await scheduler.RunDueAsync());
            await api.WaitSucceededAsync(started, TimeSpan.FromMinutes(1));
        }

        var names = (await api.GetAsync("/api/v1/machines/sched-vm/snapshots")).EnumerateArray()
            .SelectMany(Flatten).Select(s => s.GetProperty("name").GetString()).Order().ToList();
        Assert.Equal(["hourly-20261124-100030", "hourly-20261124-110030"], names);
        var after = await api.GetAsync($"/api/v1/schedules/{schedule.GetProperty("id").GetGuid()}");
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero), after.GetProperty("nextRunAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task DailyBackups_KeepLastOne_OldChainGoesOnlyOnceANewFullBackupStands()
    {
        var api = new ApiClient(_client);
        await api.CreateMachineAsync(new { name = "sched-backed", template = "default", start = false }, TimeSpan.FromMinutes(2));
        var created = await _client.PostAsJsonAsync("/api/v1/schedules", new { name = "daily", job = "backup", cron = "0 3 * * *", machine = "sched-backed", keepLast = 1 });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var scheduler = _factory.Services.GetRequiredService<ScheduleService>();

        var counts = new List<int>();
        for (var day = 1; day <= ScheduleService.MaxChain + 1; day++)
        {
            _clock.Now = new DateTimeOffset(2026, 11, 24, 3, 0, 0, TimeSpan.Zero).AddDays(day);
            await api.WaitSucceededAsync(Assert.Single(await scheduler.RunDueAsync()), TimeSpan.FromMinutes(1));
            counts.Add((await api.GetAsync("/api/v1/backups?machine=sched-backed")).GetArrayLength());
        }

        // Incremental backups need the whole chain below them: nothing goes until a new full backup starts a chain.
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 1], counts);
        var left = Assert.Single((await api.GetAsync("/api/v1/backups?machine=sched-backed")).EnumerateArray());
        Assert.False(left.GetProperty("incremental").GetBoolean());
    }

    private static IEnumerable<System.Text.Json.JsonElement> Flatten(System.Text.Json.JsonElement node) =>
        new[] { node }.Concat(node.GetProperty("children").EnumerateArray().SelectMany(Flatten));

    private sealed record Point(string Name, DateTime At);

    [Fact]
    public void Retention_KeepLastDailyWeekly_AsProxmoxBackupServer()
    {
        // Every 6 hours for 15 days, newest first at 2026-11-24 18:00.
        var end = new DateTime(2026, 11, 24, 18, 0, 0, DateTimeKind.Utc);
        var points = Enumerable.Range(0, 60).Select(i => new Point($"p{i}", end.AddHours(-6 * i))).ToList();

        var keep = Retention.Keep(points, p => p.At, keepLast: 2, keepDaily: 3, keepWeekly: 2);

        var kept = points.Where(keep.Contains).Select(p => p.At).ToList();
        // keep-last: 18:00 and 12:00 on the 24th; keep-daily skips the 24th (covered) and keeps the newest of the 23rd, 22nd, 21st;
        // keep-weekly skips the weeks already covered (the 24th is a Tuesday of week 48; the 23rd, a Monday, too; the 22nd, 21st are week 47)
        // and keeps the newest of week 46.
        Assert.Equal(
            [end, end.AddHours(-6), new(2026, 11, 23, 18, 0, 0, DateTimeKind.Utc), new(2026, 11, 22, 18, 0, 0, DateTimeKind.Utc), new(2026, 11, 21, 18, 0, 0, DateTimeKind.Utc), new(2026, 11, 15, 18, 0, 0, DateTimeKind.Utc)],
            kept);
        Assert.Equal(points.Count, Retention.Keep(points, p => p.At, 0, 0, 0).Count);
    }
}
