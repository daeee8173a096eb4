using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>PATCH of a spec that the host must apply: a running container's limits live, a VM's at its next start.</summary>
public sealed class MachinePatchAgentTests : IAsyncLifetime
{
    private readonly RingmasterFactory _factory = new() { Embedded = true };
    private ApiClient _api = null!;

    public async Task InitializeAsync()
    {
        _api = new ApiClient(_factory.StartKestrel());
        await HttpJson.EventuallyAsync(
            () => _api.GetAsync("/api/v1/hosts"),
            page => page.GetProperty("items").EnumerateArray().Any(h => h.GetProperty("online").GetBoolean()),
            TimeSpan.FromSeconds(60), "the embedded host online");
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<HttpResponseMessage> PatchAsync(string name, string body)
    {
        var etag = (await _api.Http.GetAsync($"/api/v1/machines/{name}")).Headers.ETag!.ToString();
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/machines/{name}") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/merge-patch+json");
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        return await _api.Http.SendAsync(request);
    }

    [Fact]
    public async Task Patch_RunningContainerMemory_202OperationAndGuestSeesNewLimit()
    {
        var name = "lim-" + Guid.NewGuid().ToString("N")[..8];
        await _api.CreateMachineAsync(new { name, template = "busybox", memoryMiB = 64 }, TimeSpan.FromMinutes(3));

        var response = await PatchAsync(name, """{"spec": {"memoryMiB": 96}}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.NotNull(response.Headers.Location);
        var operationId = (await response.ReadJsonAsync()).GetProperty("operation").GetProperty("id").GetGuid();
        await _api.WaitSucceededAsync(operationId, TimeSpan.FromMinutes(1));
        var machine = await _api.MachineAsync(name);
        Assert.Equal(96, machine.GetProperty("spec").GetProperty("memoryMiB").GetInt32());
        Assert.Equal("Running", machine.GetProperty("state").GetString());
        await using (var console = await _api.OpenConsoleAsync(name))
        {
            await console.WaitReadyAsync();
            await console.TypeAsync("cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null\n");
            await console.ReadUntilAsync(_ => console.Lines.Contains("100663296"), TimeSpan.FromSeconds(20));
            Assert.True(console.Lines.Contains("100663296"), $"the container's memory limit is not 96 MiB; the console showed: {console.Seen}");
        }

        await _api.WaitSucceededAsync(await _api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{name}"), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Patch_RunningVmMemory_200AndDetailSaysNextStart()
    {
        var name = "vmrun-" + Guid.NewGuid().ToString("N")[..8];
        await _api.CreateMachineAsync(new { name, template = "default" }, TimeSpan.FromMinutes(3));

        var response = await PatchAsync(name, """{"spec": {"memoryMiB": 128}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(128, body.GetProperty("spec").GetProperty("memoryMiB").GetInt32());
        Assert.Equal("The new vCPUs and memory take effect at the VM's next start.", body.GetProperty("detail").GetString());
        await _api.WaitSucceededAsync(await _api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{name}"), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Patch_StoppedVmSpec_200AndKeptForNextStart()
    {
        var name = "vmres-" + Guid.NewGuid().ToString("N")[..8];
        await _api.CreateMachineAsync(new { name, template = "default", start = false }, TimeSpan.FromMinutes(3));

        var response = await PatchAsync(name, """{"spec": {"vcpus": 2, "memoryMiB": 128, "diskGiB": 2}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(2, body.GetProperty("spec").GetProperty("vcpus").GetInt32());
        Assert.Equal(128, body.GetProperty("spec").GetProperty("memoryMiB").GetInt32());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("detail").ValueKind);
        var hostGuest = await HttpJson.EventuallyAsync(() => _api.MachineAsync(name), m => m.GetProperty("spec").GetProperty("diskGiB").GetInt32() == 2, TimeSpan.FromSeconds(5), "the new disk size");
        Assert.Equal(2, hostGuest.GetProperty("spec").GetProperty("disks")[0].GetProperty("sizeGiB").GetInt32());

        await _api.WaitSucceededAsync(await _api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{name}"), TimeSpan.FromMinutes(1));
    }
}
