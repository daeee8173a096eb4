namespace Ringmaster.Emulator;

/// <summary>What to build and boot. Validated when a <see cref="RiscVMachine"/> is constructed.</summary>
public sealed record MachineConfig
{
    /// <summary>RAM size in MiB (16 … 2047).</summary>
    public int MemoryMiB { get; init; } = 256;

    /// <summary>Number of harts (vCPUs), 1 … 8.</summary>
    public int Harts { get; init; } = 1;

    /// <summary>OpenSBI <c>fw_dynamic.bin</c>, loaded at the start of RAM.</summary>
    public string? FirmwarePath { get; init; }

    /// <summary>Linux <c>Image</c> (raw, or gzip-compressed), loaded at RAM + 0x20_0000.</summary>
    public string? KernelPath { get; init; }

    /// <summary>Optional initramfs, placed near the top of RAM.</summary>
    public string? InitrdPath { get; init; }

    /// <summary>Kernel command line.</summary>
    public string Bootargs { get; init; } = "console=ttyS0";

    /// <summary>Optional raw disk image served by virtio-blk.</summary>
    public string? DiskPath { get; init; }

    /// <summary>
    /// Copy-on-write overlay for <see cref="DiskPath"/>: when set, the base is opened read-only and
    /// every write goes to this file (created when missing). When null the disk is writable in place.
    /// </summary>
    public string? DiskOverlayPath { get; init; }

    /// <summary>
    /// Frozen copy-on-write layers between <see cref="DiskPath"/> (the raw base) and
    /// <see cref="DiskOverlayPath"/> (the writable top), oldest first. When set (even empty) together
    /// with an overlay, the disk is a layer chain: snapshots freeze the top and start a new one.
    /// </summary>
    public IReadOnlyList<string>? DiskLayers { get; init; }

    /// <summary>Open the disk read-only (writes fail with an I/O error in the guest).</summary>
    public bool DiskReadOnly { get; init; }

    /// <summary>Time derived from the instruction count, so runs (and save/load) are reproducible.</summary>
    public bool DeterministicClock { get; init; }

    /// <summary>Host side of the virtio-net device; null means no network card.</summary>
    public INetworkEndpoint? Network { get; init; }

    /// <summary>Add a virtio-console device (hvc0) next to the UART.</summary>
    public bool VirtioConsole { get; init; }

    /// <summary>Add a virtio-rng entropy device.</summary>
    public bool EntropyDevice { get; init; } = true;

    /// <summary>Offer Sv48 in the device tree (Sv39 and Sv48 are both implemented).</summary>
    public bool Sv48 { get; init; }

    /// <summary>
    /// Bare-metal mode: an RV64 ELF loaded by its PT_LOAD segments and entered in M mode at
    /// <c>e_entry</c> on every hart; the run ends when it writes the HTIF <c>tohost</c> word.
    /// </summary>
    public string? BareMetalElfPath { get; init; }
}

/// <summary>The host side of the virtio-net device: frames in and out of the guest.</summary>
public interface INetworkEndpoint
{
    /// <summary>A frame the guest sent (called on the machine's thread).</summary>
    void Send(ReadOnlySpan<byte> frame);

    /// <summary>Next frame for the guest, if any (polled on the machine's thread).</summary>
    bool TryReceive(out byte[] frame);

    /// <summary>The guest's MAC address.</summary>
    ReadOnlySpan<byte> Mac { get; }

    /// <summary>
    /// Called once by the machine with a callback (safe on any thread) that an endpoint whose
    /// frames arrive from elsewhere invokes after queueing one, so that an idle guest wakes at once
    /// instead of at its next timer tick.
    /// </summary>
    void Attach(Action frameArrived)
    {
    }
}

/// <summary>A network endpoint that drops everything and never receives (a cable plugged into nothing).</summary>
public sealed class NullNetworkEndpoint(byte[]? mac = null) : INetworkEndpoint
{
    private readonly byte[] _mac = mac ?? [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

    public ReadOnlySpan<byte> Mac => _mac;

    public void Send(ReadOnlySpan<byte> frame)
    {
    }

    public bool TryReceive(out byte[] frame)
    {
        frame = [];
        return false;
    }
}

/// <summary>Bad configuration found before the machine starts (missing file, garbage image, too little RAM…).</summary>
public sealed class MachineConfigurationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Where a machine is.</summary>
public enum MachineStatus
{
    /// <summary>Created or reset, not run yet, or between slices.</summary>
    Running,

    /// <summary>Every hart waits for an interrupt.</summary>
    Idle,

    /// <summary>Paused by its owner.</summary>
    Paused,

    /// <summary>The guest powered off (or the bare-metal program finished).</summary>
    PoweredOff,

    /// <summary>The guest asked for a reboot; call <see cref="RiscVMachine.Reset"/> to restart it.</summary>
    Rebooting,

    /// <summary>Stopped because of an emulator failure; <see cref="RiscVMachine.StopReason"/> says why.</summary>
    Faulted,
}

/// <summary>What this emulator is.</summary>
public static class EmulatorInfo
{
    public const string Version = "0.1.0";

    public const string Isa = "rv64imafdc_zicsr_zifencei";
}
