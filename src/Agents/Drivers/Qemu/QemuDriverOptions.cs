namespace Ringmaster.Agents.Drivers.Qemu;

/// <summary>Settings of the QEMU (x86_64 VM) driver (configuration section <c>Ringmaster:Qemu</c>).</summary>
public sealed record QemuDriverOptions
{
    public const string SectionName = "Ringmaster:Qemu";

    /// <summary>Where the agent keeps its QEMU VMs, one folder each (definition, disk, sockets, logs); set from the agent's data folder.</summary>
    public string? VmsPath { get; set; }

    /// <summary>
    /// A folder searched first for x86_64 guest images (<c>NAME/vmlinuz</c> with <c>initramfs.cpio.gz</c>,
    /// or <c>NAME/disk.qcow2</c> with its kernel), then <c>RINGMASTER_IMAGES</c>, then the repository's
    /// <c>.state/images</c> when the agent runs from a checkout.
    /// </summary>
    public string? ImagesPath { get; init; }

    /// <summary>The QEMU program (Debian's <c>qemu-system-x86</c> package).</summary>
    public string Binary { get; init; } = QemuProcess.DefaultBinary;

    /// <summary>The machine type new VMs get: <c>pc</c> boots quickest under TCG.</summary>
    public QemuMachineType MachineType { get; init; } = QemuMachineType.Pc;

    /// <summary>The most vCPUs a QEMU VM may have.</summary>
    public int MaxVcpus { get; init; } = 64;

    /// <summary>The most memory a QEMU VM may have, in MiB.</summary>
    public int MaxMemoryMiB { get; init; } = 1 << 20;
}
