using System.IO.Compression;
using System.Text;

namespace Ringmaster.Emulator;

/// <summary>
/// Live migration: memory goes page by page in rounds (<see cref="MarkDirtyPages"/>,
/// <see cref="GetDirtyPages"/>, <see cref="ReadPage"/>) while the guest runs; at the end only the
/// state without RAM (<see cref="SaveState"/>) goes with the last dirty pages, and the target loads
/// it into a machine whose RAM already holds the pages (<see cref="CreateIncoming"/>, <see cref="LoadState"/>).
/// </summary>
public sealed partial class RiscVMachine
{
    /// <summary>Bytes in one guest page.</summary>
    public static int PageBytes => (int)Bus.PageSize;

    /// <summary>A machine that receives a migrating one: RAM zeroed, nothing loaded; pages and state follow.</summary>
    public static RiscVMachine CreateIncoming(MachineConfig config)
    {
        // The boot images are kept for a later reset, but RAM must start all zero: the source sends
        // only the pages that hold data, so a page left with the kernel or initramfs in it here would
        // stand where the guest has zeros.
        var machine = new RiscVMachine(config, loadImages: false, TryPrepareBoot(config));
        Array.Clear(machine._bus.Ram);
        return machine;
    }

    /// <summary>Guest-physical addresses of the pages that are not all zeros (the first round of a migration).</summary>
    public List<ulong> NonZeroPages()
    {
        var list = new List<ulong>();
        var ram = _bus.Ram;
        for (var off = 0; off < ram.Length; off += (int)Bus.PageSize)
        {
            if (ram.AsSpan(off, (int)Bus.PageSize).IndexOfAnyExcept((byte)0) >= 0)
                list.Add(MemoryMap.RamBase + (ulong)off);
        }

        return list;
    }

    /// <summary>Writes one 4 KiB guest page received from the source.</summary>
    public void WritePage(ulong address, ReadOnlySpan<byte> data)
    {
        if (!_bus.DmaWrite(address, data[..(int)Bus.PageSize]))
            throw new MachineConfigurationException($"Page 0x{address:x} is outside this machine's RAM.");
    }

    /// <summary>Writes everything but RAM (harts, clock, devices, disk overlay) to <paramref name="stream"/>, between slices.</summary>
    public void SaveState(Stream stream) => Save(stream, includeMemory: false);

    /// <summary>Reads a state written by <see cref="SaveState"/> (or <see cref="Save(Stream)"/>) into this machine; RAM keeps the pages it received.</summary>
    public void LoadState(Stream stream)
    {
        using var z = new DeflateStream(stream, CompressionMode.Decompress, leaveOpen: true);
        using var r = new BinaryReader(z, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (r.ReadString() != Magic || r.ReadInt32() != FormatVersion)
                throw new MachineConfigurationException("The stream is not a Ringmaster machine state of a supported version.");
            var mem = r.ReadInt32();
            var harts = r.ReadInt32();
            if (mem != Config.MemoryMiB || harts != _harts.Length)
                throw new MachineConfigurationException($"The state is of a machine with {mem} MiB and {harts} harts; this one has {Config.MemoryMiB} MiB and {_harts.Length}.");
            ReadState(r, keepMemory: true);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or IOException)
        {
            throw new MachineConfigurationException($"The state cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>From now on, remembers which 64 KiB disk blocks the guest writes.</summary>
    public void StartDiskWriteTracking() => _disk?.StartWriteTracking();

    /// <summary>Byte offsets of the 64 KiB disk blocks written since the last call; call between slices.</summary>
    public List<long> TakeDiskWrites() => _disk?.TakeWrittenBlocks() ?? [];

    /// <summary>Size of the tracked disk blocks.</summary>
    public static int DiskBlockBytes => Devices.DiskBackend.TrackedBlockSize;
}
