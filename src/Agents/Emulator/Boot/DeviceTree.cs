namespace Ringmaster.Emulator.Boot;

/// <summary>Builds the device tree for a configured machine (the layout QEMU's virt board uses).</summary>
internal static class DeviceTree
{
    private const uint PhandleSyscon = 1, PhandlePlic = 2, PhandleCpuIntcBase = 16;

    public sealed record Layout(int Harts, ulong RamSize, string Bootargs, ulong InitrdStart, ulong InitrdEnd,
        int VirtioSlots, bool Sv48);

    public static byte[] Build(Layout l)
    {
        var w = new FdtWriter();
        w.BeginNodeNamed("");
        w.Property("#address-cells", 2u);
        w.Property("#size-cells", 2u);
        w.Property("compatible", "riscv-virtio");
        w.Property("model", "ringmaster,virt");

        w.BeginNodeNamed("chosen");
        w.Property("bootargs", l.Bootargs);
        w.Property("stdout-path", "/soc/serial@10000000");
        if (l.InitrdEnd > l.InitrdStart)
        {
            w.PropertyU64("linux,initrd-start", l.InitrdStart);
            w.PropertyU64("linux,initrd-end", l.InitrdEnd);
        }

        w.EndNodeHere();

        w.BeginNodeNamed($"memory@{MemoryMap.RamBase:x}");
        w.Property("device_type", "memory");
        w.PropertyU64("reg", MemoryMap.RamBase, l.RamSize);
        w.EndNodeHere();

        w.BeginNodeNamed("cpus");
        w.Property("#address-cells", 1u);
        w.Property("#size-cells", 0u);
        w.Property("timebase-frequency", (uint)MemoryMap.TimebaseHz);
        for (var h = 0; h < l.Harts; h++)
        {
            w.BeginNodeNamed($"cpu@{h}");
            w.Property("device_type", "cpu");
            w.Property("reg", (uint)h);
            w.Property("phandle", PhandleCpuIntcBase + 64 + (uint)h);
            w.Property("status", "okay");
            w.Property("compatible", "riscv");
            w.Property("riscv,isa", EmulatorInfo.Isa);
            w.Property("riscv,isa-base", "rv64i");
            w.Property("riscv,isa-extensions", "i", "m", "a", "f", "d", "c", "zicsr", "zifencei", "zicntr");
            w.Property("mmu-type", l.Sv48 ? "riscv,sv48" : "riscv,sv39");
            w.BeginNodeNamed("interrupt-controller");
            w.Property("#interrupt-cells", 1u);
            w.Property("interrupt-controller");
            w.Property("compatible", "riscv,cpu-intc");
            w.Property("phandle", PhandleCpuIntcBase + (uint)h);
            w.EndNodeHere();
            w.EndNodeHere();
        }

        w.BeginNodeNamed("cpu-map");
        w.BeginNodeNamed("cluster0");
        for (var h = 0; h < l.Harts; h++)
        {
            w.BeginNodeNamed($"core{h}");
            w.Property("cpu", PhandleCpuIntcBase + 64 + (uint)h);
            w.EndNodeHere();
        }

        w.EndNodeHere();
        w.EndNodeHere();
        w.EndNodeHere(); // cpus

        w.BeginNodeNamed("soc");
        w.Property("#address-cells", 2u);
        w.Property("#size-cells", 2u);
        w.Property("compatible", "simple-bus");
        w.Property("ranges");

        w.BeginNodeNamed($"clint@{MemoryMap.ClintBase:x}");
        w.Property("compatible", "sifive,clint0", "riscv,clint0");
        w.PropertyU64("reg", MemoryMap.ClintBase, MemoryMap.ClintSize);
        var clintIrqs = new List<uint>();
        for (var h = 0; h < l.Harts; h++)
            clintIrqs.AddRange([PhandleCpuIntcBase + (uint)h, 3, PhandleCpuIntcBase + (uint)h, 7]);
        w.Property("interrupts-extended", [.. clintIrqs]);
        w.EndNodeHere();

        w.BeginNodeNamed($"plic@{MemoryMap.PlicBase:x}");
        w.Property("compatible", "sifive,plic-1.0.0", "riscv,plic0");
        w.Property("#address-cells", 0u);
        w.Property("#interrupt-cells", 1u);
        w.Property("interrupt-controller");
        w.PropertyU64("reg", MemoryMap.PlicBase, MemoryMap.PlicSize);
        w.Property("riscv,ndev", (uint)MemoryMap.PlicSources);
        var plicIrqs = new List<uint>();
        for (var h = 0; h < l.Harts; h++)
            plicIrqs.AddRange([PhandleCpuIntcBase + (uint)h, 11, PhandleCpuIntcBase + (uint)h, 9]);
        w.Property("interrupts-extended", [.. plicIrqs]);
        w.Property("phandle", PhandlePlic);
        w.EndNodeHere();

        w.BeginNodeNamed($"serial@{MemoryMap.UartBase:x}");
        w.Property("compatible", "ns16550a");
        w.PropertyU64("reg", MemoryMap.UartBase, MemoryMap.UartSize);
        w.Property("clock-frequency", MemoryMap.UartClockHz);
        w.Property("interrupt-parent", PhandlePlic);
        w.Property("interrupts", (uint)MemoryMap.UartIrq);
        w.EndNodeHere();

        for (var n = l.VirtioSlots - 1; n >= 0; n--)
        {
            var b = MemoryMap.VirtioBase + (ulong)n * MemoryMap.VirtioStride;
            w.BeginNodeNamed($"virtio_mmio@{b:x}");
            w.Property("compatible", "virtio,mmio");
            w.PropertyU64("reg", b, MemoryMap.VirtioStride);
            w.Property("interrupt-parent", PhandlePlic);
            w.Property("interrupts", (uint)(MemoryMap.VirtioFirstIrq + n));
            w.EndNodeHere();
        }

        w.BeginNodeNamed($"syscon@{MemoryMap.SysconBase:x}");
        w.Property("compatible", "syscon");
        w.PropertyU64("reg", MemoryMap.SysconBase, MemoryMap.SysconSize);
        w.Property("phandle", PhandleSyscon);
        w.EndNodeHere();

        w.BeginNodeNamed("poweroff");
        w.Property("compatible", "syscon-poweroff");
        w.Property("regmap", PhandleSyscon);
        w.Property("offset", 0u);
        w.Property("value", MemoryMap.SysconPowerOff);
        w.EndNodeHere();

        w.BeginNodeNamed("reboot");
        w.Property("compatible", "syscon-reboot");
        w.Property("regmap", PhandleSyscon);
        w.Property("offset", 0u);
        w.Property("value", MemoryMap.SysconReboot);
        w.EndNodeHere();

        w.EndNodeHere(); // soc
        w.EndNodeHere(); // root
        return w.Finish();
    }
}
