using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>Agents join with a join token, then use their own credential, which an admin can revoke.</summary>
public sealed class AgentCredentialTests : IAsyncLifetime
{
    private static readonly HostCapabilities s_capabilities = new("Test CPU", 4, 8L << 30, 1L << 30, 2L << 30, [], false, null, false, null, false, false, "not present", null, "0", "rv64", "Linux", "x64");
    private readonly RingmasterFactory _factory = new() { Embedded = true };
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _admin = _factory.StartKestrel();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private HubConnection Hub(string secret) => new HubConnectionBuilder()
        .WithUrl(new Uri(_admin.BaseAddress!, AgentHubPaths.Hub), o => o.AccessTokenProvider = () => Task.FromResult<string?>(secret))
        .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
        .Build();

    private static Task<RegistrationResult> RegisterAsync(HubConnection connection, Guid hostId, string name) =>
        connection.InvokeAsync<RegistrationResult>(nameof(IAgentHub.Register), new AgentRegistration(hostId, name, "test", s_capabilities, []));

    [Fact]
    public async Task EmbeddedAgent_KeepsItsCredentialNextToItsIdentity_StoredHashedOnTheServer()
    {
        var agents = await HttpJson.EventuallyAsync(
            async () => await (await _admin.GetAsync("/api/v1/agents")).ReadJsonAsync(),
            // Connected comes first, the host once its registration is through.
            page => page.GetProperty("items").EnumerateArray().Any(a => a.GetProperty("connected").GetBoolean() && a.GetProperty("host").ValueKind == JsonValueKind.String),
            TimeSpan.FromSeconds(30), "the embedded agent to join and register");
        var agent = agents.GetProperty("items")[0];
        Assert.Equal("test-host", agent.GetProperty("host").GetString());

        // The agent keeps the credential when its registration answers, which may be just after
        // the server lists it as connected.
        var file = Path.Combine(_factory.DataPath, "agent", "credential");
        var credential = await HttpJson.EventuallyAsync(
            async () => File.Exists(file) ? (await File.ReadAllTextAsync(file)).Trim() : "",
            c => c.Length > 0, TimeSpan.FromSeconds(30), "the agent to keep its credential");
        Assert.StartsWith("rma_", credential, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        Assert.Equal(Secrets.Hash(credential), (await db.AgentCredentials.SingleAsync()).Hash);
    }

    [Fact]
    public async Task Revoke_AgentDisconnectedAndRefusedWithCredentialOrJoinToken()
    {
        var created = await (await _admin.PostAsJsonAsync("/api/v1/join-tokens", new { name = "rack-7" })).ReadJsonAsync();
        var joinToken = created.GetProperty("token").GetString()!;
        Assert.StartsWith("rmj_", joinToken, StringComparison.Ordinal);
        var hostId = Guid.NewGuid();
        string credential;
        await using (var joining = Hub(joinToken))
        {
            await joining.StartAsync();
            credential = (await RegisterAsync(joining, hostId, "rack-7-host")).Credential!;
            Assert.StartsWith("rma_", credential, StringComparison.Ordinal);
        }

        await using var agent = Hub(credential);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.Closed += error => { closed.TrySetResult(error); return Task.CompletedTask; };
        await agent.StartAsync();
        var again = await RegisterAsync(agent, hostId, "rack-7-host");
        Assert.Null(again.Credential);
        Assert.True((await (await _admin.GetAsync($"/api/v1/hosts/{hostId}")).ReadJsonAsync()).GetProperty("online").GetBoolean());

        using var revoked = await _admin.DeleteAsync($"/api/v1/agents/{hostId}/credential");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HubConnectionState.Disconnected, agent.State);
        await using (var withCredential = Hub(credential))
        {
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => withCredential.StartAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        await using (var withJoinToken = Hub(joinToken))
        {
            await withJoinToken.StartAsync();
            var error = await Assert.ThrowsAnyAsync<Exception>(() => RegisterAsync(withJoinToken, hostId, "rack-7-host"));
            Assert.Contains("revoked", error.Message, StringComparison.Ordinal);
        }

        var list = await (await _admin.GetAsync("/api/v1/agents")).ReadJsonAsync();
        var entry = list.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("hostId").GetGuid() == hostId);
        Assert.False(entry.GetProperty("connected").GetBoolean());
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, entry.GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task JoinToken_Revoked_Refused()
    {
        var created = await (await _admin.PostAsJsonAsync("/api/v1/join-tokens", new { name = "once" })).ReadJsonAsync();
        using var revoked = await _admin.DeleteAsync($"/api/v1/join-tokens/{created.GetProperty("id").GetGuid()}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        await using var connection = Hub(created.GetProperty("token").GetString()!);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var list = await (await _admin.GetAsync("/api/v1/join-tokens")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(created.GetProperty("token").GetString()!, list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JoinTokens_NonAdmin_Forbidden()
    {
        (await _admin.PostAsJsonAsync("/api/v1/users", new { userName = "ops", password = "ops-password", role = "Operator" })).EnsureSuccessStatusCode();
        using var anonymous = _factory.CreateAnonymousClient();
        var login = await (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { userName = "ops", password = "ops-password" })).ReadJsonAsync();
        using var ops = _factory.CreateClient();
        ops.DefaultRequestHeaders.Authorization = new("Bearer", login.GetProperty("token").GetString());

        Assert.Equal(HttpStatusCode.Forbidden, (await ops.PostAsJsonAsync("/api/v1/join-tokens", new { name = "sneaky" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ops.GetAsync("/api/v1/agents")).StatusCode);
    }
}
