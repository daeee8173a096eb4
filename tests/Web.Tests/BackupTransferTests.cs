using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Restoring a backup on a host whose backup store is its own: the archives travel from the host
/// that wrote them through the server's relay. The web and two agent processes, each with its own
/// store (the default folder in its data directory).
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class BackupTransferTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("ringmaster-backup-transfer-").FullName;
    private readonly string _token = "bt-" + Guid.NewGuid().ToString("N");
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly int _port = RingmasterProcess.FreePort();
    private readonly List<RingmasterProcess> _processes = [];
    private ApiClient _api = null!;
    private RingmasterProcess _agentA = null!;

    private string HostA => "bt-a-" + _suffix;
    private string HostB => "bt-b-" + _suffix;
    private string StoreB => Path.Combine(_root, "b", "backups");

    public Task InitializeAsync()
    {
        _api = ApiClient.For(_port);
        _processes.Add(RingmasterProcess.StartWeb(_port, Path.Combine(_root, "web"), _token));
        _agentA = RingmasterProcess.StartAgent(_port, Path.Combine(_root, "a"), _token, HostA);
        _processes.Add(_agentA);
        _processes.Add(RingmasterProcess.StartAgent(_port, Path.Combine(_root, "b"), _token, HostB));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    private Task<JsonElement> HostStateAsync(string host) =>
        HttpJson.EventuallyAsync(async () =>
        {
            try
            {
                return await _api.HostAsync(host);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                return default;
            }
        }, h => h.ValueKind == JsonValueKind.Object && h.GetProperty("online").GetBoolean(), TimeSpan.FromSeconds(90), $"host {host} online");

    private async Task<JsonElement> RunAsync(HttpMethod method, string path, object? body = null) =>
        (await _api.WaitSucceededAsync(await _api.StartOperationAsync(method, path, body), TimeSpan.FromMinutes(4))).GetProperty("result");

    private async Task<JsonElement> WaitEndedAsync(Guid operationId) =>
        await HttpJson.EventuallyAsync(
            () => _api.GetAsync($"/api/v1/operations/{operationId}"),
            o => o.GetProperty("state").GetString() is "Succeeded" or "Failed" or "Cancelled",
            TimeSpan.FromMinutes(4), $"operation {operationId} to end");


    [Fact]
    public async Task IncrementalChain_RestoredOnHostWithItsOwnStore_GuestSeesItsDisk_SourceOfflineIsAClearFailure()
    {
        await HostStateAsync(HostA);
        await HostStateAsync(HostB);
        var vm = "bt-vm-" + _suffix;
        await RunAsync(HttpMethod.Post, "/api/v1/machines", new { name = vm, template = "default", memoryMiB = 128, host = HostA });
        Guid full;
        Guid incremental;
        await using (var console = await _api.OpenConsoleAsync(vm))
        {
            await console.ReadUntilAsync(seen => seen.Contains("~ # ", StringComparison.Ordinal), TimeSpan.FromMinutes(3));
            await console.RunAsync("echo one | dd of=/dev/vda conv=sync 2>/dev/null; sync; echo at-$(head -c 3 /dev/vda)", "at-one");
            full = (await RunAsync(HttpMethod.Post, $"/api/v1/machines/{vm}/backups", new { })).GetProperty("id").GetGuid();
            await console.RunAsync("echo two | dd of=/dev/vda conv=sync 2>/dev/null; sync; echo at-$(head -c 3 /dev/vda)", "at-two");
            var second = await RunAsync(HttpMethod.Post, $"/api/v1/machines/{vm}/backups", new { });
            Assert.True(second.GetProperty("incremental").GetBoolean());
            incremental = second.GetProperty("id").GetGuid();
        }

        await RunAsync(HttpMethod.Delete, $"/api/v1/machines/{vm}");

        // Host B's store has neither archive: the chain comes over from A, and goes again after the restore.
        var operationId = await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/backups/{incremental}/restore", new { host = HostB, name = vm + "-b" });
        var operation = await _api.WaitSucceededAsync(operationId, TimeSpan.FromMinutes(4));
        Assert.Contains("Copied 2 archive(s)", operation.GetProperty("log").GetString());
        var restored = operation.GetProperty("result");
        Assert.Equal(HostB, restored.GetProperty("host").GetString());
        Assert.Equal("Running", restored.GetProperty("state").GetString());
        await using (var console = await _api.OpenConsoleAsync(vm + "-b"))
        {
            await console.ReadUntilAsync(seen => seen.Contains("~ # ", StringComparison.Ordinal), TimeSpan.FromMinutes(3));
            await console.RunAsync("echo got-$(head -c 3 /dev/vda)", "got-two");
        }

        Assert.Empty(Directory.Exists(StoreB) ? Directory.GetFiles(StoreB) : []);
        var listed = (await _api.GetAsync("/api/v1/backups")).EnumerateArray().Where(b => b.GetProperty("id").GetGuid() == full).ToList();
        Assert.Equal(HostA, Assert.Single(listed).GetProperty("host").GetString());

        // With A gone its store is out of reach: the restore fails saying so, and leaves no machine behind.
        _agentA.KillHard();
        await HttpJson.EventuallyAsync(() => _api.HostAsync(HostA), h => !h.GetProperty("online").GetBoolean(), TimeSpan.FromSeconds(60), "host A offline");
        var failedId = await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/backups/{full}/restore", new { host = HostB, name = vm + "-c" });
        var failed = await WaitEndedAsync(failedId);
        Assert.Equal("Failed", failed.GetProperty("state").GetString());
        var error = failed.GetProperty("error").GetString()!;
        Assert.Contains(HostA, error);
        Assert.Contains("offline", error);
        var names = (await _api.GetAsync("/api/v1/machines?limit=100")).GetProperty("items").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.DoesNotContain(vm + "-c", names);
        Assert.Empty(Directory.GetFiles(StoreB));
    }

    [Fact]
    public async Task CloneOnOtherHost_RunningFork_ContinuesThereWithShellAndDisk_LinkedIsRefused()
    {
        await HostStateAsync(HostA);
        await HostStateAsync(HostB);
        var vm = "bt-fork-" + _suffix;
        await RunAsync(HttpMethod.Post, "/api/v1/machines", new { name = vm, template = "default", memoryMiB = 128, host = HostA });
        await using (var console = await _api.OpenConsoleAsync(vm))
        {
            await console.ReadUntilAsync(seen => seen.Contains("~ # ", StringComparison.Ordinal), TimeSpan.FromMinutes(3));
            await console.RunAsync("echo one | dd of=/dev/vda conv=sync 2>/dev/null; sync; c=7; echo at-$(head -c 3 /dev/vda)-$c", "at-one-7");
        }

        var linked = await _api.Http.PostAsJsonAsync($"/api/v1/machines/{vm}/clone", new { name = vm + "-l", linked = true, host = HostB });
        Assert.Equal(HttpStatusCode.BadRequest, linked.StatusCode);
        Assert.Contains("linked", await linked.Content.ReadAsStringAsync());
        var nowhere = await _api.Http.PostAsJsonAsync($"/api/v1/machines/{vm}/clone", new { name = vm + "-n", host = "no-such-host" });
        Assert.Equal(HttpStatusCode.BadRequest, nowhere.StatusCode);

        var fork = await RunAsync(HttpMethod.Post, $"/api/v1/machines/{vm}/clone", new { name = vm + "-b", host = HostB, includeMemory = true });
        Assert.Equal(HostB, fork.GetProperty("host").GetString());
        Assert.Equal("Running", fork.GetProperty("state").GetString());
        Assert.Equal(HostA, (await _api.MachineAsync(vm)).GetProperty("host").GetString());
        Assert.NotEqual(
            (await _api.MachineAsync(vm)).GetProperty("spec").GetProperty("networks")[0].GetProperty("mac").GetString(),
            fork.GetProperty("spec").GetProperty("networks")[0].GetProperty("mac").GetString());
        await using (var console = await _api.OpenConsoleAsync(vm + "-b"))
        {
            await console.RunAsync("echo fork-$(head -c 3 /dev/vda)-$c", "fork-one-7");
        }
    }
}
