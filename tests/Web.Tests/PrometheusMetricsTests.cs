using System.Diagnostics;
using System.Net;
using Ringmaster.Contracts;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// <c>GET /metrics</c> as a Prometheus server scrapes it: Prometheus' own parser (<c>promtool check
/// metrics</c>, Debian's <c>prometheus</c> package) reads it without an error or a lint warning,
/// and each series an operator graphs is in it; it needs an admin's token unless
/// <c>Metrics:AllowAnonymous</c> says otherwise.
/// </summary>
public sealed class PrometheusMetricsTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private readonly Guid _web = Guid.NewGuid();
    private ApiClient _api = null!;
    private ScriptedAgent _agent = null!;

    public async Task InitializeAsync()
    {
        _api = new ApiClient(_factory.StartKestrel());
        _agent = new ScriptedAgent(_api.Http.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "prom-host");
        _agent.Guests[_web] = ScriptedAgent.Guest(_web, "scraped", MachineState.Running);
        _agent.AutoComplete = c => new CommandResult(c.CommandId, true, ScriptedAgent.Guest(_web, "scraped", MachineState.Stopped), null);
        await _agent.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private static async Task<(int Exit, string Output)> PromtoolAsync(string exposition)
    {
        var start = new ProcessStartInfo("promtool", "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start (Debian package prometheus; ./test.sh installs it)");
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    /// <summary>The sample lines of a series: its name, then the labels given (any order), whatever its other labels.</summary>
    private static List<string> Samples(string exposition, string name, params string[] labels) =>
        [.. exposition.Split('\n').Where(l => !l.StartsWith('#') && (l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal))
            && labels.All(label => l.Contains(label, StringComparison.Ordinal)))];

    private static double Value(string sample) => double.Parse(sample[(sample.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Metrics_Scraped_PrometheusParsesItAndFindsEverySeries()
    {
        await _agent.SendMetricsAsync([new GuestMetrics(_web, DateTimeOffset.UtcNow, 42.5, 300L << 20, 512L << 20, 4096, 8192, 1000, 2000)]);
        var stop = await _api.StartOperationAsync(HttpMethod.Post, "/api/v1/machines/scraped/stop");
        await _api.WaitSucceededAsync(stop, TimeSpan.FromSeconds(30));

        var response = await _api.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();

        var (exit, output) = await PromtoolAsync(text);
        Assert.True(exit == 0, $"promtool check metrics exited {exit}:\n{output}");

        // Machines by state and kind; hosts online.
        Assert.Equal("ringmaster_machines{state=\"Stopped\",kind=\"Container\"} 1", Assert.Single(Samples(text, "ringmaster_machines", "state=\"Stopped\"", "kind=\"Container\"")));
        Assert.Single(Samples(text, "ringmaster_machines", "state=\"Running\"", "kind=\"Vm\""));
        Assert.Equal("ringmaster_hosts_online 1", Assert.Single(Samples(text, "ringmaster_hosts_online")));

        // Operations by kind and outcome, with their durations; the agent's command latency.
        // (The instruments are the process' own: other apps of the test run may have added to them.)
        Assert.True(Value(Assert.Single(Samples(text, "ringmaster_operation_duration_seconds_count", "kind=\"machine.stop\"", "outcome=\"succeeded\""))) >= 1);
        Assert.NotEmpty(Samples(text, "ringmaster_operation_duration_seconds_bucket", "kind=\"machine.stop\"", "le=\"+Inf\""));
        Assert.NotEmpty(Samples(text, "ringmaster_operation_duration_seconds_sum", "kind=\"machine.stop\""));
        Assert.NotEmpty(Samples(text, "ringmaster_agent_command_duration_seconds_count", "command=\"act\"", "outcome=\"succeeded\""));

        // Per-machine figures, from the agent's newest push.
        Assert.Equal("ringmaster_machine_cpu_percent{machine=\"scraped\",project=\"default\"} 42.5", Assert.Single(Samples(text, "ringmaster_machine_cpu_percent", "machine=\"scraped\"")));
        Assert.Single(Samples(text, "ringmaster_machine_memory_used_bytes", "machine=\"scraped\""), $"ringmaster_machine_memory_used_bytes{{machine=\"scraped\",project=\"default\"}} {300L << 20}");
        foreach (var series in new[] { "memory_limit_bytes", "disk_read_bytes", "disk_write_bytes", "network_receive_bytes", "network_transmit_bytes" })
        {
            Assert.Single(Samples(text, "ringmaster_machine_" + series, "machine=\"scraped\""));
        }

        // Migration downtime, for both modes before any move.
        Assert.Single(Samples(text, "ringmaster_migration_downtime_seconds_count", "mode=\"live\""));
        Assert.Single(Samples(text, "ringmaster_migration_downtime_seconds_count", "mode=\"cold\""));

        // The process' runtime.
        foreach (var series in new[] { "process_cpu_seconds_total", "process_working_set_bytes", "dotnet_collection_count_total", "dotnet_total_memory_bytes" })
        {
            Assert.NotEmpty(Samples(text, series));
        }
    }

    [Fact]
    public async Task Metrics_WithoutToken_Unauthorized()
    {
        using var anonymous = _factory.CreateAnonymousClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Metrics_AllowAnonymous_ServedWithoutToken()
    {
        await using var factory = new RingmasterFactory { Settings = { ["Metrics:AllowAnonymous"] = "true" } };
        using var anonymous = factory.CreateAnonymousClient();
        var response = await anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("ringmaster_hosts_online 0", await response.Content.ReadAsStringAsync());
    }
}
