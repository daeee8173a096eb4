using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ringmaster.Web.Tests.Infrastructure;

namespace Ringmaster.Web.Tests;

/// <summary>
/// x86_64 VMs on QEMU through the API of the product as <c>dotnet run --project src/Web</c> starts it
/// (embedded agent; TCG on these machines). One x86-small VM is booted for the class and shared.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class QemuVmApiTests(QemuVmApiTests.Product product) : IClassFixture<QemuVmApiTests.Product>
{
    private const string Prompt = "~ # ";

    private ApiClient Api => product.Api;

    [Fact]
    public async Task X86Small_CreatedThroughApi_RunsOnQemuAndAnswersX86_64OnItsConsole()
    {
        var vm = await product.VmAsync();
        Assert.Equal(("vm", "qemu", "Running"), (vm.GetProperty("kind").GetString(), vm.GetProperty("engine").GetString(), vm.GetProperty("state").GetString()));

        var template = (await Api.GetAsync("/api/v1/templates")).GetProperty("items").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "x86-small");
        Assert.Equal("qemu", template.GetProperty("engine").GetString());
        Assert.True(template.GetProperty("available").GetBoolean(), template.ToString());

        var qemu = (await Api.GetAsync("/api/v1/hosts")).GetProperty("items")[0].GetProperty("capabilities").GetProperty("qemu");
        Assert.Equal("tcg", qemu.GetProperty("accelerator").GetString());
        Assert.Contains("x86-small", qemu.GetProperty("images").EnumerateArray().Select(i => i.GetString()));

        await using var console = await Api.OpenConsoleAsync(Product.VmName);
        await console.ReadUntilAsync(seen => seen.Contains(Prompt, StringComparison.Ordinal), TimeSpan.FromMinutes(2));
        await console.TypeAsync("uname -m\n");
        await console.ReadUntilAsync(_ => console.Lines.Contains("x86_64"), TimeSpan.FromSeconds(60));
        Assert.True(console.Lines.Contains("x86_64"), $"the VM never answered uname -m; its console showed: {console.Seen}");
    }

    [Fact]
    public async Task SnapshotCloneBackupMigrate_QemuVm_RefusedWithTheReasonAndNoOperation()
    {
        await product.VmAsync();
        var before = (await Api.GetAsync("/api/v1/operations")).GetProperty("items").GetArrayLength();

        foreach (var (path, body, what) in new (string, object, string)[]
        {
            ($"/api/v1/machines/{Product.VmName}/snapshots", new { name = "s1" }, "Snapshots"),
            ($"/api/v1/machines/{Product.VmName}/clone", new { name = "qemu-clone" }, "Clones"),
            ($"/api/v1/machines/{Product.VmName}/backups", new { }, "Backups"),
        })
        {
            var response = await Api.Http.PostAsJsonAsync(path, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"POST {path}: {(int)response.StatusCode} {text}");
            Assert.Contains($"{what} of QEMU VMs are not available yet", JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString());
        }

        var preflight = await Api.GetAsync($"/api/v1/machines/{Product.VmName}/migrate/preflight?host=elsewhere");
        Assert.False(preflight.GetProperty("canMigrate").GetBoolean());
        var engine = preflight.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "engine");
        Assert.False(engine.GetProperty("passed").GetBoolean());
        Assert.Contains("Migrations of QEMU VMs are not available yet", engine.GetProperty("detail").GetString());

        Assert.Equal(before, (await Api.GetAsync("/api/v1/operations")).GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await Api.Http.GetAsync("/api/v1/machines/qemu-clone")).StatusCode);
    }

    [Fact]
    public async Task Create_EngineTheTemplateDoesNotRun_RefusedByFieldAndNothingMade()
    {
        await product.VmAsync();
        var response = await Api.Http.PostAsJsonAsync("/api/v1/machines", new { name = "wrong-engine", template = "default", engine = "qemu" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("errors").GetProperty("engine")[0].GetString();
        Assert.Equal("Template 'default' makes emulator VMs, not qemu ones; pick a template of that engine.", error);

        var unknown = await Api.Http.PostAsJsonAsync("/api/v1/machines", new { name = "wrong-engine", template = "x86-small", engine = "vmware" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Api.Http.GetAsync("/api/v1/machines/wrong-engine")).StatusCode);
    }

    [Fact]
    public async Task WebKilled_QemuVmRunsOn_RestartedWebReportsItRunningWithItsScrollbackAndUptime()
    {
        await product.VmAsync();
        double uptimeBefore;
        await using (var console = await Api.OpenConsoleAsync(Product.VmName))
        {
            await console.ReadUntilAsync(seen => seen.Contains(Prompt, StringComparison.Ordinal), TimeSpan.FromMinutes(2));
            await console.TypeAsync("echo before-$((6*7)); cut -d' ' -f1 /proc/uptime\n");
            await console.ReadUntilAsync(_ => Uptime(console) is not null, TimeSpan.FromSeconds(60));
            uptimeBefore = Uptime(console) ?? throw new InvalidOperationException($"no uptime on the console: {console.Seen}");
        }

        var pid = product.QemuPid();
        product.Web.KillHard();
        Assert.True(IsAlive(pid), "QEMU died with the web process that started it");

        await product.StartWebAsync();
        var vm = await HttpJson.EventuallyAsync(
            () => Api.MachineAsync(Product.VmName),
            m => m.GetProperty("state").GetString() == "Running" && m.GetProperty("host").GetString() is not null,
            TimeSpan.FromMinutes(1), "the VM reported Running again");
        Assert.Equal("qemu", vm.GetProperty("engine").GetString());
        Assert.Equal(pid, product.QemuPid());

        await using (var console = await Api.OpenConsoleAsync(Product.VmName))
        {
            await console.ReadUntilAsync(seen => seen.Contains("before-42", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            Assert.Contains("before-42", console.Seen);
            await console.TypeAsync("echo after-$((6*7)); cut -d' ' -f1 /proc/uptime\n");
            await console.ReadUntilAsync(seen => seen.Contains("after-42", StringComparison.Ordinal) && Uptime(console) > uptimeBefore, TimeSpan.FromSeconds(60));
            Assert.True(Uptime(console) > uptimeBefore, $"the guest's uptime did not go on past {uptimeBefore}: {console.Seen}");
        }
    }

    /// <summary>The last uptime figure the guest printed (a line that is only a decimal number).</summary>
    private static double? Uptime(ConsoleSession console) =>
        console.Lines.LastOrDefault(l => l.Length > 0 && l.Contains('.') && l.All(c => char.IsAsciiDigit(c) || c == '.')) is { } line
            ? double.Parse(line, CultureInfo.InvariantCulture)
            : null;

    private static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].StartsWith('Z');

    /// <summary>The product with its embedded agent, and the class's one x86-small VM.</summary>
    public sealed class Product : IAsyncLifetime
    {
        public const string VmName = "qemu-api-1";

        private readonly string _data = Directory.CreateTempSubdirectory("ringmaster-qemu-api-").FullName;
        private readonly int _port = RingmasterProcess.FreePort();
        private readonly string _token = "qemu-" + Guid.NewGuid().ToString("N");
        private readonly SemaphoreSlim _vmLock = new(1, 1);
        private bool _vmCreated;

        public RingmasterProcess Web { get; private set; } = null!;

        public ApiClient Api { get; private set; } = null!;

        public async Task InitializeAsync() => await StartWebAsync();

        /// <summary>Starts (or starts again) the web with its embedded agent on the same data and port, and waits until it is ready.</summary>
        public async Task StartWebAsync()
        {
            if (Web is not null)
            {
                await Web.DisposeAsync();
            }

            Web = RingmasterProcess.StartWeb(_port, _data, _token, embeddedAgent: true);
            Api = ApiClient.For(_port);
            await HttpJson.EventuallyAsync(
                async () => await Api.IsUpAsync() && (await Api.Http.GetAsync("/readyz")).IsSuccessStatusCode,
                ready => ready, TimeSpan.FromSeconds(60), $"the product to be ready; it printed: {Web.Output}");
        }

        /// <summary>The class's VM, made and started the first time a test asks.</summary>
        public async Task<JsonElement> VmAsync()
        {
            await _vmLock.WaitAsync();
            try
            {
                if (!_vmCreated)
                {
                    await HttpJson.EventuallyAsync(
                        () => Api.GetAsync("/api/v1/templates"),
                        page => page.GetProperty("items").EnumerateArray().Any(t => t.GetProperty("name").GetString() == "x86-small" && t.GetProperty("available").GetBoolean()),
                        TimeSpan.FromSeconds(60), "template x86-small to be available");
                    await Api.CreateMachineAsync(new { name = VmName, template = "x86-small", engine = "qemu" }, TimeSpan.FromMinutes(3));
                    _vmCreated = true;
                }

                return await Api.MachineAsync(VmName);
            }
            finally
            {
                _vmLock.Release();
            }
        }

        /// <summary>The pid of the QEMU that runs the class's VM, from its pidfile in the agent's data.</summary>
        public int QemuPid()
        {
            var pidFile = Assert.Single(Directory.GetFiles(_data, "qemu.pid", SearchOption.AllDirectories));
            return int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        }

        public async Task DisposeAsync()
        {
            try
            {
                if (_vmCreated && !Web.HasExited)
                {
                    var delete = await Api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{VmName}");
                    await Api.WaitSucceededAsync(delete, TimeSpan.FromMinutes(1));
                }
            }
            finally
            {
                await Web.DisposeAsync();

                // QEMU outlives the web on purpose; a test that failed half-way must not leave one running.
                foreach (var pidFile in Directory.GetFiles(_data, "qemu.pid", SearchOption.AllDirectories))
                {
                    if (int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid))
                    {
                        try
                        {
                            using var qemu = Process.GetProcessById(pid);
                            qemu.Kill();
                        }
                        catch (ArgumentException)
                        {
                            // already gone
                        }
                    }
                }

                Directory.Delete(_data, recursive: true);
                _vmLock.Dispose();
            }
        }
    }
}
