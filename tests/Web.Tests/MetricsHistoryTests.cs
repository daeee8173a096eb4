using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Ringmaster.Contracts;
using Ringmaster.Core.Domain;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Samples an agent pushes through the hub come back from <c>/api/v1/machines/{id}/metrics</c> and
/// <c>/api/v1/hosts/{id}/metrics</c> at each range, averaged over that range's step; the store keeps
/// a fixed number of slots per series, however long it is fed.
/// </summary>
public sealed class MetricsHistoryTests : IAsyncLifetime
{
    private const long GiB = 1L << 30;
    private readonly RingmasterFactory _factory = new();
    private readonly Guid _web = Guid.NewGuid();
    private readonly Guid _vm = Guid.NewGuid();
    private HttpClient _client = null!;
    private ScriptedAgent _agent = null!;

    public async Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        _agent = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "metrics-host");
        _agent.Guests[_web] = ScriptedAgent.Guest(_web, "web", MachineState.Running);
        _agent.Guests[_vm] = ScriptedAgent.Guest(_vm, "emu", MachineState.Running, MachineKind.Vm);
        await _agent.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _factory.DisposeAsync();
    }

    /// <summary>
    /// Six days of a container at 50 % CPU reading 1,000 B/s (a sample every 10 min), then its last
    /// hour at 20 % reading 5,000 B/s beside an emulator VM at 5 % reading 2,000 B/s at 120.5 MIPS
    /// (a sample every 10 s); the host's heartbeats say 40 % over the week, 30 % in the last hour.
    /// </summary>
    private async Task<DateTimeOffset> FeedAsync()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var lastHour = now - TimeSpan.FromMinutes(55);
        var times = new List<DateTimeOffset>();
        for (var t = now - TimeSpan.FromDays(6); t < lastHour; t += TimeSpan.FromMinutes(10))
        {
            times.Add(t);
        }

        for (var t = lastHour; t < now; t += TimeSpan.FromSeconds(10))
        {
            times.Add(t);
        }

        double webRead = 0, vmRead = 0;
        DateTimeOffset? before = null;
        var pushes = new List<List<GuestMetrics>>();
        foreach (var t in times)
        {
            var recent = t >= lastHour;
            var seconds = before is { } b ? (t - b).TotalSeconds : 0;
            webRead += seconds * (recent ? 5000 : 1000);
            List<GuestMetrics> push = [new(_web, t, recent ? 20 : 50, GiB, 2 * GiB, (long)webRead, 0, (long)(webRead / 10), 0)];
            if (recent)
            {
                vmRead += t > lastHour ? 10 * 2000 : 0;
                push.Add(new(_vm, t, 5, 256L << 20, 512L << 20, (long)vmRead, 0, 0, 0, Mips: 120.5));
            }

            pushes.Add(push);
            before = t;
        }

        foreach (var chunk in pushes.Chunk(50))
        {
            await _agent.SendMetricsAsync([.. chunk.SelectMany(p => p)]);
        }

        for (var t = now - TimeSpan.FromDays(6); t < lastHour; t += TimeSpan.FromHours(1))
        {
            await _agent.HeartbeatAsync(t, 40, 2 * GiB);
        }

        for (var t = lastHour; t < now; t += TimeSpan.FromSeconds(10))
        {
            await _agent.HeartbeatAsync(t, 30, 3 * GiB);
        }

        return now;
    }

    private async Task<JsonElement> MetricsAsync(string path)
    {
        var response = await _client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    private static List<JsonElement> Points(JsonElement history) => [.. history.GetProperty("points").EnumerateArray()];

    private static DateTimeOffset At(JsonElement point) => point.GetProperty("at").GetDateTimeOffset();

    private static double? Number(JsonElement point, string name) =>
        point.GetProperty(name).ValueKind == JsonValueKind.Null ? null : point.GetProperty(name).GetDouble();

    /// <summary>Each range's points lie in it, on its step, oldest first.</summary>
    private static List<JsonElement> CheckShape(JsonElement history, string range, int step, TimeSpan span)
    {
        Assert.Equal(range, history.GetProperty("range").GetString());
        Assert.Equal(step, history.GetProperty("stepSeconds").GetInt32());
        var from = history.GetProperty("from").GetDateTimeOffset();
        var to = history.GetProperty("to").GetDateTimeOffset();
        Assert.Equal(span, to - from);
        var points = Points(history);
        Assert.NotEmpty(points);
        Assert.All(points, p => Assert.True(At(p) > from && At(p) <= to, $"{At(p)} is outside {from}..{to}"));
        Assert.All(points, p => Assert.Equal(0, At(p).ToUnixTimeSeconds() % step));
        Assert.Equal(points.Select(At).Order(), points.Select(At));
        return points;
    }

    [Fact]
    public async Task Metrics_AWeekOfSamples_EachRangeShowsItsAverages()
    {
        var now = await FeedAsync();
        var older = now - TimeSpan.FromMinutes(70);

        // An hour: 10 s points, the container's recent figures exactly.
        var hour = CheckShape(await MetricsAsync("/api/v1/machines/web/metrics?range=1h"), "1h", 10, TimeSpan.FromHours(1));
        Assert.InRange(hour.Count, 320, 331);
        Assert.All(hour, p => Assert.Equal(20, Number(p, "cpuPercent")));
        Assert.All(hour, p => Assert.Equal(GiB, p.GetProperty("memoryUsedBytes").GetInt64()));
        Assert.All(hour, p => Assert.Equal(2 * GiB, p.GetProperty("memoryTotalBytes").GetInt64()));
        Assert.All(hour, p => Assert.Equal(5000, Number(p, "diskReadPerSecond")));
        Assert.All(hour, p => Assert.Equal(500, Number(p, "netRxPerSecond")));
        Assert.All(hour, p => Assert.Null(Number(p, "mips")));

        // A day: 1 min points, the week's figures before the last hour.
        var day = CheckShape(await MetricsAsync("/api/v1/machines/web/metrics?range=1d"), "1d", 60, TimeSpan.FromDays(1));
        Assert.All(day.Where(p => At(p) < older), p => Assert.Equal((50.0, 1000.0), (Number(p, "cpuPercent")!.Value, Number(p, "diskReadPerSecond")!.Value)));
        Assert.InRange(day.Count(p => At(p) < older), 130, 145);
        Assert.Contains(day, p => Number(p, "cpuPercent") == 20);

        // A week: 10 min points back to six days ago.
        var week = CheckShape(await MetricsAsync($"/api/v1/machines/{_web}/metrics?range=1w"), "1w", 600, TimeSpan.FromDays(7));
        Assert.True(At(week[0]) < now - TimeSpan.FromDays(5.9), $"the week starts at {At(week[0])}");
        Assert.All(week.Where(p => At(p) < older), p => Assert.Equal(50, Number(p, "cpuPercent")));
        Assert.Equal(20, Number(week[^1], "cpuPercent"));

        // A year: hourly points, each the average of its six samples (the first hour's I/O starts at its second sample).
        var year = CheckShape(await MetricsAsync("/api/v1/machines/web/metrics?range=1Y"), "1y", 3600, TimeSpan.FromDays(365));
        Assert.InRange(year.Count, 144, 146);
        Assert.All(year.Skip(1).Where(p => At(p) < older - TimeSpan.FromHours(1)), p => Assert.Equal((50.0, 1000.0), (Number(p, "cpuPercent")!.Value, Number(p, "diskReadPerSecond")!.Value)));

        // The emulator VM: its MIPS; no rate before its second sample.
        var vm = CheckShape(await MetricsAsync("/api/v1/machines/emu/metrics?range=1h"), "1h", 10, TimeSpan.FromHours(1));
        Assert.All(vm, p => Assert.Equal(120.5, Number(p, "mips")));
        Assert.Null(Number(vm[0], "diskReadPerSecond"));
        Assert.All(vm.Skip(1), p => Assert.Equal(2000, Number(p, "diskReadPerSecond")));

        // The host: its heartbeats' CPU and memory, its guests' I/O summed.
        var hostHour = CheckShape(await MetricsAsync("/api/v1/hosts/metrics-host/metrics?range=1h"), "1h", 10, TimeSpan.FromHours(1));
        Assert.All(hostHour, p => Assert.Equal((30.0, 3 * GiB, 8 * GiB), (Number(p, "cpuPercent")!.Value, p.GetProperty("memoryUsedBytes").GetInt64(), p.GetProperty("memoryTotalBytes").GetInt64())));
        Assert.All(hostHour.Skip(1), p => Assert.Equal(7000, Number(p, "diskReadPerSecond")));
        var hostWeek = CheckShape(await MetricsAsync($"/api/v1/hosts/{_agent.HostId}/metrics?range=1w"), "1w", 600, TimeSpan.FromDays(7));
        Assert.All(hostWeek.Where(p => At(p) < older && p.GetProperty("cpuPercent").ValueKind != JsonValueKind.Null), p => Assert.Equal(40, Number(p, "cpuPercent")));
        Assert.Contains(hostWeek, p => At(p) < now - TimeSpan.FromDays(5.9) && Number(p, "cpuPercent") == 40);
    }

    [Theory]
    [InlineData("/api/v1/machines/web/metrics?range=5m", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/machines/web/metrics?range=", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/hosts/metrics-host/metrics?range=week", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/machines/no-such-machine/metrics?range=1h", HttpStatusCode.NotFound)]
    [InlineData("/api/v1/hosts/no-such-host/metrics?range=1d", HttpStatusCode.NotFound)]
    [InlineData("/api/v1/hosts/00000000-0000-0000-0000-000000000001/metrics", HttpStatusCode.NotFound)]
    public async Task Metrics_BadRangeOrUnknownId_ProblemDetails(string path, HttpStatusCode status)
    {
        var response = await _client.GetAsync(path);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (status == HttpStatusCode.BadRequest)
        {
            Assert.Contains("1h, 1d, 1w, 1y", (await response.ReadJsonAsync()).GetProperty("errors").GetProperty("range")[0].GetString());
        }
    }

    [Fact]
    public async Task Metrics_NoSamplesYet_EmptyHistory()
    {
        var history = await MetricsAsync("/api/v1/machines/web/metrics");
        Assert.Equal("1h", history.GetProperty("range").GetString());
        Assert.Empty(Points(history));
    }

    /// <summary>Three hours of 10 s samples: the hour's slots are overwritten in place, never more than 360 rows; a forgotten machine leaves none.</summary>
    [Fact]
    public async Task Record_ThreeHoursOfSamples_SlotsOverwrittenInPlace()
    {
        var dbFactory = _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>();
        var start = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var clock = new FakeClock(start);
        var history = new MetricsHistory(dbFactory, clock, NullLogger<MetricsHistory>.Instance);
        var machine = _web;
        for (var i = 0; i < 3 * 360; i++)
        {
            var at = start + TimeSpan.FromSeconds(10 * i);
            clock.Set(at);
            history.RecordGuests(_agent.HostId, [new GuestMetrics(machine, at, 10 * (1 + (i / 360)), GiB, 2 * GiB, 0, 0, 0, 0)]);
            if (i % 30 == 29)
            {
                await history.FlushAsync();
            }
        }

        var hour = await history.QueryAsync(MetricOwner.Machine, machine, MetricsHistory.Tiers[0]);
        Assert.Equal(360, hour.Points.Count);
        Assert.All(hour.Points, p => Assert.Equal(30, p.CpuPercent));
        var day = await history.QueryAsync(MetricOwner.Machine, machine, MetricsHistory.Tiers[1]);
        Assert.Equal(180, day.Points.Count);
        Assert.Equal([10.0, 20.0, 30.0], day.Points.Select(p => p.CpuPercent!.Value).Distinct());

        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            var series = await db.MetricSeries.SingleAsync(s => s.OwnerId == machine);
            long first = MetricSlotEntity.FirstKey(series.Id, 0), end = MetricSlotEntity.FirstKey(series.Id, 1);
            Assert.Equal(360, await db.MetricSlots.CountAsync(s => s.Key >= first && s.Key < end));
        }

        await history.ForgetAsync(MetricOwner.Machine, machine);
        Assert.Empty((await history.QueryAsync(MetricOwner.Machine, machine, MetricsHistory.Tiers[3])).Points);
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            Assert.False(await db.MetricSeries.AnyAsync(s => s.OwnerId == machine));
        }
    }
}
