using System.Text.Json.Serialization;

namespace Ringmaster.Contracts;

/// <summary>What a guest is: an emulated virtual machine or a container on a real engine.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MachineKind>))]
public enum MachineKind
{
    [JsonStringEnumMemberName("vm")] Vm,
    [JsonStringEnumMemberName("container")] Container,
}

/// <summary>
/// What runs a virtual machine: Ringmaster's RISC-V emulator (any host, its whole state ours), or
/// QEMU for x86_64 guests (KVM where the host has hardware virtualization, TCG elsewhere).
/// Containers have no VM engine (null).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<VmEngine>))]
public enum VmEngine
{
    [JsonStringEnumMemberName("emulator")] Emulator,
    [JsonStringEnumMemberName("qemu")] Qemu,
}

/// <summary>
/// The life of a machine. The agent owns the truth about what runs; <see cref="Unknown"/> means its
/// host is offline, <see cref="Lost"/> means the agent reconnected and no longer reports it.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<MachineState>))]
public enum MachineState
{
    Creating,
    Stopped,
    Running,
    Paused,
    Migrating,
    Deleting,
    Unknown,
    Lost,
    Error,

    /// <summary>On its way to running (a container its engine is starting or restarting); actions wait until it is there.</summary>
    Starting,

    /// <summary>On its way to stopped (a container its engine is stopping); actions wait until it is there.</summary>
    Stopping,
}

/// <summary>A disk of a machine: a name and its size.</summary>
public sealed record DiskSpec(string Name, int SizeGiB);

/// <summary>A network interface of a machine; the MAC address is assigned when not given.</summary>
/// <param name="Forwards">Host ports forwarded to the guest on this interface (QEMU VMs on user-mode networking).</param>
public sealed record NetworkSpec(string Name, string? Mac = null, IReadOnlyList<PortForward>? Forwards = null);

/// <summary>A port of the host (on 127.0.0.1) forwarded to a port of the guest.</summary>
/// <param name="Protocol"><c>tcp</c> (the default) or <c>udp</c>.</param>
public sealed record PortForward(int HostPort, int GuestPort, string? Protocol = null);

/// <summary>
/// The first-boot settings a QEMU VM's cloud-init reads from its NoCloud seed (a <c>cidata</c> CD-ROM),
/// in the Proxmox and Incus conventions: host name, a user with a password or SSH keys, free user-data
/// (a <c>#cloud-config</c> YAML document or a script, merged after the rest) and a network configuration.
/// </summary>
public sealed record CloudInitConfig(
    string? Hostname = null,
    string? User = null,
    string? Password = null,
    IReadOnlyList<string>? SshKeys = null,
    string? UserData = null,
    string? NetworkConfig = null);

/// <summary>
/// The devices a QEMU VM's disk and network are: paravirtual virtio (fast; Linux has the drivers) or
/// emulated real hardware (an IDE/SATA disk and an Intel e1000 NIC) that any guest knows, such as one
/// imported from another hypervisor without virtio drivers.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<GuestDevices>))]
public enum GuestDevices
{
    [JsonStringEnumMemberName("virtio")] Virtio,
    [JsonStringEnumMemberName("emulated")] Emulated,
}

/// <summary>The core four: vCPUs, memory, disks and networks.</summary>
/// <param name="Devices">For QEMU VMs: virtio or emulated disk and network devices (null: virtio).</param>
public sealed record MachineSpec(int Vcpus, int MemoryMiB, IReadOnlyList<DiskSpec> Disks, IReadOnlyList<NetworkSpec> Networks, GuestDevices? Devices = null)
{
    public int DiskGiB => Disks.Sum(d => d.SizeGiB);
}

/// <summary>What the server asks an agent to create.</summary>
/// <param name="Id">The machine's id, chosen by the server and kept by the agent.</param>
/// <param name="Name">The machine's name (unique in the inventory).</param>
/// <param name="Kind">VM or container.</param>
/// <param name="Image">The image: a catalog name for VMs (<c>default</c>, <c>debian</c>), an engine image for containers.</param>
/// <param name="Command">For containers: the command to run (empty: the image's own).</param>
/// <param name="Spec">The core four.</param>
/// <param name="Labels">Free labels, kept on the guest too.</param>
/// <param name="Engine">For VMs: the engine that runs it (null: the emulator); null for containers.</param>
/// <param name="CloudInit">For QEMU VMs: what their first boot's cloud-init seed says (null: no seed).</param>
/// <param name="ImageSource">For an image imported into the server (for a QEMU VM, a disk image of kind <c>disk</c>, copied into its own qcow2): where the agent fetches it when it lacks it.</param>
/// <param name="Iso">For a QEMU VM installed from an ISO: the imported ISO the agent fetches and puts in its CD-ROM, booted first; the VM's disk starts empty. Null once ejected.</param>
public sealed record GuestDefinition(
    Guid Id,
    string Name,
    MachineKind Kind,
    string Image,
    IReadOnlyList<string> Command,
    MachineSpec Spec,
    IReadOnlyDictionary<string, string> Labels,
    ImageSource? ImageSource = null,
    VmEngine? Engine = null,
    CloudInitConfig? CloudInit = null,
    ImageSource? Iso = null);

/// <summary>What an agent reports about one guest it runs.</summary>
/// <param name="StartedAt">When it last started running, as its engine says (a container's start, a QEMU process's start, an emulator VM's boot on this agent); null while it is not running.</param>
public sealed record GuestInfo(
    Guid Id,
    string Name,
    MachineKind Kind,
    MachineState State,
    string Image,
    MachineSpec Spec,
    IReadOnlyDictionary<string, string> Labels,
    string? Detail = null,
    VmEngine? Engine = null,
    DateTimeOffset? StartedAt = null);

/// <summary>Live figures for one guest, pushed by the agent.</summary>
/// <param name="CpuPercent">CPU use, 100 = one host core.</param>
/// <param name="Mips">For emulator VMs: millions of guest instructions per second; null for containers.</param>
public sealed record GuestMetrics(
    Guid Id,
    DateTimeOffset At,
    double CpuPercent,
    long MemoryUsedBytes,
    long MemoryLimitBytes,
    long DiskReadBytes,
    long DiskWriteBytes,
    long NetRxBytes,
    long NetTxBytes,
    double? Mips = null);
