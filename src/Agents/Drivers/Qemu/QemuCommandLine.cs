using System.Text.RegularExpressions;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// Builds qemu-system-x86_64's command line from a <see cref="QemuMachine"/> and its
/// <see cref="QemuVmFolder"/>: a list of <see cref="QemuOption"/>s, each from the structure, never
/// from pasted strings. QEMU daemonizes (<c>-daemonize</c>: it detaches into its own session once
/// its sockets listen, and its first process exits 0, or 1 with the reason on stderr), writes its
/// pidfile, and is reached only through the folder's sockets.
/// </summary>
public static partial class QemuCommandLine
{
    /// <summary>The CPU model when the machine names none: the host's own under KVM, everything TCG can emulate otherwise.</summary>
    public static string DefaultCpuModel(QemuAccelerator accelerator) => accelerator == QemuAccelerator.Kvm ? "host" : "max";

    /// <summary>The command line's arguments (without the program), ready for <c>ProcessStartInfo.ArgumentList</c>.</summary>
    /// <param name="startPaused">Start with the vCPUs stopped (<c>-S</c>): QMP <c>cont</c> starts the guest, so that a console can attach before the first byte.</param>
    public static IReadOnlyList<string> Build(QemuMachine machine, QemuVmFolder folder, bool startPaused = false) =>
        [.. Options(machine, folder, startPaused).SelectMany(o => o.ToArguments())];

