using System.Net;
using System.Net.Http.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>Placement refuses a host whose machines would be given more memory than Placement:MemoryOvercommitRatio times what it has.</summary>
public sealed class PlacementTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private ScriptedAgent _agent = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = _factory.StartKestrel();
        _agent = new ScriptedAgent(_client.BaseAddress!, _factory.JoinToken, Guid.NewGuid(), "eight-gig");
        await _agent.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Create_MemoryBeyondTheOvercommitRatio_ConflictSaysWhyAndWithinItIsAccepted()
    {
        // The host has 8 GiB: at the default 1.5× its machines may be given 12288 MiB.
        using var within = await _client.PostAsJsonAsync("/api/v1/machines", new { name = "fits", template = "busybox", memoryMiB = 12000, host = "eight-gig", start = false });
        Assert.Equal(HttpStatusCode.Accepted, within.StatusCode);

        using var named = await _client.PostAsJsonAsync("/api/v1/machines", new { name = "too-big", template = "busybox", memoryMiB = 300, host = "eight-gig" });
        Assert.Equal(HttpStatusCode.Conflict, named.StatusCode);
        Assert.Contains("eight-gig has 8192 MiB of memory and its machines are given 12000 MiB; 300 MiB more would pass the limit of 1.5× (12288 MiB",
            (await named.ReadJsonAsync()).GetProperty("detail").GetString());

        using var placed = await _client.PostAsJsonAsync("/api/v1/machines", new { name = "too-big", template = "busybox", memoryMiB = 300 });
        Assert.Equal(HttpStatusCode.Conflict, placed.StatusCode);
        Assert.Contains("No host has room for the memory", (await placed.ReadJsonAsync()).GetProperty("detail").GetString());

        using var small = await _client.PostAsJsonAsync("/api/v1/machines", new { name = "small", template = "busybox", memoryMiB = 288, start = false });
        Assert.Equal(HttpStatusCode.Accepted, small.StatusCode);
    }
}
