using System.Diagnostics;
using System.Net;
using Ringmaster.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ringmaster.Web.Tests.CrashRecovery;

/// <summary>The web without an embedded agent, and two hosts' standalone agents: one set for the class.</summary>
public sealed class AgentsCrashFixture : IAsyncLifetime
{
    public CrashCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await CrashCluster.StartAsync(embedded: false, "alpha", "beta");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// kill -9 of the web while every long operation runs and the hosts' agents keep working (the case
/// of many hosts): what an agent finishes while the web is down reaches the web when it is back,
/// and settles its operation. Real processes, real Podman, the real emulator.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class CrashRecoveryAgentTests(AgentsCrashFixture fixture, ITestOutputHelper output) : IClassFixture<AgentsCrashFixture>
{
    [Fact]
    public async Task KillWeb_AgentsWorkOnWhileItIsDown_OutcomesReachTheRestartedWebAndSettleEveryOperation()
    {
        var cluster = fixture.Cluster;
        var clock = Stopwatch.StartNew();
        var cycles = new KillCycles(cluster, output);
        await cycles.SetUpAsync(cluster.Host("alpha"), cluster.Host("beta"));

        await cycles.RunAsync(each: 5, most: 16);

        output.WriteLine($"{cluster.Restarts} restarts ({cluster.RestartTime.TotalSeconds:0} s in restarts), {clock.Elapsed.TotalSeconds:0} s in all");
        output.WriteLine("interrupted: " + string.Join(", ", cycles.Caught.Select(c => $"{c.Key} {c.Value}")) + $"; settled by an outcome sent while the web was down: {cycles.FinishedWhileDown}");
        output.WriteLine("outcomes: " + string.Join(", ", cycles.Outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}")));
        output.WriteLine("events: " + string.Join(", ", (await cycles.EventsAsync()).Select(e => $"{e.Key} {e.Value}")));
        Assert.True(cycles.Problems.Count == 0, string.Join("\n", cycles.Problems));
        Assert.Empty(cycles.RecoveryErrors());
        Assert.All(KillCycles.Kinds, kind => Assert.True(cycles.Caught[kind] >= 5, $"{kind} was interrupted {cycles.Caught[kind]} times in {cluster.Restarts} kills"));
        Assert.True(cycles.FinishedWhileDown > 0, "no operation was settled by an outcome an agent sent while the web was down");
        await cycles.TearDownAsync();
    }

    [Fact]
    public async Task Restore_QueuedBehindADelete_CancelledAndNothingComesBack()
    {
        var cluster = fixture.Cluster;
        var api = cluster.Api;
        var name = $"queued-{cluster.Suffix}";
        var machine = await api.CreateMachineAsync(new { name, template = "busybox", host = cluster.Host("alpha") }, TimeSpan.FromMinutes(3));
        var id = machine.GetProperty("id").GetGuid();
        var backup = await api.WaitSucceededAsync(await api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{id}/backups"), TimeSpan.FromMinutes(2));
        var backupId = backup.GetProperty("result").GetProperty("id").GetGuid();

        // Snapshots hold the machine; the delete and then the restore queue behind them.
        var snapshots = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            snapshots.Add(await api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{id}/snapshots", new { name = $"s{i}" }));
        }

        var delete = await api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{id}");
        var restore = await api.StartOperationAsync(HttpMethod.Post, $"/api/v1/backups/{backupId}/restore", new { });
        foreach (var snapshot in snapshots)
        {
            await api.WaitSucceededAsync(snapshot, TimeSpan.FromMinutes(2));
        }

        await api.WaitSucceededAsync(delete, TimeSpan.FromMinutes(2));
        var cancelled = await HttpJson.EventuallyAsync(
            () => api.GetAsync($"/api/v1/operations/{restore}"), o => o.GetProperty("state").GetString() is "Succeeded" or "Failed" or "Cancelled",
            TimeSpan.FromMinutes(2), "the restore to end");

        Assert.Equal("Cancelled", cancelled.GetProperty("state").GetString());
        Assert.Contains($"machine {name} ", cancelled.GetProperty("error").GetString());
        Assert.Contains("deleted", cancelled.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.GetAsync($"/api/v1/machines/{id}")).StatusCode);
        Assert.Empty(await PodmanCleanup.JsonAsync($"ps -a --filter label=ringmaster.id={id} --format json"));

        // And the next reconnect of the agents adopts nothing.
        await cluster.KillAndRestartWebAsync();
        var machines = (await api.GetAsync("/api/v1/machines?limit=1000")).GetProperty("items").EnumerateArray();
        Assert.DoesNotContain(machines, m => m.GetProperty("id").GetGuid() == id || m.GetProperty("name").GetString() == name);
        await api.WaitSucceededAsync(await api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/backups/{backupId}"), TimeSpan.FromMinutes(1));
    }
}
