using Ringmaster.Agents.Drivers.Qemu;

namespace Ringmaster.Agents.Tests.Qemu;

/// <summary>QEMU's command line built from a <see cref="QemuMachine"/>: the exact arguments QEMU gets.</summary>
public sealed class QemuCommandLineTests
{
    private static readonly Guid s_uuid = Guid.Parse("6f1c1f8e-2b7a-4a47-9d3e-0c8f5a1b2c3d");
    private static readonly QemuVmFolder s_folder = new("/var/lib/rm/vms/web-1");

    [Fact]
    public void Build_KernelBootWithDiskNicAndAgent_ExactArguments()
    {
        var machine = new QemuMachine
        {
            Name = "web-1",
            Uuid = s_uuid,
            MemoryMiB = 512,
            Vcpus = 2,
            Kernel = new QemuKernelBoot("/img/vmlinuz", "/img/initrd.img", "root=/dev/vda rw console=ttyS0"),
            Disks = [new QemuDisk("root", "/var/lib/rm/vms/web-1/root.qcow2", BootIndex: 1)],
            Nics = [new QemuNic("net0", "52:54:00:aa:bb:cc", [new QemuPortForward(2222, 22), new QemuPortForward(5353, 53, QemuProtocol.Udp, "0.0.0.0")])],
        };

        var arguments = QemuCommandLine.Build(machine, s_folder);

        Assert.Equal(
        [
            "-name", "guest=web-1",
            "-uuid", "6f1c1f8e-2b7a-4a47-9d3e-0c8f5a1b2c3d",
            "-machine", "pc",
            "-accel", "tcg",
            "-cpu", "max",
            "-m", "512M",
            "-smp", "cpus=2",
            "-nodefaults",
            "-no-user-config",
            "-display", "none",
            "-daemonize",
            "-pidfile", "/var/lib/rm/vms/web-1/qemu.pid",
            "-chardev", "socket,id=qmp,path=/var/lib/rm/vms/web-1/qmp.sock,server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
            "-chardev", "socket,id=console,path=/var/lib/rm/vms/web-1/serial.sock,server=on,wait=off,logfile=/var/lib/rm/vms/web-1/console.log,logappend=on",
            "-serial", "chardev:console",
            "-device", "VGA,id=video0",
            "-vnc", "unix:/var/lib/rm/vms/web-1/vnc.sock",
            "-kernel", "/img/vmlinuz",
            "-initrd", "/img/initrd.img",
            "-append", "root=/dev/vda rw console=ttyS0",
            "-blockdev", "driver=file,node-name=root-file,filename=/var/lib/rm/vms/web-1/root.qcow2",
            "-blockdev", "driver=qcow2,node-name=root,file=root-file",
            "-device", "virtio-blk-pci,drive=root,id=root,bootindex=1",
            "-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp:0.0.0.0:5353-:53",
            "-device", "virtio-net-pci,netdev=net0,id=net0,mac=52:54:00:aa:bb:cc",
            "-device", "virtio-balloon-pci,id=balloon0",
            "-chardev", "socket,id=qga0,path=/var/lib/rm/vms/web-1/qga.sock,server=on,wait=off",
            "-device", "virtio-serial-pci,id=vserial0",
            "-device", "virtserialport,bus=vserial0.0,chardev=qga0,name=org.qemu.guest_agent.0",
        ], arguments);
    }

    [Fact]
    public void Build_Q35FirmwareBootFromScsiCdrom_BootOrderOnDevices()
    {
        var machine = new QemuMachine
        {
            Name = "installer",
            Uuid = s_uuid,
            MachineType = QemuMachineType.Q35,
            Accelerator = QemuAccelerator.Kvm,
            MemoryMiB = 2048,
            Balloon = false,
            GuestAgent = false,
            Vnc = false,
            SerialLog = false,
            Disks = [new QemuDisk("disk0", "/data/disk0.raw", QemuDiskFormat.Raw, BootIndex: 2, Serial: "rm-disk0")],
            Cdrom = new QemuCdrom("/isos/debian.iso", QemuCdromBus.Scsi, BootIndex: 1),
        };

        var arguments = QemuCommandLine.Build(machine, s_folder, startPaused: true);

        Assert.Equal(
        [
            "-name", "guest=installer",
            "-uuid", "6f1c1f8e-2b7a-4a47-9d3e-0c8f5a1b2c3d",
            "-machine", "q35",
            "-accel", "kvm",
            "-cpu", "host",
            "-m", "2048M",
            "-smp", "cpus=1",
            "-nodefaults",
            "-no-user-config",
            "-display", "none",
            "-daemonize",
            "-pidfile", "/var/lib/rm/vms/web-1/qemu.pid",
            "-S",
            "-chardev", "socket,id=qmp,path=/var/lib/rm/vms/web-1/qmp.sock,server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
            "-chardev", "socket,id=console,path=/var/lib/rm/vms/web-1/serial.sock,server=on,wait=off",
            "-serial", "chardev:console",
            "-blockdev", "driver=file,node-name=disk0-file,filename=/data/disk0.raw",
            "-blockdev", "driver=raw,node-name=disk0,file=disk0-file",
            "-device", "virtio-blk-pci,drive=disk0,id=disk0,serial=rm-disk0,bootindex=2",
            "-blockdev", "driver=file,node-name=cd0-file,filename=/isos/debian.iso,read-only=on",
            "-blockdev", "driver=raw,node-name=cd0,file=cd0-file,read-only=on",
            "-device", "virtio-scsi-pci,id=scsi0",
            "-device", "scsi-cd,bus=scsi0.0,drive=cd0,id=cd0,bootindex=1",
        ], arguments);
    }

