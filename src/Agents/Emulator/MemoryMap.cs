namespace Ringmaster.Emulator;

/// <summary>
/// The board's physical memory map, in the style of QEMU's <c>virt</c> machine. Every device base,
/// size and interrupt line lives here and nowhere else.
/// </summary>
/// <remarks>
/// <code>
///   0x0000_1000  boot ROM (reset vector, fw_dynamic info)      4 KiB
///   0x0010_0000  syscon: write 0x5555 power-off, 0x7777 reboot 4 KiB
///   0x0200_0000  CLINT: msip, mtimecmp, mtime (10 MHz)         64 KiB
///   0x0C00_0000  PLIC: 2 contexts per hart (M, S)              64 MiB
///   0x1000_0000  16550A UART, IRQ 10                           256 B
///   0x1000_1000  virtio-mmio slot n at + n * 0x1000, IRQ 1 + n 4 KiB each, 8 slots
///   0x8000_0000  RAM: firmware at +0, kernel at +0x20_0000, DTB and initrd near the top
/// </code>
/// </remarks>
public static class MemoryMap
{
    public const ulong BootRomBase = 0x0000_1000, BootRomSize = 0x1000;
    public const ulong SysconBase = 0x0010_0000, SysconSize = 0x1000;
    public const ulong ClintBase = 0x0200_0000, ClintSize = 0x1_0000;
    public const ulong PlicBase = 0x0C00_0000, PlicSize = 0x400_0000;
    public const ulong UartBase = 0x1000_0000, UartSize = 0x100;
    public const int UartIrq = 10;
    public const ulong VirtioBase = 0x1000_1000, VirtioStride = 0x1000;
    public const int VirtioSlots = 8, VirtioFirstIrq = 1;
    public const ulong RamBase = 0x8000_0000;
    public const ulong KernelOffset = 0x20_0000;
    public const int PlicSources = 31;
    public const ulong TimebaseHz = 10_000_000;
    public const uint UartClockHz = 3_686_400;
    public const uint SysconPowerOff = 0x5555, SysconReboot = 0x7777;
}
