using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ringmaster.Contracts;
using Ringmaster.Core.Services;
using Ringmaster.Core.Store;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests.Access;

/// <summary>Project quotas on the core four and machine count, enforced on create with a problem that names the quota.</summary>
public sealed class QuotaTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new();
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _admin = _factory.CreateClient();
        using var created = await _admin.PostAsJsonAsync("/api/v1/projects", new { name = "small", quotas = new { maxVcpus = 2, maxMemoryMiB = 256, maxDiskGiB = 3, maxNetworks = 2, maxMachines = 2 } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync();
        AccessFixture.AddMachine(db, "small-1", "small", null);
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Theory]
    [InlineData(2, 64, 1, "vcpus")]
    [InlineData(1, 256, 1, "memoryMiB")]
    [InlineData(1, 64, 3, "diskGiB")]
    public async Task Create_OverAQuota_ConflictNamingTheQuota(int vcpus, int memoryMiB, int diskGiB, string quota)
    {
        using var response = await _admin.PostAsJsonAsync("/api/v1/machines", new { name = "too-big", template = "busybox", project = "small", vcpus, memoryMiB, diskGiB });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var detail = (await response.ReadJsonAsync()).GetProperty("detail").GetString();
        Assert.Contains($"quota '{quota}' exceeded", detail, StringComparison.Ordinal);
        Assert.Contains("small", detail, StringComparison.Ordinal);
        var machines = await (await _admin.GetAsync("/api/v1/machines")).ReadJsonAsync();
        Assert.DoesNotContain(machines.GetProperty("items").EnumerateArray(), m => m.GetProperty("name").GetString() == "too-big");
    }

    [Fact]
    public async Task Create_MachineCountReached_Conflict()
    {
        await using (var db = await _factory.Services.GetRequiredService<IDbContextFactory<RingmasterDbContext>>().CreateDbContextAsync())
        {
            AccessFixture.AddMachine(db, "small-2", "small", null);
            await db.SaveChangesAsync();
        }

        (await _admin.PutAsJsonAsync("/api/v1/projects/small/quotas", new { maxMachines = 2 })).EnsureSuccessStatusCode();

        using var response = await _admin.PostAsJsonAsync("/api/v1/machines", new { name = "third", template = "busybox", project = "small", memoryMiB = 16 });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("quota 'machines' exceeded", (await response.ReadJsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithinQuotas_GetsPastTheQuotaCheck()
    {
        // No host is online in this app, so a create that fits stops at placement, not at a quota.
        using var response = await _admin.PostAsJsonAsync("/api/v1/machines", new { name = "fits", template = "busybox", project = "small", vcpus = 1, memoryMiB = 64, diskGiB = 1 });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.DoesNotContain("quota", (await response.ReadJsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ResizeDelta_UpAboveQuotaRefusedDownAllowed()
    {
        var quotas = _factory.Services.GetRequiredService<ProjectQuotas>();
        var small = new MachineSpec(1, 64, [new DiskSpec("root", 1)], [new NetworkSpec("eth0")]);
        var big = small with { Vcpus = 3 };

        Assert.Contains("quota 'vcpus' exceeded", await quotas.CheckAsync("small", QuotaDelta.Resize(small, big)), StringComparison.Ordinal);
        Assert.Null(await quotas.CheckAsync("small", QuotaDelta.Resize(big, small)));
        Assert.Null(await quotas.CheckAsync("small", QuotaDelta.Resize(small, small with { Vcpus = 2 })));
    }

    [Fact]
    public async Task Project_ShowsUsageAndQuotas()
    {
        var project = await (await _admin.GetAsync("/api/v1/projects/small")).ReadJsonAsync();
        Assert.Equal(2, project.GetProperty("quotas").GetProperty("maxVcpus").GetInt32());
        Assert.Equal(1, project.GetProperty("usage").GetProperty("vcpus").GetInt32());
        Assert.Equal(1, project.GetProperty("usage").GetProperty("machines").GetInt32());

        using var lifted = await _admin.PutAsJsonAsync("/api/v1/projects/small/quotas", new { maxVcpus = (int?)null });
        Assert.Equal(HttpStatusCode.OK, lifted.StatusCode);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await lifted.ReadJsonAsync()).GetProperty("quotas").GetProperty("maxVcpus").ValueKind);
    }

    [Fact]
    public async Task SetQuotas_Negative_ValidationProblem()
    {
        using var response = await _admin.PutAsJsonAsync("/api/v1/projects/small/quotas", new { maxMachines = -1 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadJsonAsync()).GetProperty("errors").TryGetProperty("maxMachines", out _));
    }

    [Fact]
    public async Task Patch_ResizeOverAQuota_ConflictNamingTheQuota_SpecUnchanged()
    {
        var etag = (await _admin.GetAsync("/api/v1/machines/small-1")).Headers.ETag!.ToString();
        using var request = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/machines/small-1") { Content = new StringContent("""{"spec": {"vcpus": 3}}""", System.Text.Encoding.UTF8) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/merge-patch+json");
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        using var response = await _admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("quota 'vcpus' exceeded", (await response.ReadJsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        var machine = await (await _admin.GetAsync("/api/v1/machines/small-1")).ReadJsonAsync();
        Assert.Equal(1, machine.GetProperty("spec").GetProperty("vcpus").GetInt32());
    }
}
