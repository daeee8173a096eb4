using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Ringmaster.Core;
using Ringmaster.Core.Services;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Postgres;

/// <summary>
/// The leader election on a real PostgreSQL, in one process: two nodes on one database, exactly one
/// leads; when the leader stops, the other leads within seconds; when the leader's session is killed
/// under it, the work it ran is told to stop and one node leads again.
/// </summary>
public sealed class LeadershipTests
{
    private static readonly TimeSpan s_poll = TimeSpan.FromSeconds(0.5);

    private static async Task<string> NewDatabaseAsync()
    {
        var connectionString = PostgresServer.Shared.NewConnectionString("leadership");
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var connection = new NpgsqlConnection(PostgresServer.Shared.ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
        await create.ExecuteNonQueryAsync();
        return connectionString;
    }

    private static PostgresLeadership Node(string connectionString, string name) => new(
        Options.Create(new RingmasterOptions { ConnectionString = connectionString }),
        Options.Create(new LeadershipOptions { Node = name, PollSeconds = s_poll.TotalSeconds }),
        TimeProvider.System,
        NullLogger<PostgresLeadership>.Instance);

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task TwoNodes_OneLeads_LeaderStops_OtherLeadsAndTheOldLeadersWorkIsStopped()
    {
        var connectionString = await NewDatabaseAsync();
        using var a = Node(connectionString, "node-a");
        using var b = Node(connectionString, "node-b");
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        try
        {
            Assert.True(a.IsLeader);
            Assert.False(b.IsLeader);
            Assert.True(a.Shared);
            var leadOfA = await a.WaitForLeadershipAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            var waitOfB = b.WaitForLeadershipAsync(CancellationToken.None);
            // Some polls of b's go by without it taking the lead while a holds it.
            await Task.Delay(s_poll * 4);
            Assert.False(waitOfB.IsCompleted);
            Assert.False(b.IsLeader);

            await a.StopAsync(CancellationToken.None);
            Assert.True(leadOfA.IsCancellationRequested);
            Assert.False(a.IsLeader);
            var leadOfB = await waitOfB.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.False(leadOfB.IsCancellationRequested);
            Assert.True(b.IsLeader);
            Assert.NotNull(b.LeaderSince);
        }
        finally
        {
            await b.StopAsync(CancellationToken.None);
            await a.StopAsync(CancellationToken.None);
            PostgresServer.Release(connectionString);
        }
    }

    [Fact]
    public async Task LeadersSessionKilled_ItsWorkIsStopped_AndOneNodeLeadsAgain()
    {
        var connectionString = await NewDatabaseAsync();
        using var a = Node(connectionString, "node-a");
        using var b = Node(connectionString, "node-b");
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        using var stopping = new CancellationTokenSource();
        var runsOfA = 0;
        var stoppedOfA = 0;
        var workOfA = a.WhileLeadingAsync(async lead =>
        {
            Interlocked.Increment(ref runsOfA);
            await Task.Delay(Timeout.Infinite, lead).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Interlocked.Increment(ref stoppedOfA);
        }, stopping.Token);
        try
        {
            Assert.True(a.IsLeader);
            await WaitForAsync(() => Volatile.Read(ref runsOfA) == 1, TimeSpan.FromSeconds(5), "the leader's work to start");

            // As when the leader's process dies: PostgreSQL ends the session that holds the advisory lock.
            await using (var admin = new NpgsqlConnection(connectionString))
            {
                await admin.OpenAsync();
                await using var kill = new NpgsqlCommand(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", admin);
                Assert.Equal(1L, await kill.ExecuteScalarAsync());
            }

            // Node a's process lives on, so either node may take the lock again; what matters is that a
            // noticed and stopped its work, and that exactly one node leads again within seconds.
            await WaitForAsync(() => Volatile.Read(ref stoppedOfA) == 1, TimeSpan.FromSeconds(15), "node a to notice and stop its work");
            await WaitForAsync(() => a.IsLeader != b.IsLeader, TimeSpan.FromSeconds(15), "exactly one node to lead again");
            if (a.IsLeader)
            {
                await WaitForAsync(() => Volatile.Read(ref runsOfA) == 2, TimeSpan.FromSeconds(5), "node a's work to start again under its new lead");
            }
            else
            {
                Assert.Equal(1, Volatile.Read(ref runsOfA));
            }
        }
        finally
        {
            await stopping.CancelAsync();
            await workOfA.WaitAsync(TimeSpan.FromSeconds(10));
            await b.StopAsync(CancellationToken.None);
            await a.StopAsync(CancellationToken.None);
            PostgresServer.Release(connectionString);
        }
    }

    [Fact]
    public async Task Status_OneNode_ItLeads_AndSaysItsDatabase()
    {
        await using var app = new RingmasterFactory();
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/api/v1/status");
        var status = await response.ReadJsonAsync();

        Assert.True(response.IsSuccessStatusCode, status.ToString());
        Assert.True(status.GetProperty("leader").GetBoolean());
        Assert.Equal(PostgresServer.Selected ? "postgresql" : "sqlite", status.GetProperty("database").GetString());
        Assert.False(string.IsNullOrWhiteSpace(status.GetProperty("node").GetString()));
    }

    [Fact]
    public async Task SoleNode_LeadsAtOnce_AndItsWorkRunsUntilTheHostStops()
    {
        var sole = new SoleLeadership(Options.Create(new LeadershipOptions { Node = "only" }), TimeProvider.System);
        Assert.True(sole.IsLeader);
        Assert.False(sole.Shared);
        Assert.Equal("only", sole.Node);
        using var stopping = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var work = sole.WhileLeadingAsync(async lead =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, lead);
        }, stopping.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(work.IsCompleted);
        await stopping.CancelAsync();
        await work.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
