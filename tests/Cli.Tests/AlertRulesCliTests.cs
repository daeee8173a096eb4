using Ringmaster.Cli.Tests.Infrastructure;

namespace Ringmaster.Cli.Tests;

/// <summary><c>ringmaster alert-rules create|list|delete</c> against a real server.</summary>
public sealed class AlertRulesCliTests(CliServerFixture server) : IClassFixture<CliServerFixture>, IDisposable
{
    private readonly CliRunner _cli = CliRunner.For(server.Client);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task CreateListDelete_RuleShownWithItsCondition_ThenGone()
    {
        var name = $"cli-rule-{Guid.NewGuid():N}"[..16];

        var created = await _cli.RunAsync("alert-rules", "create", name, "--metric", "cpuPercent", "--threshold", "90", "--for", "120", "--severity", "critical");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("cpuPercent > 90 for 120 s", created.Out);
        var row = (await _cli.RunAsync("alert-rules", "list")).Out.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.Contains("all-machines", row);
        Assert.Contains("critical", row);

        var deleted = await _cli.RunAsync("alert-rules", "delete", name);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.DoesNotContain(name, (await _cli.RunAsync("alert-rules", "list")).Out);
        var again = await _cli.RunAsync("alert-rules", "delete", name);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"No alert rule named '{name}'", again.Error);
    }

    [Fact]
    public async Task Create_BadMetric_ServerSaysWhichFieldAndWhy()
    {
        var result = await _cli.RunAsync("alert-rules", "create", "cli-bad-rule", "--metric", "load", "--threshold", "1", "--for", "60");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("metric: The metric is one of the figures the metrics history keeps", result.Error);
        Assert.DoesNotContain("cli-bad-rule", (await _cli.RunAsync("alert-rules", "list")).Out);
    }
}