    [Fact]
    public void Build_IdeCdromWithBootIndex_IdeCdDevice()
    {
        var machine = new QemuMachine { Name = "seeded", Uuid = s_uuid, MemoryMiB = 256, Cdrom = new QemuCdrom("/seed/cidata.iso", BootIndex: 3) };

        var arguments = QemuCommandLine.Build(machine, s_folder);

        Assert.Contains("ide-cd,drive=cd0,id=cd0,bootindex=3", arguments);
        Assert.Contains("driver=raw,node-name=cd0,file=cd0-file,read-only=on", arguments);
    }

    [Fact]
    public void Build_EmulatedDevices_IdeDiskAndE1000InsteadOfVirtio()
    {
        var machine = new QemuMachine
        {
            Name = "imported",
            Uuid = s_uuid,
            MemoryMiB = 512,
            Disks = [new QemuDisk("disk0", "/var/lib/rm/vms/web-1/disk.qcow2", BootIndex: 1, Serial: "disk0")],
            Nics = [new QemuNic("net0", "52:54:00:12:34:56")],
            EmulatedDevices = true,
        };

        var arguments = QemuCommandLine.Build(machine, s_folder);

        Assert.Contains("ide-hd,drive=disk0,id=disk0,serial=disk0,bootindex=1", arguments);
        Assert.Contains("e1000,netdev=net0,id=net0,mac=52:54:00:12:34:56", arguments);
        Assert.DoesNotContain(arguments, a => a.StartsWith("virtio-blk", StringComparison.Ordinal) || a.StartsWith("virtio-net", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_IsoInstallWithFirmwareLog_CdBootsFirstAndSeaBiosDebugPortGoesToTheFolder()
    {
        var machine = new QemuMachine
        {
            Name = "installer",
            Uuid = s_uuid,
            MemoryMiB = 1024,
            Disks = [new QemuDisk("disk0", "/var/lib/rm/vms/web-1/disk.qcow2", BootIndex: 1)],
            Cdrom = new QemuCdrom("/var/lib/rm/isos/d-i-0123456789ab.iso", BootIndex: 0),
            FirmwareLog = true,
        };

        var arguments = QemuCommandLine.Build(machine, s_folder);

        Assert.DoesNotContain("-kernel", arguments);
        Assert.Contains("ide-cd,drive=cd0,id=cd0,bootindex=0", arguments);
        Assert.Contains("virtio-blk-pci,drive=disk0,id=disk0,bootindex=1", arguments);
        var chardev = arguments.ToList().IndexOf("file,id=firmware,path=/var/lib/rm/vms/web-1/firmware.log");
        Assert.True(chardev > 0 && arguments[chardev - 1] == "-chardev", string.Join(' ', arguments));
        Assert.Contains("isa-debugcon,iobase=0x402,chardev=firmware,id=debugcon0", arguments);
    }

    [Fact]
    public void Build_Microvm_VirtioMmioDevices()
    {
        var machine = new QemuMachine
        {
            Name = "micro",
            Uuid = s_uuid,
            MachineType = QemuMachineType.Microvm,
            MemoryMiB = 128,
            Vnc = false,
            Kernel = new QemuKernelBoot("/img/vmlinuz", null, "console=ttyS0 acpi=off"),
            Disks = [new QemuDisk("root", "/img/root.qcow2")],
            Nics = [new QemuNic("net0")],
        };

        var arguments = QemuCommandLine.Build(machine, s_folder);

        Assert.Equal("microvm", arguments[arguments.ToList().IndexOf("-machine") + 1]);
        Assert.Contains("virtio-blk-device,drive=root,id=root", arguments);
        Assert.Contains("virtio-net-device,netdev=net0,id=net0", arguments);
        Assert.Contains("virtio-balloon-device,id=balloon0", arguments);
        Assert.Contains("virtio-serial-device,id=vserial0", arguments);
        Assert.DoesNotContain(arguments, a => a.Contains("-pci", StringComparison.Ordinal));
        Assert.DoesNotContain("-initrd", arguments);
    }

    [Fact]
    public void Build_CommasInPaths_DoubledWhereQemuParsesProperties()
    {
        var folder = new QemuVmFolder("/srv/a,b");
        var machine = new QemuMachine
        {
            Name = "odd,name",
            Uuid = s_uuid,
            MemoryMiB = 256,
            Kernel = new QemuKernelBoot("/img/x,y/vmlinuz", null, "console=ttyS0,115200"),
            Disks = [new QemuDisk("root", "/disks/one,two.qcow2")],
        };

        var arguments = QemuCommandLine.Build(machine, folder);

        Assert.Contains("guest=odd,,name", arguments);
        Assert.Contains("driver=file,node-name=root-file,filename=/disks/one,,two.qcow2", arguments);
        Assert.Contains("socket,id=qmp,path=/srv/a,,b/qmp.sock,server=on,wait=off", arguments);
        Assert.Contains("unix:/srv/a,,b/vnc.sock", arguments);
        // -kernel, -pidfile and -append are taken as they are: nothing doubled
        Assert.Contains("/img/x,y/vmlinuz", arguments);
        Assert.Contains("/srv/a,b/qemu.pid", arguments);
        Assert.Contains("console=ttyS0,115200", arguments);
    }

    [Theory]
    [InlineData("relative", "must be an absolute path")]
    [InlineData("duplicate", "names two devices")]
    [InlineData("reserved", "names two devices")]
    [InlineData("badid", "cannot name a disk or NIC")]
    [InlineData("memory", "Memory must be between 16 MiB and 4 TiB")]
    [InlineData("mac", "is not a MAC address")]
    [InlineData("port", "ports are between 1 and 65535")]
    [InlineData("microvm-vnc", "A microvm has no display device")]
    [InlineData("microvm-firmware", "give it a kernel")]
    [InlineData("microvm-firmware-log", "turn the firmware log off")]
    [InlineData("microvm-emulated", "use virtio devices")]
    public void Build_InvalidMachine_RefusedWithReason(string problem, string expected)
    {
        var machine = new QemuMachine { Name = "bad", Uuid = s_uuid, MemoryMiB = 256 };
        machine = problem switch
        {
            "relative" => machine with { Disks = [new QemuDisk("root", "disks/root.qcow2")] },
            "duplicate" => machine with { Disks = [new QemuDisk("root", "/a.qcow2")], Nics = [new QemuNic("root")] },
            "reserved" => machine with { Disks = [new QemuDisk("cd0", "/a.qcow2")] },
            "badid" => machine with { Disks = [new QemuDisk("root,x", "/a.qcow2")] },
            "memory" => machine with { MemoryMiB = 8 },
            "mac" => machine with { Nics = [new QemuNic("net0", "52:54:00:aa:bb")] },
            "port" => machine with { Nics = [new QemuNic("net0", null, [new QemuPortForward(0, 22)])] },
            "microvm-vnc" => machine with { MachineType = QemuMachineType.Microvm, Kernel = new QemuKernelBoot("/k") },
            "microvm-firmware" => machine with { MachineType = QemuMachineType.Microvm, Vnc = false },
            "microvm-firmware-log" => machine with { MachineType = QemuMachineType.Microvm, Vnc = false, Kernel = new QemuKernelBoot("/k"), FirmwareLog = true },
            "microvm-emulated" => machine with { MachineType = QemuMachineType.Microvm, Vnc = false, Kernel = new QemuKernelBoot("/k"), EmulatedDevices = true },
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };

        var error = Assert.Throws<ArgumentException>(() => QemuCommandLine.Build(machine, s_folder));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Build_FolderTooDeepForUnixSockets_RefusedNamingTheLimit()
    {
        var folder = new QemuVmFolder("/" + string.Join('/', Enumerable.Repeat("abcdefghij", 10)));
        var machine = new QemuMachine { Name = "deep", Uuid = s_uuid, MemoryMiB = 256 };

        var error = Assert.Throws<ArgumentException>(() => QemuCommandLine.Build(machine, folder));

        Assert.Contains("at most 107", error.Message);
    }

    [Fact]
    public async Task SaveLoad_MachineDefinition_SameMachineBack()
    {
        var folder = new QemuVmFolder(Directory.CreateTempSubdirectory("rm-def-").FullName);
        try
        {
            var machine = new QemuMachine
            {
                Name = "kept",
                Uuid = s_uuid,
                MachineType = QemuMachineType.Q35,
                MemoryMiB = 1024,
                Kernel = new QemuKernelBoot("/k", "/i", "console=ttyS0"),
                Disks = [new QemuDisk("root", "/r.qcow2", BootIndex: 1)],
                Cdrom = new QemuCdrom("/seed.iso"),
                Nics = [new QemuNic("net0", "52:54:00:00:00:01", [new QemuPortForward(2222, 22)])],
            };

            await folder.SaveAsync(machine);
            var loaded = await folder.LoadAsync();

            Assert.Equal(QemuCommandLine.Build(machine, folder), QemuCommandLine.Build(loaded, folder));
            Assert.Contains("\"machineType\": \"Q35\"", await File.ReadAllTextAsync(folder.MachineFile));
        }
        finally
        {
            Directory.Delete(folder.Path, recursive: true);
        }
    }
}
