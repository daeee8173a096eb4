using System.Buffers.Binary;
using System.IO.Compression;
using Ringmaster.Emulator.Cpu;

namespace Ringmaster.Emulator.Boot;

/// <summary>
/// Everything placed in memory at reset: boot ROM, firmware, kernel, initrd and device tree (or a
/// bare-metal ELF), validated up front so bad configuration fails before the machine runs.
/// </summary>
internal sealed class BootImage
{
    private readonly List<(ulong Address, byte[] Data)> _ram = [];
    private byte[] _rom = [];

    public ulong EntryPoint { get; private set; } = MemoryMap.BootRomBase;

    public ulong DtbAddress { get; private set; }

    public ulong ToHost { get; private set; }

    public bool BareMetal { get; private set; }

    /// <summary>True when there is nothing to boot (a snapshot loaded without its image files).</summary>
    public bool IsEmpty => _ram.Count == 0;

    public static BootImage Empty(MachineConfig config) => new();

    /// <summary>A raw program at the start of RAM, entered in M mode (tests).</summary>
    public static BootImage FromProgram(byte[] code, ulong tohost)
    {
        var img = new BootImage { BareMetal = true, EntryPoint = MemoryMap.RamBase, ToHost = tohost };
        img._ram.Add((MemoryMap.RamBase, code));
        return img;
    }

    public static BootImage Prepare(MachineConfig config)
    {
        var img = new BootImage();
        var ramSize = (ulong)config.MemoryMiB << 20;
        var ramEnd = MemoryMap.RamBase + ramSize;
        if (config.BareMetalElfPath is not null)
        {
            img.BareMetal = true;
            var elf = ReadFile(config.BareMetalElfPath, "bare-metal ELF");
            ElfLoader.Load(elf, ramSize, img._ram, out var entry, out var tohost);
            img.EntryPoint = entry;
            img.ToHost = tohost;
            return img;
        }

        if (config.KernelPath is null)
            throw new MachineConfigurationException("No kernel: set KernelPath (or BareMetalElfPath).");
        if (config.FirmwarePath is null)
            throw new MachineConfigurationException("No firmware: set FirmwarePath to OpenSBI's fw_dynamic.bin.");

        var firmware = ReadFile(config.FirmwarePath, "firmware");
        if (firmware.Length < 64 || firmware.All(b => b == 0))
            throw new MachineConfigurationException($"The firmware '{config.FirmwarePath}' is empty or not a firmware image.");
        if ((ulong)firmware.Length > MemoryMap.KernelOffset)
            throw new MachineConfigurationException($"The firmware '{config.FirmwarePath}' is {firmware.Length} bytes; at most {MemoryMap.KernelOffset} fit below the kernel.");

        var kernel = MaybeGunzip(ReadFile(config.KernelPath, "kernel"), config.KernelPath, ramSize);
        // RISC-V Linux Image header: magic "RISCV\0\0\0" at 0x30, "RSC\x05" at 0x38, image size at 0x10.
        if (kernel.Length < 64 || BinaryPrimitives.ReadUInt64LittleEndian(kernel.AsSpan(0x30)) != 0x5643534952UL)
            throw new MachineConfigurationException($"The kernel '{config.KernelPath}' is not a RISC-V Linux Image (no 'RISCV' magic in its header).");
        var imageSize = Math.Max(BinaryPrimitives.ReadUInt64LittleEndian(kernel.AsSpan(0x10)), (ulong)kernel.Length);

        byte[] initrd = config.InitrdPath is null ? [] : MaybeGunzipNever(ReadFile(config.InitrdPath, "initrd"));

        var kernelBase = MemoryMap.RamBase + MemoryMap.KernelOffset;
        var kernelEnd = kernelBase + imageSize;

        // Device tree at the top (2 MiB aligned, as QEMU does), initrd just below it.
        var dtbProbe = DeviceTree.Build(new DeviceTree.Layout(config.Harts, ramSize, config.Bootargs, 0x8000_0000, 0x8000_1000, VirtioSlotCount(config), config.Sv48));
        var dtbAddr = (ramEnd - (ulong)dtbProbe.Length) & ~0x1F_FFFFUL;
        var initrdStart = (dtbAddr - (ulong)initrd.Length) & ~0xFFFUL;
        var initrdEnd = initrdStart + (ulong)initrd.Length;
        // Linux needs room past its image for page tables, bss and early allocations.
        const ulong headroom = 8UL << 20;
        if (dtbAddr < kernelEnd || initrdStart < kernelEnd + headroom)
        {
            var need = (kernelEnd + headroom + (ulong)initrd.Length + (4UL << 20) - MemoryMap.RamBase) >> 20;
            throw new MachineConfigurationException(
                $"{config.MemoryMiB} MiB of RAM is too little for this kernel ({imageSize >> 10} KiB) and initrd ({initrd.Length >> 10} KiB); give it at least {need + 1} MiB.");
        }

        var dtb = DeviceTree.Build(new DeviceTree.Layout(config.Harts, ramSize, config.Bootargs,
            initrd.Length > 0 ? initrdStart : 0, initrd.Length > 0 ? initrdEnd : 0, VirtioSlotCount(config), config.Sv48));

        img._ram.Add((MemoryMap.RamBase, firmware));
        img._ram.Add((kernelBase, kernel));
        if (initrd.Length > 0)
            img._ram.Add((initrdStart, initrd));
        img._ram.Add((dtbAddr, dtb));
        img.DtbAddress = dtbAddr;
        img._rom = BuildRom(MemoryMap.RamBase, dtbAddr, kernelBase);
        img.EntryPoint = MemoryMap.BootRomBase;
        return img;
    }