    /// <summary>The command line as options, in the order QEMU gets them.</summary>
    public static IReadOnlyList<QemuOption> Options(QemuMachine machine, QemuVmFolder folder, bool startPaused = false)
    {
        Validate(machine);
        folder.EnsureSocketPathsFit();
        var microvm = machine.MachineType == QemuMachineType.Microvm;
        // virtio devices: PCI on pc and q35, virtio-mmio on microvm
        var virtio = microvm ? "device" : "pci";
        var options = new List<QemuOption>
        {
            QemuOption.Properties("-name", new QemuProperties().Add("guest", machine.Name)),
            QemuOption.Plain("-uuid", machine.Uuid.ToString("D")),
            QemuOption.Properties("-machine", new QemuProperties(MachineTypeName(machine.MachineType))),
            QemuOption.Properties("-accel", new QemuProperties(machine.Accelerator == QemuAccelerator.Kvm ? "kvm" : "tcg")),
            QemuOption.Properties("-cpu", new QemuProperties(machine.CpuModel ?? DefaultCpuModel(machine.Accelerator))),
            QemuOption.Plain("-m", $"{machine.MemoryMiB}M"),
            QemuOption.Properties("-smp", new QemuProperties().Add("cpus", machine.Vcpus)),
            QemuOption.Bare("-nodefaults"),
            QemuOption.Bare("-no-user-config"),
            QemuOption.Properties("-display", new QemuProperties("none")),
            QemuOption.Bare("-daemonize"),
            QemuOption.Plain("-pidfile", folder.PidFile),
        };
        if (startPaused)
        {
            options.Add(QemuOption.Bare("-S"));
        }

        // QMP, then the serial console (ttyS0), both Unix sockets that wait for nobody
        options.Add(QemuOption.Properties("-chardev", SocketChardev("qmp", folder.QmpSocket)));
        options.Add(QemuOption.Properties("-mon", new QemuProperties().Add("chardev", "qmp").Add("mode", "control")));
        var console = SocketChardev("console", folder.SerialSocket);
        if (machine.SerialLog)
        {
            console.Add("logfile", folder.ConsoleLog).Add("logappend", true);
        }

        options.Add(QemuOption.Properties("-chardev", console));
        options.Add(QemuOption.Plain("-serial", "chardev:console"));

        if (machine.FirmwareLog)
        {
            options.Add(QemuOption.Properties("-chardev", new QemuProperties("file").Add("id", "firmware").Add("path", folder.FirmwareLog)));
            options.Add(QemuOption.Properties("-device", new QemuProperties("isa-debugcon").Add("iobase", "0x402").Add("chardev", "firmware").Add("id", "debugcon0")));
        }

        if (machine.Vnc)
        {
            options.Add(QemuOption.Properties("-device", new QemuProperties("VGA").Add("id", "video0")));
            options.Add(QemuOption.Properties("-vnc", new QemuProperties("unix:" + folder.VncSocket)));
        }

        if (machine.Kernel is { } kernel)
        {
            options.Add(QemuOption.Plain("-kernel", kernel.Kernel));
            if (kernel.Initrd is not null)
            {
                options.Add(QemuOption.Plain("-initrd", kernel.Initrd));
            }

            if (kernel.Append is not null)
            {
                options.Add(QemuOption.Plain("-append", kernel.Append));
            }
        }

        foreach (var disk in machine.Disks)
        {
            options.Add(QemuOption.Properties("-blockdev", new QemuProperties()
                .Add("driver", "file").Add("node-name", disk.Id + "-file").Add("filename", disk.Path).AddIf(disk.ReadOnly, "read-only", "on")));
            options.Add(QemuOption.Properties("-blockdev", new QemuProperties()
                .Add("driver", disk.Format == QemuDiskFormat.Qcow2 ? "qcow2" : "raw").Add("node-name", disk.Id).Add("file", disk.Id + "-file").AddIf(disk.ReadOnly, "read-only", "on")));
            options.Add(QemuOption.Properties("-device", new QemuProperties(machine.EmulatedDevices ? "ide-hd" : $"virtio-blk-{virtio}")
                .Add("drive", disk.Id).Add("id", disk.Id).AddIfSet("serial", disk.Serial).AddIfSet("bootindex", disk.BootIndex)));
        }

        if (machine.Cdrom is { } cdrom)
        {
            options.Add(QemuOption.Properties("-blockdev", new QemuProperties()
                .Add("driver", "file").Add("node-name", "cd0-file").Add("filename", cdrom.Path).Add("read-only", true)));
            options.Add(QemuOption.Properties("-blockdev", new QemuProperties()
                .Add("driver", "raw").Add("node-name", "cd0").Add("file", "cd0-file").Add("read-only", true)));
            if (cdrom.Bus == QemuCdromBus.Scsi)
            {
                options.Add(QemuOption.Properties("-device", new QemuProperties($"virtio-scsi-{virtio}").Add("id", "scsi0")));
                options.Add(QemuOption.Properties("-device", new QemuProperties("scsi-cd")
                    .Add("bus", "scsi0.0").Add("drive", "cd0").Add("id", "cd0").AddIfSet("bootindex", cdrom.BootIndex)));
            }
            else
            {
                options.Add(QemuOption.Properties("-device", new QemuProperties("ide-cd")
                    .Add("drive", "cd0").Add("id", "cd0").AddIfSet("bootindex", cdrom.BootIndex)));
            }
        }

        foreach (var nic in machine.Nics)
        {
            var netdev = new QemuProperties("user").Add("id", nic.Id);
            foreach (var forward in nic.Forwards ?? [])
            {
                var protocol = forward.Protocol == QemuProtocol.Udp ? "udp" : "tcp";
                netdev.Add("hostfwd", $"{protocol}:{forward.HostAddress}:{forward.HostPort}-:{forward.GuestPort}");
            }

            options.Add(QemuOption.Properties("-netdev", netdev));
            options.Add(QemuOption.Properties("-device", new QemuProperties(machine.EmulatedDevices ? "e1000" : $"virtio-net-{virtio}")
                .Add("netdev", nic.Id).Add("id", nic.Id).AddIfSet("mac", nic.Mac)));
        }

        if (machine.Balloon)
        {
            options.Add(QemuOption.Properties("-device", new QemuProperties($"virtio-balloon-{virtio}").Add("id", "balloon0")));
        }

        if (machine.GuestAgent)
        {
            options.Add(QemuOption.Properties("-chardev", SocketChardev("qga0", folder.GuestAgentSocket)));
            options.Add(QemuOption.Properties("-device", new QemuProperties($"virtio-serial-{virtio}").Add("id", "vserial0")));
            options.Add(QemuOption.Properties("-device", new QemuProperties("virtserialport")
                .Add("bus", "vserial0.0").Add("chardev", "qga0").Add("name", "org.qemu.guest_agent.0")));
        }

        return options;
    }

