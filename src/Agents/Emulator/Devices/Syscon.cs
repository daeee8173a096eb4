namespace Ringmaster.Emulator.Devices;

/// <summary>Power control as QEMU virt's test/syscon device: 0x5555 powers off, 0x7777 reboots.</summary>
internal sealed class Syscon(Action<uint> onCommand) : IMmioDevice
{
    public ulong Read(ulong offset, int size) => 0;

    public void Write(ulong offset, int size, ulong value)
    {
        if (offset != 0)
            return;
        var v = (uint)value & 0xffff;
        if (v == MemoryMap.SysconPowerOff || v == MemoryMap.SysconReboot || v == 0x3333)
            onCommand((uint)value);
    }
}
