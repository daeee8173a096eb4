using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>The embedded agent over a real loopback port, and the join token that guards the hub.</summary>
public sealed class AgentHubTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new() { Embedded = true };
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task EmbeddedAgent_AfterStart_HostOnlineWithCapabilities()
    {
        var hosts = await HttpJson.EventuallyAsync(
            async () => await (await _client.GetAsync("/api/v1/hosts")).ReadJsonAsync(),
            page => page.GetProperty("items").EnumerateArray().Any(h => h.GetProperty("online").GetBoolean()),
            TimeSpan.FromSeconds(30), "the embedded host to come online");

        var host = hosts.GetProperty("items")[0];
        Assert.Equal("test-host", host.GetProperty("name").GetString());
        var capabilities = host.GetProperty("capabilities");
        Assert.Equal(Environment.ProcessorCount, capabilities.GetProperty("cores").GetInt32());
        Assert.True(capabilities.GetProperty("memoryBytes").GetInt64() > 0);
        Assert.False(string.IsNullOrWhiteSpace(capabilities.GetProperty("cpuModel").GetString()));
        Assert.Equal("rv64imafdc_zicsr_zifencei", capabilities.GetProperty("emulatorIsa").GetString());
        var cpuinfo = await File.ReadAllTextAsync("/proc/cpuinfo");
        Assert.Equal(cpuinfo.Contains(" hypervisor", StringComparison.Ordinal), capabilities.GetProperty("runsInsideHypervisor").GetBoolean());
        Assert.Equal(File.Exists("/dev/kvm"), !capabilities.GetProperty("kvmDetail").GetString()!.StartsWith("not present", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ready_EmbeddedAgentConnected_Ok()
    {
        var ready = await HttpJson.EventuallyAsync(
            () => _client.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "readiness");

        var body = await ready.ReadJsonAsync();
        Assert.Equal("connected", body.GetProperty("checks").GetProperty("embeddedAgent").GetString());
        Assert.Equal("reachable", body.GetProperty("checks").GetProperty("database").GetString());
    }

    [Fact]
    public async Task Hub_WrongJoinToken_ConnectionRejected()
    {
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(_client.BaseAddress!, AgentHubPaths.Hub), o => o.AccessTokenProvider = () => Task.FromResult<string?>("not-the-token"))
            .Build();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    [Fact]
    public async Task Hub_NoToken_ConnectionRejected()
    {
        await using var connection = new HubConnectionBuilder().WithUrl(new Uri(_client.BaseAddress!, AgentHubPaths.Hub)).Build();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    [Fact]
    public async Task Hub_RightJoinToken_RegistersHost()
    {
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(_client.BaseAddress!, AgentHubPaths.Hub), o => o.AccessTokenProvider = () => Task.FromResult<string?>(_factory.JoinToken))
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()))
            .Build();
        await connection.StartAsync();
        var hostId = Guid.NewGuid();
        var capabilities = new HostCapabilities("Test CPU", 4, 8L << 30, 1L << 30, 2L << 30, [], false, null, false, null, false, false, "not present", null, "0", "rv64", "Linux", "x64");

        var result = await connection.InvokeAsync<RegistrationResult>(nameof(IAgentHub.Register), new AgentRegistration(hostId, "second-host", "test", capabilities, []));

        Assert.Equal(hostId, result.HostId);
        var host = await (await _client.GetAsync($"/api/v1/hosts/{hostId}")).ReadJsonAsync();
        Assert.Equal("second-host", host.GetProperty("name").GetString());
        Assert.True(host.GetProperty("online").GetBoolean());
        Assert.Equal(JsonValueKind.Null, host.GetProperty("capabilities").GetProperty("containerEngine").ValueKind);
    }
}
