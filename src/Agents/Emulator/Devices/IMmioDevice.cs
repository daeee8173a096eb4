namespace Ringmaster.Emulator.Devices;

/// <summary>
/// A device mapped into physical memory. Offsets are relative to the device's base; size is
/// 1, 2, 4 or 8 bytes. Reads of unknown registers return zero and writes to them are ignored.
/// </summary>
public interface IMmioDevice
{
    ulong Read(ulong offset, int size);

    void Write(ulong offset, int size, ulong value);
}

/// <summary>A device whose state is part of a machine snapshot.</summary>
internal interface IStatefulDevice
{
    void SaveState(BinaryWriter w);

    void LoadState(BinaryReader r);
}
