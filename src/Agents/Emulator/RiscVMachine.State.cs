using System.IO.Compression;
using System.Text;
using Ringmaster.Emulator.Devices;

namespace Ringmaster.Emulator;

/// <summary>
/// Whole-machine snapshots: harts, CSRs, clock, devices, the non-zero RAM pages (deflated) and the
/// disk overlay. <see cref="Load"/> builds a fresh machine that continues exactly where this one stopped.
/// </summary>
public sealed partial class RiscVMachine
{
    private const string Magic = "RMEMU-STATE";
    private const int FormatVersion = 1;

    /// <summary>Writes the machine state to <paramref name="stream"/> (between slices).</summary>
    public void Save(Stream stream) => Save(stream, includeMemory: true);

    /// <summary>Writes the machine state; without memory the RAM pages are left out (live migration sends them itself).</summary>
    private void Save(Stream stream, bool includeMemory)
    {
        using var z = new DeflateStream(stream, CompressionLevel.Fastest, leaveOpen: true);
        using var w = new BinaryWriter(z, Encoding.UTF8, leaveOpen: true);
        WriteStateHead(w);
        w.Write(_bus.Rom);
        var ram = _bus.Ram;
        for (var off = 0; includeMemory && off < ram.Length; off += (int)Bus.PageSize)
        {
            var page = ram.AsSpan(off, (int)Bus.PageSize);
            if (page.IndexOfAnyExcept((byte)0) < 0)
                continue;
            w.Write(off / (int)Bus.PageSize);
            w.Write(page);
        }

        w.Write(-1);
        WriteStateTail(w);
    }

    /// <summary>What a saved state starts with: format, configuration checks, harts and devices (everything before the boot ROM and RAM).</summary>
    private void WriteStateHead(BinaryWriter w)
    {
        w.Write(Magic);
        w.Write(FormatVersion);
        w.Write(Config.MemoryMiB);
        w.Write(_harts.Length);
        w.Write((int)Status);
        w.Write(StopReason ?? string.Empty);
        w.Write(_powerRequest);
        w.Write(_instructions);
        w.Write(Mtime);
        w.Write(_tohost);
        w.Write(ExitCode ?? int.MinValue);
        foreach (var h in _harts)
            h.SaveState(w);
        _clint.SaveState(w);
        _plic.SaveState(w);
        _uart.SaveState(w);
        w.Write(_virtio.Count);
        foreach (var v in _virtio)
        {
            w.Write(v.GetType().Name);
            v.SaveState(w);
        }
    }

    /// <summary>What a saved state ends with, after the RAM: the disk's own state and the closing magic.</summary>
    private void WriteStateTail(BinaryWriter w)
    {
        if (_disk is not null)
        {
            w.Write(true);
            _disk.SaveState(w);
        }
        else
        {
            w.Write(false);
        }

        w.Write(Magic);
    }

    /// <summary>The images for a later <see cref="Reset"/> when the configuration still names readable ones.</summary>
    private static Boot.BootImage? TryPrepareBoot(MachineConfig config)
    {
        if (config.KernelPath is null && config.BareMetalElfPath is null)
            return null;
        try
        {
            return Boot.BootImage.Prepare(config);
        }
        catch (MachineConfigurationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Builds a machine from a snapshot. <paramref name="config"/> supplies the host side (disk paths,
    /// network endpoint, clock mode); memory size and hart count come from the snapshot. Kernel and
    /// firmware files are only read (when present) so that a later <see cref="Reset"/> can boot again.
    /// </summary>
    public static RiscVMachine Load(Stream stream, MachineConfig config)
    {
        using var z = new DeflateStream(stream, CompressionMode.Decompress, leaveOpen: true);
        using var r = new BinaryReader(z, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (r.ReadString() != Magic || r.ReadInt32() != FormatVersion)
                throw new MachineConfigurationException("The stream is not a Ringmaster machine snapshot of a supported version.");
            var mem = r.ReadInt32();
            var harts = r.ReadInt32();
            var cfg = config with { MemoryMiB = mem, Harts = harts };
            var m = new RiscVMachine(cfg, loadImages: false, TryPrepareBoot(cfg));
            try
            {
                m.ReadState(r, keepMemory: false);
                return m;
            }
            catch
            {
                m.Dispose();
                throw;
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or IOException)
        {
            throw new MachineConfigurationException($"The snapshot cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>Reads everything after the header into this machine; with <paramref name="keepMemory"/> RAM keeps what it holds.</summary>
    private void ReadState(BinaryReader r, bool keepMemory)
    {
        Status = (MachineStatus)r.ReadInt32();
        var reason = r.ReadString();
        StopReason = reason.Length == 0 ? null : reason;
        _powerRequest = r.ReadUInt32();
        _instructions = r.ReadInt64();
        _anchorInstructions = (ulong)_instructions;
        RestartMipsSample();
        _mtimeBase = r.ReadUInt64();
        _tohost = r.ReadUInt64();
        _bus.WatchPage = _tohost != 0 ? _tohost & ~0xfffUL : ulong.MaxValue;
        var exit = r.ReadInt32();
        ExitCode = exit == int.MinValue ? null : exit;
        foreach (var h in _harts)
            h.LoadState(r);
        _clint.LoadState(r);
        _plic.LoadState(r);
        _uart.LoadState(r);
        var n = r.ReadInt32();
        if (n != _virtio.Count)
            throw new MachineConfigurationException($"The snapshot has {n} virtio devices; this configuration makes {_virtio.Count}.");
        foreach (var v in _virtio)
        {
            var type = r.ReadString();
            if (type != v.GetType().Name)
                throw new MachineConfigurationException($"The snapshot has a {type} where this configuration has a {v.GetType().Name}.");
            v.LoadState(r);
        }

        r.BaseStream.ReadExactly(_bus.Rom);
        if (!keepMemory)
            Array.Clear(_bus.Ram);
        while (true)
        {
            var page = r.ReadInt32();
            if (page < 0)
                break;
            r.BaseStream.ReadExactly(_bus.Ram.AsSpan(page * (int)Bus.PageSize, (int)Bus.PageSize));
        }

        if (r.ReadBoolean())
        {
            if (_disk is null)
                throw new MachineConfigurationException("The snapshot has a disk but the configuration sets no DiskPath.");
            _disk.LoadState(r);
        }

        if (r.ReadString() != Magic)
            throw new MachineConfigurationException("The snapshot is truncated or corrupt.");
        if (Status is MachineStatus.Idle or MachineStatus.Paused)
            Status = MachineStatus.Running;
    }
}
