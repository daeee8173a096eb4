using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// A new user's first minutes on a machine without Podman: the product says once, in words, that
/// containers cannot run and what fixes it, and offers nothing a click would fail on.
/// </summary>
public sealed class FirstRunWithoutPodmanTests : IAsyncLifetime
{
    private const string PodmanMissing = "Podman is not installed; run `sudo bash scripts/setup-podman.sh`";
    private readonly LogCapture _logs = new();
    private readonly string _sockets = Directory.CreateTempSubdirectory("rm-no-podman-").FullName;
    private readonly RingmasterFactory _factory;
    private HttpClient _client = null!;

    public FirstRunWithoutPodmanTests()
    {
        _factory = new RingmasterFactory { Embedded = true, TestServices = s => s.AddSingleton<ILoggerProvider>(_logs) };
        // No engine answers at the socket the agent looks at, and the Podman program is not there.
        _factory.Settings["Ringmaster:Containers:Podman"] = "podman-is-not-installed-here";
        _factory.Settings["Ringmaster:Containers:PodmanSocketPath"] = Path.Combine(_sockets, "podman.sock");
        _factory.Settings["Agent:MetricsSeconds"] = "0.5";
    }

    public Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        Directory.Delete(_sockets, recursive: true);
    }

    private Task<JsonElement> OnlineHostAsync() => HttpJson.EventuallyAsync(
        async () => (await (await _client.GetAsync("/api/v1/hosts")).ReadJsonAsync()).GetProperty("items"),
        items => items.GetArrayLength() == 1 && items[0].GetProperty("online").GetBoolean(),
        TimeSpan.FromSeconds(30), "the embedded host online");

    [Fact]
    public async Task Hosts_NoPodman_SayContainersUnavailableAndWhatFixesIt()
    {
        var host = (await OnlineHostAsync())[0];

        var capabilities = host.GetProperty("capabilities");
        Assert.Equal(JsonValueKind.Null, capabilities.GetProperty("containerEngine").ValueKind);
        Assert.Equal(PodmanMissing, capabilities.GetProperty("containerEngineProblem").GetString());
    }

    [Fact]
    public async Task Catalog_NoPodman_ContainerTemplateUnavailableWithReason_VmTemplatesAvailable()
    {
        await OnlineHostAsync();

        var templates = (await (await _client.GetAsync("/api/v1/templates")).ReadJsonAsync()).GetProperty("items").EnumerateArray()
            .ToDictionary(t => t.GetProperty("name").GetString()!);
        Assert.False(templates["busybox"].GetProperty("available").GetBoolean());
        Assert.Contains(PodmanMissing, templates["busybox"].GetProperty("unavailableReason").GetString());
        Assert.True(templates["default"].GetProperty("available").GetBoolean());
        Assert.Equal(JsonValueKind.Null, templates["default"].GetProperty("unavailableReason").ValueKind);
    }

    [Fact]
    public async Task Create_ContainerWithoutEngine_RefusedBeforeAnythingIsMade()
    {
        await OnlineHostAsync();

        var response = await _client.PostAsJsonAsync("/api/v1/machines", new { name = "c-1", template = "busybox" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains(PodmanMissing, await response.Content.ReadAsStringAsync());
        Assert.Equal(0, (await (await _client.GetAsync("/api/v1/machines")).ReadJsonAsync()).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Log_MissingEngine_SaidOnceNotEveryRound()
    {
        var first = (await OnlineHostAsync())[0].GetProperty("lastSeenAt").GetDateTimeOffset();
        // Three heartbeats later the agent has looked at its guests a dozen times or more.
        await HttpJson.EventuallyAsync(
            async () => (await (await _client.GetAsync("/api/v1/hosts")).ReadJsonAsync()).GetProperty("items")[0].GetProperty("lastSeenAt").GetDateTimeOffset(),
            seen => seen >= first.AddSeconds(9), TimeSpan.FromSeconds(60), "three more heartbeats");

        var said = _logs.Lines.Where(l => l.Contains("Podman is not installed", StringComparison.Ordinal)).ToList();
        Assert.Single(said, l => l.StartsWith("Warning", StringComparison.Ordinal));
        Assert.DoesNotContain(said, l => l.Contains("   at ", StringComparison.Ordinal));
    }
}
