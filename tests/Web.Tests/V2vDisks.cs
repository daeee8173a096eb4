using System.Diagnostics;
using System.Formats.Tar;
using System.Text;

namespace Ringmaster.Web.Tests;

/// <summary>
/// Disks "from another hypervisor" for the V2V tests: a tiny raw disk whose boot sector prints
/// <see cref="Marker"/> on the serial port (COM1) and halts, with a data pattern past it, and its
/// copies in other formats made by <c>qemu-img convert</c>; OVAs around a VMDK.
/// </summary>
internal static class V2vDisks
{
    public const string Marker = "RINGMASTER-V2V-BOOTED";

    /// <summary>8 MiB: the boot sector, then a pattern at 4 MiB that the copies must carry.</summary>
    public static byte[] BootableRaw()
    {
        var disk = new byte[8 << 20];
        byte[] code =
        [
            0xFA,             // cli
            0x31, 0xC0,       // xor ax, ax
            0x8E, 0xD8,       // mov ds, ax
            0xBE, 0x16, 0x7C, // mov si, 0x7c16 (the message)
            0xBA, 0xF8, 0x03, // mov dx, 0x3f8 (COM1)
            0xAC,             // next: lodsb
            0x84, 0xC0,       // test al, al
            0x74, 0x03,       // jz done
            0xEE,             // out dx, al
            0xEB, 0xF8,       // jmp next
            0xF4,             // done: hlt
            0xEB, 0xFD,       // jmp done
        ];
        code.CopyTo(disk, 0);
        Encoding.ASCII.GetBytes($"\r\n{Marker}\r\n\0").CopyTo(disk, code.Length);
        disk[510] = 0x55;
        disk[511] = 0xAA;
        for (var i = 0; i < 64 * 1024; i++)
        {
            disk[(4 << 20) + i] = (byte)(i * 7 + 3);
        }

        return disk;
    }

    /// <summary>Writes the bootable raw disk and its copy in <paramref name="format"/> (qemu-img's name: vmdk, vdi, vpc, vhdx, qcow2) into <paramref name="folder"/>; the copy's path.</summary>
    public static async Task<string> ConvertAsync(string folder, string format, params string[] options)
    {
        var raw = Path.Combine(folder, "boot.raw");
        if (!File.Exists(raw))
        {
            await File.WriteAllBytesAsync(raw, BootableRaw());
        }

        var target = Path.Combine(folder, $"boot-{format}{string.Concat(options).Replace('=', '-')}.{format}");
        await QemuImgAsync(["convert", "-f", "raw", "-O", format, .. options.SelectMany(o => new[] { "-o", o }), raw, target]);
        return target;
    }

    public static async Task<string> QemuImgAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("qemu-img") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"qemu-img {string.Join(' ', arguments)} failed: {error}");
        return await output;
    }

    /// <summary>An OVF descriptor in the shape exporters write: one disk, vCPUs and memory as hardware items.</summary>
    public static string Ovf(int vcpus, int memory, string memoryUnits, string diskFile = "disk1.vmdk") => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
          <References>
            <File ovf:id="file1" ovf:href="{diskFile}"/>
          </References>
          <DiskSection>
            <Info>Virtual disk information</Info>
            <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="8" ovf:capacityAllocationUnits="byte * 2^20"/>
          </DiskSection>
          <VirtualSystem ovf:id="imported-vm">
            <Info>A virtual machine</Info>
            <VirtualHardwareSection>
              <Info>Virtual hardware requirements</Info>
              <Item>
                <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
                <rasd:ElementName>{vcpus} virtual CPU(s)</rasd:ElementName>
                <rasd:InstanceID>1</rasd:InstanceID>
                <rasd:ResourceType>3</rasd:ResourceType>
                <rasd:VirtualQuantity>{vcpus}</rasd:VirtualQuantity>
              </Item>
              <Item>
                <rasd:AllocationUnits>{memoryUnits}</rasd:AllocationUnits>
                <rasd:ElementName>memory</rasd:ElementName>
                <rasd:InstanceID>2</rasd:InstanceID>
                <rasd:ResourceType>4</rasd:ResourceType>
                <rasd:VirtualQuantity>{memory}</rasd:VirtualQuantity>
              </Item>
            </VirtualHardwareSection>
          </VirtualSystem>
        </Envelope>
        """;

    /// <summary>An OVA: the OVF descriptor first, then the disk, as a ustar archive.</summary>
    public static byte[] Ova(string ovf, string diskPath, string diskName = "disk1.vmdk")
    {
        using var output = new MemoryStream();
        using (var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true))
        {
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "imported-vm.ovf") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(ovf)) });
            using var disk = File.OpenRead(diskPath);
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, diskName) { DataStream = disk });
        }

        return output.ToArray();
    }
}
