using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Moving machines between two real agent processes: a VM printing a counter moves live and its
/// counter continues; a target killed mid-move leaves the VM running on its source; stopped VMs
/// and containers move offline; refusals are clear problems.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed partial class MigrationTests : IAsyncLifetime
{
    private const string CounterLoop = "i=0; while true; do i=$((i+1)); echo c$i; sleep 0.1; done\n";

    private readonly string _root = Directory.CreateTempSubdirectory("ringmaster-migrate-").FullName;
    private readonly string _token = "migrate-" + Guid.NewGuid().ToString("N");
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly int _port = RingmasterProcess.FreePort();
    private readonly List<RingmasterProcess> _processes = [];
    private ApiClient _api = null!;

    private string HostA => "mig-a-" + _suffix;
    private string HostB => "mig-b-" + _suffix;

    public Task InitializeAsync()
    {
        _api = ApiClient.For(_port);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        await Podman.RemoveAsync($"box-{_suffix}");
        Directory.Delete(_root, recursive: true);
    }

    private RingmasterProcess Track(RingmasterProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private async Task<(RingmasterProcess A, RingmasterProcess B)> StartClusterAsync()
    {
        Track(RingmasterProcess.StartWeb(_port, Path.Combine(_root, "web"), _token));
        var a = StartAgent(HostA);
        var b = StartAgent(HostB);
        await HostOnlineAsync(HostA);
        await HostOnlineAsync(HostB);
        return (a, b);
    }

    private RingmasterProcess StartAgent(string name) => Track(RingmasterProcess.StartAgent(_port, Path.Combine(_root, name), _token, name));

    private Task<JsonElement> HostOnlineAsync(string name) =>
        HttpJson.EventuallyAsync(async () =>
        {
            try
            {
                return (await _api.GetAsync("/api/v1/hosts")).GetProperty("items").EnumerateArray().FirstOrDefault(h => h.GetProperty("name").GetString() == name);
            }
            catch (HttpRequestException)
            {
                return default;
            }
        }, h => h.ValueKind == JsonValueKind.Object && h.GetProperty("online").GetBoolean(), TimeSpan.FromSeconds(90), $"host {name} online");

    private async Task<JsonElement> WaitEndedAsync(Guid operationId, TimeSpan timeout) =>
        await HttpJson.EventuallyAsync(
            () => _api.GetAsync($"/api/v1/operations/{operationId}"),
            o => o.GetProperty("state").GetString() is "Succeeded" or "Failed" or "Cancelled",
            timeout, $"operation {operationId} to end");

    [GeneratedRegex(@"^c(\d+)$")]
    private static partial Regex CounterLine();

    private static List<long> Counters(ConsoleSession console) =>
        [.. console.Lines.Select(l => CounterLine().Match(l)).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value))];

    /// <summary>Boots a VM on host A and starts the counter in it; returns the last value seen.</summary>
    private async Task<long> StartCountingVmAsync(string name, int memoryMiB)
    {
        var vm = await _api.CreateMachineAsync(new { name, template = "default", memoryMiB, host = HostA }, TimeSpan.FromMinutes(3));
        Assert.Equal(HostA, vm.GetProperty("host").GetString());
        await using var console = await _api.OpenConsoleAsync(name);
        await console.ReadUntilAsync(seen => seen.Contains("~ # ", StringComparison.Ordinal), TimeSpan.FromMinutes(3));
        Assert.Contains("~ # ", console.Seen);
        await console.TypeAsync(CounterLoop);
        await console.ReadUntilAsync(_ => Counters(console).Any(c => c >= 20), TimeSpan.FromMinutes(2));
        Assert.Contains(Counters(console), c => c >= 20);
        return Counters(console).Max();
    }

    [Fact]
    public async Task Migrate_LiveVmPrintingCounter_CounterContinuesOnTarget()
    {
        await StartClusterAsync();
        var name = $"count-{_suffix}";
        var before = await StartCountingVmAsync(name, 128);

        var preflight = await _api.GetAsync($"/api/v1/machines/{name}/migrate/preflight?host={HostB}");
        Assert.True(preflight.GetProperty("canMigrate").GetBoolean(), preflight.ToString());
        Assert.True(preflight.GetProperty("live").GetBoolean());

        var operationId = await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{name}/migrate", new { host = HostB, live = true });
        var operation = await _api.WaitSucceededAsync(operationId, TimeSpan.FromMinutes(5));
        var result = operation.GetProperty("result");
        Assert.True(result.GetProperty("downtimeMs").GetDouble() > 0, result.ToString());
        Assert.True(result.GetProperty("totalMs").GetDouble() > 0);
        Assert.True(result.GetProperty("bytes").GetInt64() > 0);
        Assert.True(result.GetProperty("rounds").GetInt32() >= 1);
        Assert.True(result.GetProperty("live").GetBoolean());

        var machine = await _api.MachineAsync(name);
        Assert.Equal(HostB, machine.GetProperty("host").GetString());
        Assert.Equal("Running", machine.GetProperty("state").GetString());

        // Re-attached: the counter goes on from where it was, with no reset and no second boot.
        await using var console = await _api.OpenConsoleAsync(name);
        await console.ReadUntilAsync(_ => Counters(console).Any(c => c > before + 30), TimeSpan.FromMinutes(2));
        var counters = Counters(console);
        Assert.Contains(counters, c => c > before + 30);
        Assert.True(counters.Zip(counters.Skip(1)).All(p => p.Second == p.First + 1), $"the counter jumped or restarted: {string.Join(",", counters)}");
        Assert.True(Regex.Matches(console.Seen, "Linux version").Count <= 1, "the VM booted again");
        Assert.True(Regex.Matches(console.Seen, "OpenSBI v").Count <= 1, "the firmware ran again");

        // The shell still takes typed commands there (its memory arrived whole).
        await console.InterruptAsync("~ # ");
        await console.RunAsync("echo typed-$((6*7))", "typed-42");

        // The source no longer has it; the target answers to commands.
        var stop = await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{name}/stop");
        await _api.WaitSucceededAsync(stop, TimeSpan.FromMinutes(1));
        Assert.Equal(HostB, (await _api.MachineAsync(name)).GetProperty("host").GetString());
    }

    /// <summary>Fills 48 MiB of the counting VM's memory with random data, so that a copy takes a while, then starts the counter again.</summary>
    private async Task FillMemoryAsync(string name)
    {
        await using var console = await _api.OpenConsoleAsync(name);
        await console.InterruptAsync("~ # ");
        await console.TypeAsync("dd if=/dev/urandom of=/fill bs=1M count=48 && echo filled-up\n");
        await console.ReadUntilAsync(seen => seen.Contains("filled-up\r\n", StringComparison.Ordinal) || seen.Contains("filled-up\n", StringComparison.Ordinal), TimeSpan.FromMinutes(5));
        Assert.Contains("filled-up", console.Seen);
        await console.TypeAsync(CounterLoop);
    }

    [Fact]
    public async Task Migrate_TargetKilledMidway_GuestKeepsRunningOnSource()
    {
        var (_, agentB) = await StartClusterAsync();
        var name = $"stay-{_suffix}";
        await StartCountingVmAsync(name, 256);

        await FillMemoryAsync(name);

        var operationId = await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{name}/migrate", new { host = HostB, live = true });
        await HttpJson.EventuallyAsync(
            () => _api.GetAsync($"/api/v1/operations/{operationId}"),
            o => o.GetProperty("progress").GetInt32() >= 10 || o.GetProperty("state").GetString() is "Succeeded" or "Failed",
            TimeSpan.FromMinutes(2), "the copy to begin");
        agentB.KillHard();

        var operation = await WaitEndedAsync(operationId, TimeSpan.FromMinutes(3));
        Assert.Equal("Failed", operation.GetProperty("state").GetString());
        var error = operation.GetProperty("error").GetString()!;
        Assert.Contains(HostB, error);
        Assert.Contains($"stays on {HostA}", error);

        var machine = await HttpJson.EventuallyAsync(() => _api.MachineAsync(name), m => m.GetProperty("state").GetString() == "Running", TimeSpan.FromSeconds(30), "the VM running again");
        Assert.Equal(HostA, machine.GetProperty("host").GetString());
        await using (var console = await _api.OpenConsoleAsync(name))
        {
            var last = Counters(console).DefaultIfEmpty(0).Max();
            await console.ReadUntilAsync(_ => Counters(console).Any(c => c > last + 10), TimeSpan.FromMinutes(1));
            Assert.Contains(Counters(console), c => c > last + 10);
        }
    }

    [Fact]
    public async Task Migrate_CancelledWhileCopying_GuestKeepsRunningOnSource_TargetKeepsNothing()
    {
        var (_, agentB) = await StartClusterAsync();
        var name = $"cancel-{_suffix}";
        await StartCountingVmAsync(name, 256);
        await FillMemoryAsync(name);

        var operationId = await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{name}/migrate", new { host = HostB, live = true });
        await HttpJson.EventuallyAsync(
            () => _api.GetAsync($"/api/v1/operations/{operationId}"),
            o => o.GetProperty("progress").GetInt32() >= 10 || o.GetProperty("state").GetString() is "Succeeded" or "Failed",
            TimeSpan.FromMinutes(2), "the copy to begin");

        // The target stands still while the cancel arrives, so the copy cannot end first.
        agentB.Signal("STOP");
        try
        {
            var cancel = await _api.Http.PostAsync($"/api/v1/operations/{operationId}/cancel", null);
            Assert.True(cancel.IsSuccessStatusCode, $"cancel: {(int)cancel.StatusCode} {await cancel.Content.ReadAsStringAsync()}");
        }
        finally
        {
            agentB.Signal("CONT");
        }

        var operation = await WaitEndedAsync(operationId, TimeSpan.FromMinutes(2));
        Assert.Equal("Cancelled", operation.GetProperty("state").GetString());

        var machine = await HttpJson.EventuallyAsync(() => _api.MachineAsync(name), m => m.GetProperty("state").GetString() == "Running", TimeSpan.FromSeconds(30), "the VM running again");
        Assert.Equal(HostA, machine.GetProperty("host").GetString());
        await using (var console = await _api.OpenConsoleAsync(name))
        {
            var last = Counters(console).DefaultIfEmpty(0).Max();
            await console.ReadUntilAsync(_ => Counters(console).Any(c => c > last + 10), TimeSpan.FromMinutes(1));
            Assert.Contains(Counters(console), c => c > last + 10);
        }

        // The target dropped what it had received: nothing of the guest is left on it.
        await HostOnlineAsync(HostB);
        Assert.False(Directory.Exists(Path.Combine(_root, HostB, "vms", machine.GetProperty("id").GetString()!.Replace("-", "", StringComparison.Ordinal))),
            "the target kept a folder of the guest");
        Assert.Equal(0, (await _api.HostAsync(HostB)).GetProperty("machineCount").GetInt32());
    }

    [Fact]
    public async Task Migrate_StoppedVmAndContainer_MoveOffline_RefusalsAreClearProblems()
    {
        Track(RingmasterProcess.StartWeb(_port, Path.Combine(_root, "web"), _token));
        StartAgent(HostA);
        await HostOnlineAsync(HostA);
        var dup = $"dup-{_suffix}";
        await _api.CreateMachineAsync(new { name = dup, template = "default", memoryMiB = 64, host = HostA, start = false }, TimeSpan.FromMinutes(1));

        // A leftover VM of the same name in agent B's data folder: B reports it (adopted under another name), so the name is taken there.
        var dupId = Guid.NewGuid();
        var dupFolder = Path.Combine(_root, HostB, "vms", dupId.ToString("N"));
        Directory.CreateDirectory(dupFolder);
        await File.WriteAllTextAsync(Path.Combine(dupFolder, "machine.json"), JsonSerializer.Serialize(new
        {
            id = dupId, name = $"dup-{_suffix}", kind = "vm", image = "default", command = Array.Empty<string>(),
            spec = new { vcpus = 1, memoryMiB = 64, disks = new[] { new { name = "root", sizeGiB = 1 } }, networks = new[] { new { name = "eth0" } } },
            labels = new Dictionary<string, string>(),
        }));
        await using (var disk = File.Create(Path.Combine(dupFolder, "disk.img")))
        {
            disk.SetLength(1 << 20);
        }

        var agentB = StartAgent(HostB);
        await HostOnlineAsync(HostB);

        // A stopped VM with a file on its disk moves offline and boots on the target with the file there.
        var vm = $"cold-{_suffix}";
        await _api.CreateMachineAsync(new { name = vm, template = "default", memoryMiB = 64, host = HostA }, TimeSpan.FromMinutes(3));
        await using (var console = await _api.OpenConsoleAsync(vm))
        {
            await console.ReadUntilAsync(seen => seen.Contains("~ # ", StringComparison.Ordinal), TimeSpan.FromMinutes(3));
            await console.TypeAsync("echo moved-disk-ok | dd of=/dev/vda conv=fsync 2>/dev/null; echo written\n");
            await console.ReadUntilAsync(_ => console.Lines.Contains("written"), TimeSpan.FromMinutes(1));
            Assert.Contains("written", console.Lines);
        }

        await _api.WaitSucceededAsync(await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{vm}/stop"), TimeSpan.FromMinutes(1));
        var coldPreflight = await _api.GetAsync($"/api/v1/machines/{vm}/migrate/preflight?host={HostB}");
        Assert.True(coldPreflight.GetProperty("canMigrate").GetBoolean(), coldPreflight.ToString());
        Assert.False(coldPreflight.GetProperty("live").GetBoolean());
        var cold = await _api.WaitSucceededAsync(await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{vm}/migrate", new { host = HostB }), TimeSpan.FromMinutes(3));
        Assert.False(cold.GetProperty("result").GetProperty("live").GetBoolean());
        var moved = await _api.MachineAsync(vm);
        Assert.Equal(HostB, moved.GetProperty("host").GetString());
        Assert.Equal("Stopped", moved.GetProperty("state").GetString());
        await _api.WaitSucceededAsync(await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{vm}/start"), TimeSpan.FromMinutes(1));
        // The scrollback holds the first boot too: the shell of this one answers once it is up.
        await WaitForShellAsync(vm);
        await using (var console = await _api.OpenConsoleAsync(vm))
        {
            await console.TypeAsync("head -c 13 /dev/vda; echo\n");
            await console.ReadUntilAsync(_ => console.Lines.Contains("moved-disk-ok"), TimeSpan.FromMinutes(1));
            Assert.True(console.Lines.Contains("moved-disk-ok"), "the disk came without its data; the console showed: " + console.Seen[Math.Max(0, console.Seen.Length - 1500)..]);
        }

        // A container moves offline (stop, export, import, start); live is refused with the reason.
        var box = $"box-{_suffix}";
        await _api.CreateMachineAsync(new { name = box, template = "busybox", host = HostA }, TimeSpan.FromMinutes(3));
        var live = await _api.Http.PostAsJsonAsync($"/api/v1/machines/{box}/migrate", new { host = HostB, live = true });
        Assert.Equal(HttpStatusCode.BadRequest, live.StatusCode);
        Assert.Contains("CRIU", await live.Content.ReadAsStringAsync());
        var boxMove = await _api.WaitSucceededAsync(await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{box}/migrate", new { host = HostB, live = false }), TimeSpan.FromMinutes(3));
        Assert.False(boxMove.GetProperty("result").GetProperty("live").GetBoolean());
        var boxNow = await _api.MachineAsync(box);
        Assert.Equal(HostB, boxNow.GetProperty("host").GetString());
        Assert.Equal("Running", boxNow.GetProperty("state").GetString());

        // Refusals: the name is taken on the target; too little memory left there; the target offline.
        await AssertRefusedAsync(dup, HostB, "name");

        for (var i = 0; i < 2; i++)
        {
            await _api.CreateMachineAsync(new { name = $"hog{i}-{_suffix}", template = "default", memoryMiB = 16384, host = HostB, start = false }, TimeSpan.FromMinutes(1));
        }

        await _api.CreateMachineAsync(new { name = $"big-{_suffix}", template = "default", memoryMiB = 2000, host = HostA, start = false }, TimeSpan.FromMinutes(1));
        await AssertRefusedAsync($"big-{_suffix}", HostB, "capacity");

        agentB.KillHard();
        await HttpJson.EventuallyAsync(() => _api.HostAsync(HostB), h => !h.GetProperty("online").GetBoolean(), TimeSpan.FromSeconds(30), "host B offline");
        await AssertRefusedAsync($"big-{_suffix}", HostB, "target online");
    }

    [Fact]
    public async Task Evacuate_HostWithVmAndContainer_EveryMachineMovesAndRuns()
    {
        await StartClusterAsync();
        var vm = $"evac-{_suffix}";
        var box = $"box-{_suffix}";
        await _api.CreateMachineAsync(new { name = vm, template = "default", memoryMiB = 64, host = HostA }, TimeSpan.FromMinutes(3));
        await _api.CreateMachineAsync(new { name = box, template = "busybox", host = HostA }, TimeSpan.FromMinutes(3));

        var bad = await _api.Http.PostAsJsonAsync($"/api/v1/hosts/{HostA}/evacuate", new { concurrency = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var operationId = await _api.StartOperationAsync(HttpMethod.Post, $"/api/v1/hosts/{HostA}/evacuate", new { concurrency = 2 });
        var operation = await _api.WaitSucceededAsync(operationId, TimeSpan.FromMinutes(5));
        var items = operation.GetProperty("result").GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal("Moved", i.GetProperty("state").GetString()));
        Assert.True(items.Single(i => i.GetProperty("machine").GetString() == vm).GetProperty("live").GetBoolean());
        Assert.Contains($"{vm}: on {HostB}", operation.GetProperty("log").GetString());

        foreach (var name in new[] { vm, box })
        {
            var machine = await _api.MachineAsync(name);
            Assert.Equal(HostB, machine.GetProperty("host").GetString());
            Assert.Equal("Running", machine.GetProperty("state").GetString());
        }

        Assert.Equal(0, (await _api.HostAsync(HostA)).GetProperty("machineCount").GetInt32());
    }

    /// <summary>Waits until the VM's shell answers (a timed-out read ends a console session, so each try opens one).</summary>
    private async Task WaitForShellAsync(string name)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            await using var console = await _api.OpenConsoleAsync(name);
            await console.TypeAsync("echo shell-up-$((40+2))\n");
            await console.ReadUntilAsync(_ => console.Lines.Contains("shell-up-42"), TimeSpan.FromSeconds(5));
            if (console.Lines.Contains("shell-up-42"))
            {
                return;
            }
        }

        Assert.Fail($"The shell of {name} did not answer.");
    }

    private async Task AssertRefusedAsync(string machine, string host, string check)
    {
        var preflight = await _api.GetAsync($"/api/v1/machines/{machine}/migrate/preflight?host={host}");
        Assert.False(preflight.GetProperty("canMigrate").GetBoolean());
        var failed = preflight.GetProperty("checks").EnumerateArray().Where(c => !c.GetProperty("passed").GetBoolean()).ToList();
        Assert.Contains(failed, c => c.GetProperty("name").GetString() == check);

        var response = await _api.Http.PostAsJsonAsync($"/api/v1/machines/{machine}/migrate", new { host });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = (await response.ReadJsonAsync()).GetProperty("detail").GetString()!;
        Assert.Contains(check + ":", detail);
        Assert.Equal(host == HostB ? HostA : HostB, (await _api.MachineAsync(machine)).GetProperty("host").GetString());
    }
}
