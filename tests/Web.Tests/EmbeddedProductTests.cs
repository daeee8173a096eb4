using System.Diagnostics;
using System.Net.Http.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// The product as <c>dotnet run --project src/Web</c> starts it: one process, embedded agent, real
/// Podman. What a newcomer does first.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class EmbeddedProductTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("ringmaster-embedded-").FullName;
    private readonly int _port = RingmasterProcess.FreePort();
    private RingmasterProcess _web = null!;
    private ApiClient _api = null!;

    public Task InitializeAsync()
    {
        _web = RingmasterProcess.StartWeb(_port, _data, "embedded-" + Guid.NewGuid().ToString("N"), embeddedAgent: true);
        _api = ApiClient.For(_port);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _web.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task FirstRun_HostComesOnline_BusyboxConsoleAnswersEchoHi()
    {
        // A bound on waiting, not a figure: a cold start (JIT, migrations, the Podman probe) on a loaded machine takes longer than on a quiet one.
        var host = await HttpJson.EventuallyAsync(
            async () => await _api.IsUpAsync() ? await _api.GetAsync("/api/v1/hosts") : default,
            page => page.ValueKind != System.Text.Json.JsonValueKind.Undefined && page.GetProperty("items").EnumerateArray().Any(h => h.GetProperty("online").GetBoolean()),
            TimeSpan.FromMinutes(3), "the embedded host online");
        var engine = host.GetProperty("items")[0].GetProperty("capabilities").GetProperty("containerEngine");
        Assert.Equal("podman", engine.GetProperty("name").GetString());

        var name = "hi-" + Guid.NewGuid().ToString("N")[..8];
        var machine = await _api.CreateMachineAsync(new { name, template = "busybox" }, TimeSpan.FromMinutes(3));
        Assert.Equal("Running", machine.GetProperty("state").GetString());
        Assert.Equal("container", machine.GetProperty("kind").GetString());

        await using (var console = await _api.OpenConsoleAsync(name))
        {
            await console.WaitReadyAsync();
            await console.TypeAsync("echo hi\n");
            await console.ReadUntilAsync(_ => console.Lines.Contains("hi"), TimeSpan.FromSeconds(20));
            Assert.True(console.Lines.Contains("hi"), $"the console never printed 'hi'; it showed: {console.Seen}");

            var resized = await _api.Http.PostAsJsonAsync($"/api/v1/machines/{name}/console/size", new { columns = 101, rows = 31 });
            Assert.Equal(System.Net.HttpStatusCode.NoContent, resized.StatusCode);
            await console.TypeAsync("stty size\n");
            await console.ReadUntilAsync(_ => console.Lines.Contains("31 101"), TimeSpan.FromSeconds(20));
            Assert.True(console.Lines.Contains("31 101"), $"the terminal size did not reach the container; the console showed: {console.Seen}");
        }

        var deleted = await _api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{name}");
        await _api.WaitSucceededAsync(deleted, TimeSpan.FromMinutes(1));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await _api.Http.GetAsync($"/api/v1/machines/{name}")).StatusCode);
        Assert.DoesNotContain(name, await Podman.ContainerNamesAsync());
    }

    [Fact]
    public async Task DefaultVm_CreatedThroughApi_ConsoleReachesShellAndAnswersUname()
    {
        await HttpJson.EventuallyAsync(
            async () => await _api.IsUpAsync() && (await _api.Http.GetAsync("/readyz")).IsSuccessStatusCode,
            ready => ready, TimeSpan.FromMinutes(3), "the product to be ready");

        var vm = await _api.CreateMachineAsync(new { name = "vm-1", template = "default", memoryMiB = 128 }, TimeSpan.FromMinutes(2));
        Assert.Equal("vm", vm.GetProperty("kind").GetString());
        Assert.Equal("Running", vm.GetProperty("state").GetString());

        await using (var console = await _api.OpenConsoleAsync("vm-1"))
        {
            await console.ReadUntilAsync(seen => seen.Contains("~ # ", StringComparison.Ordinal), TimeSpan.FromMinutes(2));
            Assert.Contains("Linux version 6.1", console.Seen);
            await console.TypeAsync("uname -m\n");
            await console.ReadUntilAsync(_ => console.Lines.Contains("riscv64"), TimeSpan.FromSeconds(30));
            Assert.True(console.Lines.Contains("riscv64"), $"the VM never answered uname; its console showed: {console.Seen}");
        }

        var stop = await _api.StartOperationAsync(HttpMethod.Post, "/api/v1/machines/vm-1/stop");
        await _api.WaitSucceededAsync(stop, TimeSpan.FromMinutes(1));
        Assert.Equal("Stopped", (await _api.MachineAsync("vm-1")).GetProperty("state").GetString());
        var delete = await _api.StartOperationAsync(HttpMethod.Delete, "/api/v1/machines/vm-1");
        await _api.WaitSucceededAsync(delete, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Catalog_EveryTemplateOfferedAsAvailable_LaunchesToRunning()
    {
        await HttpJson.EventuallyAsync(
            async () => await _api.IsUpAsync() && (await _api.Http.GetAsync("/readyz")).IsSuccessStatusCode,
            ready => ready, TimeSpan.FromMinutes(3), "the product to be ready");

        var templates = (await _api.GetAsync("/api/v1/templates")).GetProperty("items").EnumerateArray().ToList();
        var offered = templates.Where(t => t.GetProperty("available").GetBoolean()).Select(t => t.GetProperty("name").GetString()!).ToList();
        Assert.Contains("busybox", offered);
        Assert.Contains("default", offered);
        foreach (var template in offered)
        {
            var name = $"all-{template}-{Guid.NewGuid().ToString("N")[..6]}";
            var machine = await _api.CreateMachineAsync(new { name, template }, TimeSpan.FromMinutes(8));
            Assert.True(machine.GetProperty("state").GetString() == "Running", $"template {template} launched to {machine}");
            var delete = await _api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{name}");
            await _api.WaitSucceededAsync(delete, TimeSpan.FromMinutes(1));
        }
    }

    [Fact]
    public async Task Create_AgentCannotMakeIt_OperationFailsWithReasonAndNothingIsLeft()
    {
        await HttpJson.EventuallyAsync(
            async () => await _api.IsUpAsync() && (await _api.Http.GetAsync("/readyz")).IsSuccessStatusCode,
            ready => ready, TimeSpan.FromMinutes(3), "the product to be ready");

        // The API takes up to 256 GiB for any machine; the emulator driver on the host refuses more than 16 GiB.
        var operationId = await _api.StartOperationAsync(HttpMethod.Post, "/api/v1/machines", new { name = "big-1", template = "default", memoryMiB = 20_000 });
        var operation = await HttpJson.EventuallyAsync(
            () => _api.GetAsync($"/api/v1/operations/{operationId}"),
            o => o.GetProperty("state").GetString() is "Succeeded" or "Failed",
            TimeSpan.FromMinutes(1), "the create to end");

        Assert.Equal("Failed", operation.GetProperty("state").GetString());
        Assert.Contains("between 64 and 16384 MiB", operation.GetProperty("error").GetString());
        Assert.Contains("Undo: remove the machine record", operation.GetProperty("log").GetString());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await _api.Http.GetAsync("/api/v1/machines/big-1")).StatusCode);
        Assert.Equal(0, (await _api.GetAsync("/api/v1/machines")).GetProperty("items").GetArrayLength());
    }
}

/// <summary>Tests that start real processes share the machine's two cores one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessTests
{
    public const string Name = "real processes";
}

internal static class Podman
{
    public static async Task<string> ContainerNamesAsync()
    {
        var info = new ProcessStartInfo("podman", "ps -a --format {{.Names}}") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    public static async Task RemoveAsync(string name)
    {
        using var process = Process.Start(new ProcessStartInfo("podman", $"rm -f -t 0 {name}") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await process.WaitForExitAsync();
    }

    /// <summary>Removes every container the agent of host <paramref name="hostId"/> made (its ringmaster.host label).</summary>
    public static async Task RemoveOwnedByAsync(string hostId)
    {
        var info = new ProcessStartInfo("podman", $"ps -a -q --filter label=ringmaster.host={hostId}") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var list = Process.Start(info)!;
        var ids = (await list.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        await list.WaitForExitAsync();
        foreach (var id in ids)
        {
            await RemoveAsync(id);
        }
    }
}