    /// <summary>How many virtio-mmio slots the configuration fills (the DT lists them all).</summary>
    public static int VirtioSlotCount(MachineConfig config) => MemoryMap.VirtioSlots;

    /// <summary>Reset vector: a0 = hart id, a1 = DTB, a2 = fw_dynamic info, jump to the firmware.</summary>
    private static byte[] BuildRom(ulong firmware, ulong dtb, ulong kernel)
    {
        var rom = new byte[MemoryMap.BootRomSize];
        var s = rom.AsSpan();
        uint[] code =
        [
            Rv.Auipc(5, 0),          // auipc t0, 0
            Rv.Addi(12, 5, 0x40),    // addi  a2, t0, 0x40      (fw_dynamic info)
            Rv.Csrr(10, 0xF14),      // csrr  a0, mhartid
            Rv.Ld(11, 5, 0x20),      // ld    a1, 0x20(t0)      (DTB address)
            Rv.Ld(5, 5, 0x18),       // ld    t0, 0x18(t0)      (firmware entry)
            Rv.Jalr(0, 5, 0),        // jr    t0
        ];
        for (var i = 0; i < code.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(s[(4 * i)..], code[i]);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x18..], firmware);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x20..], dtb);
        // struct fw_dynamic_info: magic, version, next_addr, next_mode, options, boot_hart
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x40..], 0x4942534f);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x48..], 2);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x50..], kernel);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x58..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x60..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x68..], 0);
        return rom;
    }

    public void WriteInto(Bus bus)
    {
        Array.Clear(bus.Rom);
        _rom.CopyTo(bus.Rom, 0);
        foreach (var (addr, data) in _ram)
            data.CopyTo(bus.Ram, (long)(addr - MemoryMap.RamBase));
    }

    private static byte[] ReadFile(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new MachineConfigurationException($"Cannot read the {what} file '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>A gzip kernel, expanded; one that expands past the guest's RAM (a gzip bomb) is refused before it fills the host's memory.</summary>
    private static byte[] MaybeGunzip(byte[] data, string path, ulong ramSize)
    {
        if (data.Length < 2 || data[0] != 0x1f || data[1] != 0x8b)
            return data;
        try
        {
            using var gz = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = gz.Read(buffer, 0, buffer.Length)) > 0)
            {
                if ((ulong)(ms.Length + read) > ramSize)
                    throw new MachineConfigurationException($"The kernel '{path}' expands to more than the machine's {ramSize >> 20} MiB of memory.");
                ms.Write(buffer, 0, read);
            }
            return ms.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new MachineConfigurationException($"The kernel '{path}' looks gzip-compressed but does not decompress: {ex.Message}", ex);
        }
    }

    /// <summary>The initrd is handed to Linux as is (it decompresses it itself).</summary>
    private static byte[] MaybeGunzipNever(byte[] data) => data;
}
