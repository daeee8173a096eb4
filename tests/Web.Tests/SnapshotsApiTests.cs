using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Snapshots, clones and backups through the REST API on a real guest: the web and two agent
/// processes whose backup stores are one shared folder.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class SnapshotsApiTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("ringmaster-snapshots-").FullName;
    private readonly string _token = "snap-" + Guid.NewGuid().ToString("N");
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly int _port = RingmasterProcess.FreePort();
    private readonly List<RingmasterProcess> _processes = [];
    private ApiClient _api = null!;

    private string HostA => "snap-a-" + _suffix;
    private string HostB => "snap-b-" + _suffix;

    public Task InitializeAsync()
    {
        _api = ApiClient.For(_port);
        var shared = new Dictionary<string, string?> { ["Agent__BackupStore"] = Path.Combine(_root, "shared-backups") };
        _processes.Add(RingmasterProcess.StartWeb(_port, Path.Combine(_root, "web"), _token));
        _processes.Add(RingmasterProcess.StartAgent(_port, Path.Combine(_root, "a"), _token, HostA, shared));
        _processes.Add(RingmasterProcess.StartAgent(_port, Path.Combine(_root, "b"), _token, HostB, shared));
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

    /// <summary>Waits for both agents: the web starts on a fresh database first, which takes over half a minute on a loaded machine.</summary>
    private async Task HostsOnlineAsync()
    {
        foreach (var host in new[] { HostA, HostB })
        {
            await HttpJson.EventuallyAsync(async () =>
            {
                try
                {
                    return await _api.HostAsync(host);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
                {
                    return default;
                }
            }, h => h.ValueKind != JsonValueKind.Undefined && h.GetProperty("online").GetBoolean(), TimeSpan.FromSeconds(120), $"host {host} online");
        }
    }

    private async Task<JsonElement> RunAsync(HttpMethod method, string path, object? body = null, int minutes = 3)
    {
        var operation = await _api.StartOperationAsync(method, path, body);
        return (await _api.WaitSucceededAsync(operation, TimeSpan.FromMinutes(minutes))).GetProperty("result");
    }


    [Fact]
    public async Task SnapshotRevertCloneBackupRestoreOnOtherHost_GuestShowsTheSavedValues()
    {
        await HostsOnlineAsync();
        await RunAsync(HttpMethod.Post, "/api/v1/machines", new { name = "vm-snap", template = "default", memoryMiB = 256, host = HostA });
        await using (var console = await _api.OpenConsoleAsync("vm-snap"))
        {
            await console.ReadUntilAsync(seen => seen.Contains("~ # ", StringComparison.Ordinal), TimeSpan.FromMinutes(2));
            await console.RunAsync("echo one | dd of=/dev/vda conv=sync 2>/dev/null; sync; c=1; echo at-$(head -c 3 /dev/vda)-$c", "at-one-1");
            var snapshot = await RunAsync(HttpMethod.Post, "/api/v1/machines/vm-snap/snapshots", new { name = "s1", description = "one and 1", includeMemory = true });
            Assert.Equal("s1", snapshot.GetProperty("name").GetString());
            await console.RunAsync("echo two | dd of=/dev/vda conv=sync 2>/dev/null; sync; c=2; echo at-$(head -c 3 /dev/vda)-$c", "at-two-2");
        }

        var duplicate = await _api.Http.PostAsJsonAsync("/api/v1/machines/vm-snap/snapshots", new { name = "s1" });
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        var badName = await _api.Http.PostAsJsonAsync("/api/v1/machines/vm-snap/snapshots", new { name = "no spaces" });
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        Assert.Equal("application/problem+json", badName.Content.Headers.ContentType?.MediaType);

        var reverted = await RunAsync(HttpMethod.Post, "/api/v1/machines/vm-snap/snapshots/s1/revert");
        Assert.Equal("Running", reverted.GetProperty("state").GetString());
        await using (var console = await _api.OpenConsoleAsync("vm-snap"))
        {
            await console.RunAsync("echo back-$(head -c 3 /dev/vda)-$c", "back-one-1");
        }

        await RunAsync(HttpMethod.Post, "/api/v1/machines/vm-snap/snapshots", new { name = "s2" });
        var tree = await _api.GetAsync("/api/v1/machines/vm-snap/snapshots");
        var root = Assert.Single(tree.EnumerateArray());
        Assert.Equal("s1", root.GetProperty("name").GetString());
        Assert.Equal("s2", Assert.Single(root.GetProperty("children").EnumerateArray()).GetProperty("name").GetString());

        var clone = await RunAsync(HttpMethod.Post, "/api/v1/machines/vm-snap/clone", new { name = "vm-snap-clone", linked = true });
        Assert.Equal("vm-snap-clone", clone.GetProperty("name").GetString());
        Assert.Equal(HostA, (await _api.MachineAsync("vm-snap-clone")).GetProperty("host").GetString());

        var backup = await RunAsync(HttpMethod.Post, "/api/v1/machines/vm-snap/backups", new { });
        var backupId = backup.GetProperty("id").GetGuid();
        Assert.False(backup.GetProperty("incremental").GetBoolean());
        await RunAsync(HttpMethod.Delete, "/api/v1/machines/vm-snap");
        Assert.Contains((await _api.GetAsync("/api/v1/backups")).EnumerateArray(), b => b.GetProperty("id").GetGuid() == backupId);

        var restored = await RunAsync(HttpMethod.Post, $"/api/v1/backups/{backupId}/restore", new { host = HostB, name = "vm-restored" });
        Assert.Equal("Running", restored.GetProperty("state").GetString());
        Assert.Equal(HostB, restored.GetProperty("host").GetString());
        await using (var console = await _api.OpenConsoleAsync("vm-restored"))
        {
            await console.ReadUntilAsync(seen => seen.Contains("~ # ", StringComparison.Ordinal), TimeSpan.FromMinutes(2));
            await console.RunAsync("echo got-$(head -c 3 /dev/vda)", "got-one");
        }

        var verified = await RunAsync(HttpMethod.Post, $"/api/v1/backups/{backupId}/verify", new { testBoot = false });
        Assert.True(verified.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Container_MemorySnapshotRefusedWithCriuReason_FilesystemSnapshotAndBackupWork()
    {
        await HostsOnlineAsync();
        var name = "ctr-snap-" + _suffix;
        await RunAsync(HttpMethod.Post, "/api/v1/machines", new { name, template = "busybox", host = HostA });

        var memory = await _api.Http.PostAsJsonAsync($"/api/v1/machines/{name}/snapshots", new { name = "with-memory", includeMemory = true });
        var fork = await _api.Http.PostAsJsonAsync($"/api/v1/machines/{name}/clone", new { name = name + "-fork", includeMemory = true });

        Assert.Equal(HttpStatusCode.BadRequest, memory.StatusCode);
        Assert.Contains("CRIU", await memory.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, fork.StatusCode);
        var snapshot = await RunAsync(HttpMethod.Post, $"/api/v1/machines/{name}/snapshots", new { name = "fs" });
        Assert.False(snapshot.GetProperty("includesMemory").GetBoolean());
        var backup = await RunAsync(HttpMethod.Post, $"/api/v1/machines/{name}/backups");
        Assert.Equal("container", backup.GetProperty("kind").GetString());

        // Restoring without a name replaces the machine in place; its snapshots went with the old one.
        var restored = await RunAsync(HttpMethod.Post, $"/api/v1/backups/{backup.GetProperty("id").GetGuid()}/restore");
        Assert.Equal(name, restored.GetProperty("name").GetString());
        Assert.Equal("Running", restored.GetProperty("state").GetString());
        Assert.Empty((await _api.GetAsync($"/api/v1/machines/{name}/snapshots")).EnumerateArray());
        await RunAsync(HttpMethod.Delete, $"/api/v1/machines/{name}");
    }

    [Fact]
    public async Task Schedules_BadCronOrNoTarget_ProblemDetails_GoodOneListed()
    {
        await HostsOnlineAsync();

        var bad = await _api.Http.PostAsJsonAsync("/api/v1/schedules", new { name = "nightly", job = "backup", cron = "every night", selector = "tier=web" });
        var noTarget = await _api.Http.PostAsJsonAsync("/api/v1/schedules", new { name = "nightly", job = "snapshot", cron = "0 3 * * *" });
        var good = await _api.Http.PostAsJsonAsync("/api/v1/schedules", new { name = "nightly", job = "backup", cron = "0 3 * * *", selector = "tier=web", keepLast = 3, keepDaily = 7 });

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("cron", (await bad.ReadJsonAsync()).GetProperty("errors").EnumerateObject().Select(p => p.Name));
        Assert.Equal(HttpStatusCode.BadRequest, noTarget.StatusCode);
        Assert.Equal(HttpStatusCode.Created, good.StatusCode);
        var listed = Assert.Single((await _api.GetAsync("/api/v1/schedules")).EnumerateArray());
        Assert.Equal("backup", listed.GetProperty("job").GetString());
        Assert.Equal(3, listed.GetProperty("keepLast").GetInt32());
        Assert.True(listed.GetProperty("nextRunAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
    }
}
