using System.Diagnostics;
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
            Nics = [new QemuNic("net0", "52:54:00:12:34:02")],
        };

        var clock = Stopwatch.StartNew();
        await using var guest = await QemuGuest.StartAsync(folder, machine);

        // Under TCG the first boot (cloud-init makes SSH host keys) takes a minute or two; the bound is generous.
        var login = await guest.Console.WaitForAsync("rm-seeded login:", seconds: 900);
        output.WriteLine($"debian-12: start to 'rm-seeded login:' in {clock.Elapsed.TotalSeconds:0.0} s (TCG)");
        // the seed came from the CD-ROM (cloud-init says so when it finishes, after getty has started)
        await guest.Console.WaitForAsync("Datasource DataSourceNoCloud [seed=/dev/sr0]", seconds: 900);
        Assert.True((await guest.Qmp.QueryStatusAsync()).Running);
        // dbus and logind are there, so the ACPI power button shuts the guest down
        using var events = guest.Qmp.Subscribe();
        await guest.Qmp.SystemPowerdownAsync();
        var shutdown = await events.WaitForAsync(QmpEvents.Shutdown).WaitAsync(TimeSpan.FromMinutes(5));
        Assert.Equal("guest-shutdown", shutdown.ShutdownData.Reason);
        Assert.True(login > 0);
    }
}
