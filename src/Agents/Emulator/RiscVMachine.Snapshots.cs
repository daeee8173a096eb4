using System.IO.Compression;
using System.Text;
using Ringmaster.Emulator.Devices;

namespace Ringmaster.Emulator;

/// <summary>
/// Snapshots of a running machine with a short pause: <see cref="CaptureState"/> copies the registers,
/// devices and RAM while the machine stands still (a memory copy), and the copy is compressed and
/// written afterwards while the machine runs on. The stream it writes is the one <see cref="Save"/>
/// writes, so <see cref="Load"/> reads both.
/// </summary>
public sealed partial class RiscVMachine
{
    /// <summary>Copies the machine's whole state (between slices, with the machine paused).</summary>
    public MachineStateCapture CaptureState()
    {
        var prefix = new MemoryStream();
        using (var w = new BinaryWriter(prefix, Encoding.UTF8, leaveOpen: true))
        {
            WriteStateHead(w);
        }

        var suffix = new MemoryStream();
        using (var w = new BinaryWriter(suffix, Encoding.UTF8, leaveOpen: true))
        {
            WriteStateTail(w);
        }

        var ram = MachineStateCapture.RentRam(_bus.Ram.Length);
        _bus.Ram.AsSpan().CopyTo(ram);
        return new MachineStateCapture(prefix.ToArray(), (byte[])_bus.Rom.Clone(), ram, suffix.ToArray());
    }

    /// <summary>
    /// Freezes the disk's current top layer and continues writing to a new one at
    /// <paramref name="newTopPath"/> (between slices). Only for a layered disk (<see cref="MachineConfig.DiskLayers"/>).
    /// </summary>
    public void PushDiskLayer(string newTopPath)
    {
        if (_disk is not LayeredDisk layered)
            throw new InvalidOperationException("This machine's disk is not a layer chain.");
        layered.PushLayer(newTopPath);
    }

    /// <summary>Writes the disk's pending changes to its files.</summary>
    public void FlushDisk() => _disk?.Flush();
}

/// <summary>
/// A machine's state copied at one instant: the device and register state (<see cref="Prefix"/>,
/// <see cref="Suffix"/>), the boot ROM and RAM. <see cref="WriteTo"/> writes it as a
/// <see cref="RiscVMachine.Save"/> stream.
/// </summary>
public sealed class MachineStateCapture(byte[] prefix, byte[] rom, byte[] ram, byte[] suffix) : IDisposable
{
    public const int PageSize = (int)Bus.PageSize;

    // One spare RAM-sized buffer per size: a capture's copy is written out within seconds, and the
    // next capture then copies into memory that is already there (no 256 MiB allocation and zeroing
    // while the guest stands still).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, byte[]> s_spare = new();
    private int _returned;

    internal static byte[] RentRam(int length) =>
        s_spare.TryRemove(length, out var spare) ? spare : GC.AllocateUninitializedArray<byte>(length);

    /// <summary>Gives the RAM copy back for the next capture; the capture is unusable afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _returned, 1) == 0)
        {
            s_spare.TryAdd(Ram.Length, Ram);
        }
    }

    public byte[] Prefix { get; } = prefix;
    public byte[] Rom { get; } = rom;
    public byte[] Ram { get; } = ram;
    public byte[] Suffix { get; } = suffix;

    /// <summary>Writes the state stream that <see cref="RiscVMachine.Load"/> reads (compressed, zero pages left out).</summary>
    public void WriteTo(Stream stream)
    {
        using var z = new DeflateStream(stream, CompressionLevel.Fastest, leaveOpen: true);
        using var w = new BinaryWriter(z, Encoding.UTF8, leaveOpen: true);
        w.Write(Prefix);
        w.Write(Rom);
        for (var off = 0; off < Ram.Length; off += PageSize)
        {
            var page = Ram.AsSpan(off, PageSize);
            if (page.IndexOfAnyExcept((byte)0) < 0)
                continue;
            w.Write(off / PageSize);
            w.Write(page);
        }

        w.Write(-1);
        w.Write(Suffix);
    }
}
