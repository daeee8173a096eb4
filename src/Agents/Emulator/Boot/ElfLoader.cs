using System.Buffers.Binary;
using System.Text;

namespace Ringmaster.Emulator.Boot;

/// <summary>Loads a bare-metal RV64 ELF: PT_LOAD segments into RAM, entry point, and the HTIF <c>tohost</c> symbol.</summary>
internal static class ElfLoader
{
    public static void Load(byte[] elf, ulong ramSize, List<(ulong Address, byte[] Data)> ram, out ulong entry, out ulong tohost)
    {
        var s = elf.AsSpan();
        if (elf.Length < 64 || s[0] != 0x7f || s[1] != (byte)'E' || s[2] != (byte)'L' || s[3] != (byte)'F')
            throw new MachineConfigurationException("Not an ELF file.");
        if (s[4] != 2 || s[5] != 1 || BinaryPrimitives.ReadUInt16LittleEndian(s[18..]) != 243)
            throw new MachineConfigurationException("Not a 64-bit little-endian RISC-V ELF.");
        entry = BinaryPrimitives.ReadUInt64LittleEndian(s[24..]);
        var phoff = BinaryPrimitives.ReadUInt64LittleEndian(s[32..]);
        var shoff = BinaryPrimitives.ReadUInt64LittleEndian(s[40..]);
        var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(s[54..]);
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(s[56..]);
        var shentsize = BinaryPrimitives.ReadUInt16LittleEndian(s[58..]);
        var shnum = BinaryPrimitives.ReadUInt16LittleEndian(s[60..]);
        try
        {
            for (var i = 0; i < phnum; i++)
            {
                var ph = s[(int)(phoff + (ulong)(i * phentsize))..];
                if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != 1)
                    continue; // PT_LOAD only
                var offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
                var paddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[24..]);
                var filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
                var memsz = BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]);
                if (memsz == 0)
                    continue;
                if (paddr < MemoryMap.RamBase || paddr - MemoryMap.RamBase + memsz > ramSize)
                    throw new MachineConfigurationException($"ELF segment at 0x{paddr:x} (+0x{memsz:x}) lies outside RAM.");
                var data = new byte[memsz];
                s.Slice((int)offset, (int)filesz).CopyTo(data);
                ram.Add((paddr, data));
            }

            tohost = 0;
            for (var i = 0; i < shnum; i++)
            {
                var sh = s[(int)(shoff + (ulong)(i * shentsize))..];
                if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != 2)
                    continue; // SHT_SYMTAB
                var symOff = BinaryPrimitives.ReadUInt64LittleEndian(sh[24..]);
                var symSize = BinaryPrimitives.ReadUInt64LittleEndian(sh[32..]);
                var link = BinaryPrimitives.ReadUInt32LittleEndian(sh[40..]);
                var strSh = s[(int)(shoff + (ulong)(link * shentsize))..];
                var strOff = BinaryPrimitives.ReadUInt64LittleEndian(strSh[24..]);
                for (ulong o = 0; o + 24 <= symSize; o += 24)
                {
                    var sym = s[(int)(symOff + o)..];
                    var nameOff = BinaryPrimitives.ReadUInt32LittleEndian(sym);
                    var name = s[(int)(strOff + nameOff)..];
                    var len = name.IndexOf((byte)0);
                    if (len == 6 && Encoding.ASCII.GetString(name[..6]) == "tohost")
                        tohost = BinaryPrimitives.ReadUInt64LittleEndian(sym[8..]);
                }
            }
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new MachineConfigurationException("The ELF file is truncated or malformed.", ex);
        }
    }
}
