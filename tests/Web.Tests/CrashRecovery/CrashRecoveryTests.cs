using System.Diagnostics;
using Ringmaster.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ringmaster.Web.Tests.CrashRecovery;

/// <summary>The web with its embedded agent, and a second host's agent: one pair for the class.</summary>
public sealed class EmbeddedCrashFixture : IAsyncLifetime
{
    public CrashCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await CrashCluster.StartAsync(embedded: true, "peer");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// kill -9 of the web while every long operation runs, the web running its embedded agent (which
/// dies with it, and its VMs with that) and a second host's agent that keeps running: real
/// processes, real Podman, the real emulator.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class CrashRecoveryTests(EmbeddedCrashFixture fixture, ITestOutputHelper output) : IClassFixture<EmbeddedCrashFixture>
{
    [Fact]
    public async Task KillWeb_DuringEveryLongOperation_SettledAsTheHostsHaveItAndNothingLeftUnknown()
    {
        var cluster = fixture.Cluster;
        var clock = Stopwatch.StartNew();
        var cycles = new KillCycles(cluster, output);
        await cycles.SetUpAsync(cluster.EmbeddedHost, cluster.Host("peer"));

        await cycles.RunAsync(each: 5, most: 16);

        output.WriteLine($"{cluster.Restarts} restarts ({cluster.RestartTime.TotalSeconds:0} s in restarts), {clock.Elapsed.TotalSeconds:0} s in all");
        output.WriteLine("interrupted: " + string.Join(", ", cycles.Caught.Select(c => $"{c.Key} {c.Value}")));
        output.WriteLine("outcomes: " + string.Join(", ", cycles.Outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}")));
        output.WriteLine("events: " + string.Join(", ", (await cycles.EventsAsync()).Select(e => $"{e.Key} {e.Value}")));
        Assert.True(cycles.Problems.Count == 0, string.Join("\n", cycles.Problems));
        Assert.Empty(cycles.RecoveryErrors());
        Assert.All(KillCycles.Kinds, kind => Assert.True(cycles.Caught[kind] >= 5, $"{kind} was interrupted {cycles.Caught[kind]} times in {cluster.Restarts} kills"));
        await cycles.TearDownAsync();
    }
}