    private static QemuProperties SocketChardev(string id, string path) =>
        new QemuProperties("socket").Add("id", id).Add("path", path).Add("server", true).Add("wait", false);

    private static string MachineTypeName(QemuMachineType type) => type switch
    {
        QemuMachineType.Pc => "pc",
        QemuMachineType.Q35 => "q35",
        QemuMachineType.Microvm => "microvm",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown machine type."),
    };

    /// <summary>Refuses a definition QEMU would refuse or misread, saying what is wrong.</summary>
    public static void Validate(QemuMachine machine)
    {
        if (string.IsNullOrWhiteSpace(machine.Name))
        {
            throw new ArgumentException("A VM needs a name.");
        }

        if (machine.MemoryMiB is < 16 or > 4 * 1024 * 1024)
        {
            throw new ArgumentException($"Memory must be between 16 MiB and 4 TiB; {machine.MemoryMiB} MiB was asked.");
        }

        if (machine.Vcpus is < 1 or > 255)
        {
            throw new ArgumentException($"vCPUs must be between 1 and 255; {machine.Vcpus} were asked.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal) { "cd0", "scsi0", "balloon0", "vserial0", "video0", "qmp", "console", "qga0", "firmware", "debugcon0" };
        foreach (var id in machine.Disks.Select(d => d.Id).Concat(machine.Nics.Select(n => n.Id)))
        {
            if (!IdPattern().IsMatch(id))
            {
                throw new ArgumentException($"'{id}' cannot name a disk or NIC: use a letter, then letters, digits, '-' or '_' (at most 24).");
            }

            if (!ids.Add(id))
            {
                throw new ArgumentException($"'{id}' names two devices (or one QEMU's own devices use).");
            }
        }

        var files = machine.Disks.Select(d => d.Path)
            .Concat(machine.Cdrom is { } c ? [c.Path] : [])
            .Concat(machine.Kernel is { } k ? new[] { k.Kernel, k.Initrd }.OfType<string>() : []);
        foreach (var file in files)
        {
            if (!Path.IsPathFullyQualified(file))
            {
                throw new ArgumentException($"'{file}' must be an absolute path (QEMU runs from / once it has daemonized).");
            }
        }

        foreach (var nic in machine.Nics)
        {
            if (nic.Mac is { } mac && !MacPattern().IsMatch(mac))
            {
                throw new ArgumentException($"'{mac}' is not a MAC address (six hex pairs separated by ':').");
            }

            foreach (var forward in nic.Forwards ?? [])
            {
                if (forward.HostPort is < 1 or > 65535 || forward.GuestPort is < 1 or > 65535)
                {
                    throw new ArgumentException($"Port forward {forward.HostPort} → {forward.GuestPort}: ports are between 1 and 65535.");
                }

                if (!System.Net.IPAddress.TryParse(forward.HostAddress, out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                {
                    throw new ArgumentException($"Port forward {forward.HostPort} → {forward.GuestPort}: '{forward.HostAddress}' is not an IPv4 address.");
                }
            }
        }

        if (machine.MachineType == QemuMachineType.Microvm)
        {
            if (machine.Kernel is null)
            {
                throw new ArgumentException("A microvm has no firmware to boot from disks: give it a kernel (direct kernel boot).");
            }

            if (machine.Vnc)
            {
                throw new ArgumentException("A microvm has no display device: turn VNC off.");
            }

            if (machine.FirmwareLog)
            {
                throw new ArgumentException("A microvm has no firmware whose messages could be kept: turn the firmware log off.");
            }

            if (machine.Cdrom is { Bus: QemuCdromBus.Ide })
            {
                throw new ArgumentException("A microvm has no IDE bus: put the CD-ROM on SCSI.");
            }

            if (machine.EmulatedDevices)
            {
                throw new ArgumentException("A microvm has no PCI or IDE bus for emulated disks and NICs: use virtio devices.");
            }
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,23}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")]
    private static partial Regex MacPattern();
}
