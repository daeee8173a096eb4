using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ringmaster.Agents.Drivers.Qemu;
using Ringmaster.Agents.Drivers.Qemu.Qmp;
using Xunit.Abstractions;

namespace Ringmaster.Agents.Tests.Qemu;

/// <summary>
/// The debian-12 image under real QEMU (TCG): a copy-on-write layer over its disk, a NoCloud seed on a
/// CD-ROM (user, SSH key, host name), direct kernel boot, and the serial console's login prompt
/// naming the host the seed asked for.
/// </summary>
[Collection(QemuGuestsCollection.Name)]
public sealed class Debian12BootTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Boot_NoCloudSeed_LoginPromptWithSeededHostname()
    {
        var image = QemuImages.Folder("debian-12");
        var folder = QemuGuest.NewFolder();
        var disk = Path.Combine(folder.Path, "root.qcow2");
        await QemuImages.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", "-b", Path.Combine(image, "disk.qcow2"), "-F", "qcow2", disk);
        var seed = Path.Combine(folder.Path, "seed");
        Directory.CreateDirectory(seed);
        await File.WriteAllTextAsync(Path.Combine(seed, "meta-data"), "instance-id: rm-test-1\nlocal-hostname: rm-seeded\n");
        await File.WriteAllTextAsync(Path.Combine(seed, "user-data"), """
            #cloud-config
            hostname: rm-seeded
            users:
              - name: ringmaster
                shell: /bin/bash
                sudo: "ALL=(ALL) NOPASSWD:ALL"
                ssh_authorized_keys:
                  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Qta2V5LW9ubHktZm9yLXJpbmdtYXN0ZXItdGVzdHM test@ringmaster
            """);
        var iso = Path.Combine(folder.Path, "cidata.iso");
        await QemuImages.RunAsync("genisoimage", "-quiet", "-output", iso, "-volid", "cidata", "-joliet", "-rock",
            Path.Combine(seed, "user-data"), Path.Combine(seed, "meta-data"));
        var machine = new QemuMachine
        {
            Name = "debian-12-seeded",
            Uuid = Guid.NewGuid(),
            MemoryMiB = 1024,
            Kernel = new QemuKernelBoot(Path.Combine(image, "vmlinuz"), Path.Combine(image, "initrd.img"), "root=/dev/vda rw console=ttyS0"),
            Disks = [new QemuDisk("root", disk)],
            Cdrom = new QemuCdrom(iso),
            Nics = [new QemuNic("net0", "52:54:00:12:34:02", [new QemuPortForward(FreePort(), 22)])],
        };

        var clock = Stopwatch.StartNew();
        await using var guest = await QemuGuest.StartAsync(folder, machine);

        // Under TCG the first boot (cloud-init makes SSH host keys) takes a minute or two; the bound is generous.
        var login = await guest.Console.WaitForAsync("rm-seeded login:", seconds: 900);
        output.WriteLine($"debian-12: start to 'rm-seeded login:' in {clock.Elapsed.TotalSeconds:0.0} s (TCG)");
        // the seed came from the CD-ROM (cloud-init says so when it finishes, after getty has started)
        await guest.Console.WaitForAsync("Datasource DataSourceNoCloud [seed=/dev/sr0]", seconds: 900);
        Assert.True((await guest.Qmp.QueryStatusAsync()).Running);
        // qemu-guest-agent answers on the folder's qga.sock, and cloud-init's network came up (DHCP from user-mode networking)
        await using (var agent = await GuestAgent.ConnectAsync(folder.GuestAgentSocket))
        {
            Assert.Equal("rm-seeded", (await agent.ExecuteAsync("guest-get-host-name")).GetProperty("host-name").GetString());
            var addresses = (await agent.ExecuteAsync("guest-network-get-interfaces")).EnumerateArray()
                .SelectMany(i => i.TryGetProperty("ip-addresses", out var a) ? a.EnumerateArray() : Enumerable.Empty<JsonElement>())
                .Select(a => a.GetProperty("ip-address").GetString())
                .ToList();
            Assert.Contains("10.0.2.15", addresses);
        }

        // sshd answers through the host port forwarded to the guest's port 22
        Assert.StartsWith("SSH-2.0-OpenSSH", await SshBannerAsync(machine.Nics[0].Forwards![0].HostPort));
        // dbus and logind are there, so the ACPI power button shuts the guest down
        using var events = guest.Qmp.Subscribe();
        await guest.Qmp.SystemPowerdownAsync();
        var shutdown = await events.WaitForAsync(QmpEvents.Shutdown).WaitAsync(TimeSpan.FromMinutes(5));
        Assert.Equal("guest-shutdown", shutdown.ShutdownData.Reason);
        Assert.True(login > 0);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The first line sshd sends (the guest's network is up and sshd started before getty, so it answers at once).</summary>
    private static async Task<string> SshBannerAsync(int port)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
        return await reader.ReadLineAsync(timeout.Token) ?? "";
    }
}

/// <summary>A minimal qemu-guest-agent client for the test: JSON commands on the virtio-serial socket, after a guest-sync.</summary>
internal sealed class GuestAgent : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;

    private GuestAgent(Socket socket)
    {
        _socket = socket;
        _reader = new StreamReader(new NetworkStream(socket), Encoding.UTF8);
    }

    public static async Task<GuestAgent> ConnectAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        var agent = new GuestAgent(socket);
        // guest-sync with a fresh id: whatever an earlier client left unread is skipped up to its answer
        var id = Random.Shared.Next(1, int.MaxValue);
        var answer = await agent.ExecuteAsync("guest-sync", $$"""{"id": {{id}}}""");
        Assert.Equal(id, answer.GetInt32());
        return agent;
    }

    public async Task<JsonElement> ExecuteAsync(string command, string? arguments = null)
    {
        var request = arguments is null ? $$"""{"execute": "{{command}}"}""" : $$"""{"execute": "{{command}}", "arguments": {{arguments}}}""";
        await _socket.SendAsync(Encoding.UTF8.GetBytes(request + "\n"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (await _reader.ReadLineAsync(timeout.Token) is { } line)
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.TryGetProperty("return", out var value))
            {
                return value.Clone();
            }

            Assert.Fail($"qemu-guest-agent refused {command}: {line}");
        }

        Assert.Fail($"qemu-guest-agent closed its socket during {command}");
        return default;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
