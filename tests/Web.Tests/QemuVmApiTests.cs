using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
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
    public async Task BackupMigrate_QemuVm_RefusedWithTheReasonAndNoOperation()
    {
        await product.VmAsync();
        var before = (await Api.GetAsync("/api/v1/operations")).GetProperty("items").GetArrayLength();

        var response = await Api.Http.PostAsJsonAsync($"/api/v1/machines/{Product.VmName}/backups", new { });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"POST backups: {(int)response.StatusCode} {text}");
        Assert.Contains("Backups of QEMU VMs are not available yet", JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString());

        var preflight = await Api.GetAsync($"/api/v1/machines/{Product.VmName}/migrate/preflight?host=elsewhere");
        Assert.False(preflight.GetProperty("canMigrate").GetBoolean());
        var engine = preflight.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "engine");
        Assert.False(engine.GetProperty("passed").GetBoolean());
        Assert.Contains("Migrations of QEMU VMs are not available yet", engine.GetProperty("detail").GetString());

        Assert.Equal(before, (await Api.GetAsync("/api/v1/operations")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task SnapshotRevertCloneDelete_QemuVm_SameApiAsEmulatorVms()
    {
        var vm = await product.VmAsync();
        var machine = $"/api/v1/machines/{Product.VmName}";
        var taken = (await Api.WaitSucceededAsync(await Api.StartOperationAsync(HttpMethod.Post, $"{machine}/snapshots", new { name = "q1", includeMemory = true }), TimeSpan.FromMinutes(3))).GetProperty("result");
        Assert.Equal(("q1", true), (taken.GetProperty("name").GetString(), taken.GetProperty("includesMemory").GetBoolean()));
        await using (var console = await Api.OpenConsoleAsync(Product.VmName))
        {
            await console.FreshPromptAsync(Prompt);
            await console.RunAsync("echo $((40+2))-file > /tmp/marker; cat /tmp/marker", "42-file");
        }

        var reverted = (await Api.WaitSucceededAsync(await Api.StartOperationAsync(HttpMethod.Post, $"{machine}/snapshots/q1/revert"), TimeSpan.FromMinutes(3))).GetProperty("result");
        Assert.Equal("Running", reverted.GetProperty("state").GetString());
        await using (var console = await Api.OpenConsoleAsync(Product.VmName))
        {
            await console.FreshPromptAsync(Prompt);
            // the file written after the snapshot is gone: the guest runs on from the snapshot's moment
            await console.RunAsync("test -e /tmp/marker && echo still-$((6*7)) || echo gone-$((6*7))", "gone-42");
            Assert.DoesNotContain("still-42", console.Lines);
        }

        // x86-small has no guest agent: a disk-only snapshot of it running is crash-consistent, and the operation says so
        var diskOnly = await Api.WaitSucceededAsync(await Api.StartOperationAsync(HttpMethod.Post, $"{machine}/snapshots", new { name = "q2" }), TimeSpan.FromMinutes(3));
        Assert.Contains("crash-consistent", diskOnly.GetProperty("result").GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Contains("crash-consistent", diskOnly.GetProperty("log").GetString(), StringComparison.Ordinal);
        var root = Assert.Single((await Api.GetAsync($"{machine}/snapshots")).EnumerateArray());
        Assert.Equal("q1", root.GetProperty("name").GetString());
        Assert.Equal("q2", Assert.Single(root.GetProperty("children").EnumerateArray()).GetProperty("name").GetString());

        var clone = (await Api.WaitSucceededAsync(await Api.StartOperationAsync(HttpMethod.Post, $"{machine}/clone", new { name = "qemu-api-clone", linked = true }), TimeSpan.FromMinutes(3))).GetProperty("result");
        Assert.Equal(("qemu-api-clone", "qemu", "Stopped"), (clone.GetProperty("name").GetString(), clone.GetProperty("engine").GetString(), clone.GetProperty("state").GetString()));
        Assert.NotEqual(Mac(vm), Mac(await Api.MachineAsync("qemu-api-clone")));
        await Api.WaitSucceededAsync(await Api.StartOperationAsync(HttpMethod.Delete, "/api/v1/machines/qemu-api-clone"), TimeSpan.FromMinutes(2));

        await Api.WaitSucceededAsync(await Api.StartOperationAsync(HttpMethod.Delete, $"{machine}/snapshots/q1"), TimeSpan.FromMinutes(2));
        var kept = Assert.Single((await Api.GetAsync($"{machine}/snapshots")).EnumerateArray());
        Assert.Equal("q2", kept.GetProperty("name").GetString());
        await Api.WaitSucceededAsync(await Api.StartOperationAsync(HttpMethod.Delete, $"{machine}/snapshots/q2"), TimeSpan.FromMinutes(2));
        Assert.Equal("Running", (await Api.MachineAsync(Product.VmName)).GetProperty("state").GetString());
    }

    private static string? Mac(JsonElement machine) => machine.GetProperty("spec").GetProperty("networks")[0].GetProperty("mac").GetString();

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

        var pid = await product.QemuPidAsync();
        product.Web.KillHard();
        Assert.True(IsAlive(pid), "QEMU died with the web process that started it");

        await product.StartWebAsync();
        var vm = await HttpJson.EventuallyAsync(
            () => Api.MachineAsync(Product.VmName),
            m => m.GetProperty("state").GetString() == "Running" && m.GetProperty("host").GetString() is not null,
            TimeSpan.FromMinutes(3), "the VM reported Running again (the restarted web's embedded agent registers it)");
        Assert.Equal("qemu", vm.GetProperty("engine").GetString());
        Assert.Equal(pid, await product.QemuPidAsync());

        await using (var console = await Api.OpenConsoleAsync(Product.VmName))
        {
            await console.ReadUntilAsync(seen => seen.Contains("before-42", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            Assert.Contains("before-42", console.Seen);
            await console.TypeAsync("echo after-$((6*7)); cut -d' ' -f1 /proc/uptime\n");
            await console.ReadUntilAsync(seen => seen.Contains("after-42", StringComparison.Ordinal) && Uptime(console) > uptimeBefore, TimeSpan.FromSeconds(60));
            Assert.True(Uptime(console) > uptimeBefore, $"the guest's uptime did not go on past {uptimeBefore}: {console.Seen}");
        }
    }

    [Fact]
    public async Task Debian12_CloudInitUserKeyAndUserDataWithPortForward_LogsInOverSshAndStopsThroughTheGuestAgent()
    {
        await product.VmAsync();
        var keys = Directory.CreateTempSubdirectory("rm-ssh-").FullName;
        try
        {
            var key = Path.Combine(keys, "id_ed25519");
            await RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ringmaster-test", "-f", key);
            var port = RingmasterProcess.FreePort();
            var name = "deb-" + Guid.NewGuid().ToString("N")[..6];
            var vm = await Api.CreateMachineAsync(new
            {
                name,
                template = "debian-12",
                cloudInit = new { hostname = "rm-cloud", user = "ops", sshKeys = new[] { (await File.ReadAllTextAsync(key + ".pub")).Trim() }, userData = IgnorePowerButton },
                ports = new[] { new { hostPort = port, guestPort = 22 } },
            }, TimeSpan.FromMinutes(3));
            Assert.Equal("qemu", vm.GetProperty("engine").GetString());
            var forward = vm.GetProperty("spec").GetProperty("networks")[0].GetProperty("forwards")[0];
            Assert.Equal((port, 22, "tcp"), (forward.GetProperty("hostPort").GetInt32(), forward.GetProperty("guestPort").GetInt32(), forward.GetProperty("protocol").GetString()));

            // Under TCG the first boot (cloud-init makes the SSH host keys) takes a minute or more; more on a loaded machine.
            await using (var console = await Api.OpenConsoleAsync(name))
            {
                await console.ReadUntilAsync(seen => seen.Contains("rm-cloud login:", StringComparison.Ordinal), TimeSpan.FromMinutes(15));
                Assert.Contains("rm-cloud login:", console.Seen);
            }

            var answer = await HttpJson.EventuallyAsync(
                () => SshAsync(key, port, "ops", "uname -m; systemd-detect-virt; id -un"),
                r => r.ExitCode == 0, TimeSpan.FromMinutes(5), "ssh with the seeded key through the forwarded port");
            Assert.Equal(["x86_64", "qemu", "ops"], answer.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

            // The user's own user-data ran after Ringmaster's part: logind now ignores the power button,
            // so the graceful stop below has to go through the guest agent.
            // cloud-init may restart sshd while it finishes (a connection then resets: ssh exits 255), so connect until sshd answers.
            var userData = await HttpJson.EventuallyAsync(
                () => SshAsync(key, port, "ops", "cloud-init status --wait >/dev/null; systemctl show systemd-logind >/dev/null; cat /etc/systemd/logind.conf.d/ringmaster-test.conf"),
                r => r.ExitCode != 255, TimeSpan.FromMinutes(5), "ssh after cloud-init finished");
            Assert.True(userData.ExitCode == 0 && userData.Output.Contains("HandlePowerKey=ignore", StringComparison.Ordinal), $"the user-data did not apply: {userData.Output}");

            var stop = await Api.StartOperationAsync(HttpMethod.Post, $"/api/v1/machines/{name}/stop");
            await Api.WaitSucceededAsync(stop, TimeSpan.FromMinutes(5));
            var stopped = await Api.MachineAsync(name);
            Assert.Equal("Stopped", stopped.GetProperty("state").GetString());
            Assert.Equal("The guest shut down when its guest agent asked (it did not act on the power button).", stopped.GetProperty("detail").GetString());

            var delete = await Api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{name}");
            await Api.WaitSucceededAsync(delete, TimeSpan.FromMinutes(1));
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
        }
    }

    /// <summary>User-data of the user's own: logind ignores the ACPI power button once cloud-init has run.</summary>
    private const string IgnorePowerButton = """
        #cloud-config
        write_files:
          - path: /etc/systemd/logind.conf.d/ringmaster-test.conf
            content: |
              [Login]
              HandlePowerKey=ignore
        runcmd:
          - [systemctl, restart, systemd-logind]
        """;

    [Fact]
    public async Task Create_BadCloudInitOrPorts_RefusedByFieldAndNothingMade()
    {
        await product.VmAsync();
        var before = (await Api.GetAsync("/api/v1/machines")).GetProperty("items").GetArrayLength();

        var errors = await RefusedAsync(new { name = "bad-seed", template = "debian-12", cloudInit = new { user = "ops", userData = "#cloud-config\npackages: [curl\n  - oops: {" } });
        Assert.StartsWith("It is not YAML: line", errors.GetProperty("cloudInit.userData")[0].GetString());

        errors = await RefusedAsync(new { name = "bad-seed", template = "debian-12", cloudInit = new { user = "Root Admin", sshKeys = new[] { "not a key" } } });
        Assert.Contains("user name", errors.GetProperty("cloudInit.user")[0].GetString());
        Assert.Contains("is not an SSH public key", errors.GetProperty("cloudInit.sshKeys")[0].GetString());

        errors = await RefusedAsync(new { name = "bad-seed", template = "debian-12", ports = new[] { new { hostPort = 70000, guestPort = 22 }, new { hostPort = 2222, guestPort = 22 }, new { hostPort = 2222, guestPort = 80 } } });
        var portErrors = errors.GetProperty("ports").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(portErrors, e => e!.Contains("between 1 and 65535", StringComparison.Ordinal));
        Assert.Contains(portErrors, e => e!.Contains("Host port 2222/tcp is forwarded twice", StringComparison.Ordinal));

        errors = await RefusedAsync(new { name = "bad-seed", template = "default", cloudInit = new { hostname = "h" } });
        Assert.Contains("it is for QEMU VMs", errors.GetProperty("cloudInit")[0].GetString());

        Assert.Equal(before, (await Api.GetAsync("/api/v1/machines")).GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await Api.Http.GetAsync("/api/v1/machines/bad-seed")).StatusCode);
    }

    [Fact]
    public async Task Vnc_RunningQemuVm_WebSocketCarriesRfbBothWays()
    {
        await product.VmAsync();
        using var socket = await OpenVncAsync(Product.VmName, withToken: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // QEMU's VNC server speaks first: its protocol version.
        var greeting = await ReadAsync(socket, 12, timeout.Token);
        Assert.Equal("RFB 003.008\n", Encoding.ASCII.GetString(greeting));

        // Our answer goes the other way through the agent; QEMU answers with its security types (1: none, as Ringmaster runs it).
        await socket.SendAsync(Encoding.ASCII.GetBytes("RFB 003.008\n"), WebSocketMessageType.Binary, true, timeout.Token);
        var count = (await ReadAsync(socket, 1, timeout.Token))[0];
        Assert.True(count > 0, "QEMU offered no security type");
        var types = await ReadAsync(socket, count, timeout.Token);
        Assert.Contains((byte)1, types);
    }

    [Fact]
    public async Task Vnc_NoGraphicalConsoleOrNotSignedIn_RefusedWithTheReason()
    {
        await product.VmAsync();
        var emulatorVm = await Api.CreateMachineAsync(new { name = "vnc-riscv-1", template = "default", memoryMiB = 128, start = false }, TimeSpan.FromMinutes(2));
        try
        {
            var refused = await Api.Http.GetAsync("/api/v1/machines/vnc-riscv-1/vnc");
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.Conflict, $"{(int)refused.StatusCode} {text}");
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal("vnc-riscv-1 has no graphical console: only QEMU VMs have one.", JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString());

            // A WebSocket client is refused the same way, before any upgrade.
            var ws = await Assert.ThrowsAsync<WebSocketException>(() => OpenVncAsync("vnc-riscv-1", withToken: true));
            Assert.Contains("409", ws.Message);

            var unsigned = await Assert.ThrowsAsync<WebSocketException>(() => OpenVncAsync(Product.VmName, withToken: false));
            Assert.Contains("401", unsigned.Message);

            Assert.Equal(HttpStatusCode.NotFound, (await Api.Http.GetAsync("/api/v1/machines/no-such-vm/vnc")).StatusCode);
        }
        finally
        {
            var delete = await Api.StartOperationAsync(HttpMethod.Delete, $"/api/v1/machines/{emulatorVm.GetProperty("id").GetGuid()}");
            await Api.WaitSucceededAsync(delete, TimeSpan.FromMinutes(1));
        }
    }

    private async Task<ClientWebSocket> OpenVncAsync(string machine, bool withToken)
    {
        var socket = new ClientWebSocket();
        if (withToken && Api.Http.DefaultRequestHeaders.Authorization is { } authorization)
        {
            socket.Options.SetRequestHeader("Authorization", authorization.ToString());
        }

        try
        {
            await socket.ConnectAsync(new UriBuilder(Api.Http.BaseAddress!) { Scheme = "ws", Path = $"/api/v1/machines/{machine}/vnc" }.Uri, CancellationToken.None);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes from the WebSocket's binary messages.</summary>
    private static async Task<byte[]> ReadAsync(ClientWebSocket socket, int count, CancellationToken cancellationToken)
    {
        var bytes = new byte[count];
        var read = 0;
        while (read < count)
        {
            var result = await socket.ReceiveAsync(bytes.AsMemory(read), cancellationToken);
            Assert.True(result.MessageType == WebSocketMessageType.Binary, $"the display closed after {read} of {count} bytes: {socket.CloseStatusDescription}");
            read += result.Count;
        }

        return bytes;
    }

    private async Task<JsonElement> RefusedAsync(object body)
    {
        var response = await Api.Http.PostAsJsonAsync("/api/v1/machines", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("errors").Clone();
    }

    private static async Task<(int ExitCode, string Output)> SshAsync(string key, int port, string user, string command)
    {
        var info = new ProcessStartInfo("ssh")
        {
            ArgumentList =
            {
                "-i", key, "-p", port.ToString(CultureInfo.InvariantCulture), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR", $"{user}@127.0.0.1", command,
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        using var ssh = Process.Start(info)!;
        ssh.StandardInput.Close();
        var output = ssh.StandardOutput.ReadToEndAsync();
        var error = ssh.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await ssh.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            ssh.Kill();
            return (-1, "ssh did not finish in 2 minutes");
        }

        return (ssh.ExitCode, ssh.ExitCode == 0 ? await output : await error);
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} failed: {error}");
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

                // A test before may have restarted the web: its embedded agent reports the VM again once it is back.
                return await HttpJson.EventuallyAsync(
                    () => Api.MachineAsync(VmName), m => m.GetProperty("state").GetString() == "Running", TimeSpan.FromMinutes(3), $"{VmName} to be reported Running");
            }
            finally
            {
                _vmLock.Release();
            }
        }

        /// <summary>The pid of the QEMU that runs the class's VM, from the pidfile in its folder of the agent's data.</summary>
        public async Task<int> QemuPidAsync()
        {
            var id = (await Api.MachineAsync(VmName)).GetProperty("id").GetGuid().ToString("N");
            var pidFile = Assert.Single(Directory.GetFiles(_data, "qemu.pid", SearchOption.AllDirectories), f => Path.GetFileName(Path.GetDirectoryName(f)) == id);
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

                QemuLeftovers.KillUnder(_data);

                Directory.Delete(_data, recursive: true);
                _vmLock.Dispose();
            }
        }
    }
}
