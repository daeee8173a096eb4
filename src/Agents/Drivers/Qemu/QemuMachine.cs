using System.Text.Json.Serialization;

namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>
/// What one QEMU VM is: the structure its command line is built from (<see cref="QemuCommandLine"/>)
/// and that is kept as <c>machine.json</c> in its folder (<see cref="QemuVmFolder"/>).
/// </summary>
public sealed record QemuMachine
{
    /// <summary>The VM's name (QEMU's <c>-name guest=</c>; shown in process lists and logs).</summary>
    public required string Name { get; init; }

    /// <summary>The VM's UUID (QEMU's <c>-uuid</c>; the guest's SMBIOS system UUID).</summary>
    public required Guid Uuid { get; init; }

    public QemuMachineType MachineType { get; init; } = QemuMachineType.Pc;

    public QemuAccelerator Accelerator { get; init; } = QemuAccelerator.Tcg;

    /// <summary>QEMU's CPU model; null takes the accelerator's default (<see cref="QemuCommandLine.DefaultCpuModel"/>).</summary>
    public string? CpuModel { get; init; }

    public required int MemoryMiB { get; init; }

    /// <summary>A virtio-balloon device, so that the host can ask the guest for memory back and read its statistics.</summary>
    public bool Balloon { get; init; } = true;

    public int Vcpus { get; init; } = 1;

    public IReadOnlyList<QemuDisk> Disks { get; init; } = [];

    public QemuCdrom? Cdrom { get; init; }

    /// <summary>How the guest starts: its own kernel (<see cref="QemuKernelBoot"/>) or the firmware (null: SeaBIOS boots the devices by their boot index).</summary>
    public QemuKernelBoot? Kernel { get; init; }

    public IReadOnlyList<QemuNic> Nics { get; init; } = [];

    /// <summary>A virtio-serial port for qemu-guest-agent (<c>org.qemu.guest_agent.0</c>) on the folder's <c>qga.sock</c>.</summary>
    public bool GuestAgent { get; init; } = true;

    /// <summary>A graphical console: a VGA card and VNC on the folder's <c>vnc.sock</c>.</summary>
    public bool Vnc { get; init; } = true;

    /// <summary>Everything the serial console prints is also appended to the folder's <c>console.log</c>, also while no client is connected.</summary>
    public bool SerialLog { get; init; } = true;

    /// <summary>
    /// Emulated real hardware instead of virtio for the disks and NICs: IDE disks (AHCI on q35) and
    /// Intel e1000 NICs, which any guest has drivers for (one imported from another hypervisor may lack virtio's).
    /// </summary>
    public bool EmulatedDevices { get; init; }

    /// <summary>The firmware's (SeaBIOS') own messages, from its debug port 0x402, to the folder's <c>firmware.log</c> (each start anew): what it booted, or that it found nothing to boot.</summary>
    public bool FirmwareLog { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<QemuMachineType>))]
public enum QemuMachineType
{
    /// <summary>i440FX + PIIX, QEMU's <c>pc</c>: the quickest to boot under TCG; IDE CD-ROM.</summary>
    Pc,

    /// <summary>Q35 + ICH9, PCI Express; AHCI (IDE-compatible) CD-ROM.</summary>
    Q35,

    /// <summary>QEMU's minimal <c>microvm</c>: no PCI, no firmware drives; virtio-mmio devices and direct kernel boot only.</summary>
    Microvm,
}

[JsonConverter(typeof(JsonStringEnumConverter<QemuAccelerator>))]
public enum QemuAccelerator
{
    /// <summary>TCG: QEMU translates the guest's instructions; works everywhere, slower.</summary>
    Tcg,

    /// <summary>KVM: hardware virtualization through /dev/kvm.</summary>
    Kvm,
}

[JsonConverter(typeof(JsonStringEnumConverter<QemuDiskFormat>))]
public enum QemuDiskFormat
{
    Qcow2,
    Raw,
}

/// <summary>
/// A disk: a file opened through a <c>-blockdev</c> file node and a format node, on a virtio-blk device.
/// <paramref name="Id"/> names the nodes (<c>ID</c>, <c>ID-file</c>) and the device.
/// </summary>
public sealed record QemuDisk(string Id, string Path, QemuDiskFormat Format = QemuDiskFormat.Qcow2, bool ReadOnly = false, int? BootIndex = null, string? Serial = null);

[JsonConverter(typeof(JsonStringEnumConverter<QemuCdromBus>))]
public enum QemuCdromBus
{
    /// <summary>An IDE (pc) or AHCI (q35) CD-ROM: every guest and firmware knows it.</summary>
    Ide,

    /// <summary>A SCSI CD-ROM on a virtio-scsi controller.</summary>
    Scsi,
}

/// <summary>A read-only CD-ROM with an ISO image (an installer, a cloud-init <c>cidata</c> seed).</summary>
public sealed record QemuCdrom(string Path, QemuCdromBus Bus = QemuCdromBus.Ide, int? BootIndex = null);

/// <summary>Direct kernel boot: QEMU loads the kernel and initrd and passes the command line.</summary>
public sealed record QemuKernelBoot(string Kernel, string? Initrd = null, string? Append = null);

/// <summary>A virtio-net NIC on QEMU's user-mode network (NAT), with host ports forwarded to the guest.</summary>
public sealed record QemuNic(string Id, string? Mac = null, IReadOnlyList<QemuPortForward>? Forwards = null);

[JsonConverter(typeof(JsonStringEnumConverter<QemuProtocol>))]
public enum QemuProtocol
{
    Tcp,
    Udp,
}

/// <summary>A host port forwarded to a guest port (user-mode networking's <c>hostfwd</c>).</summary>
public sealed record QemuPortForward(int HostPort, int GuestPort, QemuProtocol Protocol = QemuProtocol.Tcp, string HostAddress = "127.0.0.1");
