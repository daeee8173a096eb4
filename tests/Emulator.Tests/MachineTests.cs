using System.Text;
using Ringmaster.Emulator.Cpu;
using static Ringmaster.Emulator.Tests.TestProgram;

namespace Ringmaster.Emulator.Tests;

public class MachineTests
{
    /// <summary>Prints "0123456789" over the UART, sleeping on a timer interrupt between characters.</summary>
    private static TestProgram CountingProgram()
    {
        var p = new TestProgram()
            .Li(T0, Base + 0x400).Emit(Rv.Csrw(0x305, T0))
            .Emit(Rv.Addi(T0, 0, 0x80), Rv.Csrw(0x304, T0))          // mie.MTIE (mstatus.MIE stays 0: wfi just wakes)
            .Li(S0, MemoryMap.UartBase).Li(S1, MemoryMap.ClintBase + 0x4000).Li(A5, MemoryMap.ClintBase + 0xBFF8)
            .Emit(Rv.Addi(A0, 0, 0x30), Rv.Addi(A1, 0, 0x3a))
            .Label("loop")
            .Emit(Rv.Sb(A0, S0, 0), Rv.Addi(A0, A0, 1))
            .Emit(Rv.Ld(T1, A5, 0), Rv.Addi(T1, T1, 500), Rv.Sd(T1, S1, 0))
            .Label("wait").Emit(Rv.Wfi, Rv.Ld(T2, A5, 0)).To("wait", o => Rv.Blt(T2, T1, o))
            .Emit(Rv.Mul(A2, A2, A0), Rv.Addi(A2, A2, 7))
            .To("loop", o => Rv.Bne(A0, A1, o))
            .Pass();
        return p;
    }

    private static readonly MachineConfig s_deterministic = new() { MemoryMiB = 16, DeterministicClock = true };

    [Fact]
    public void Uart_ProgramWrites_AppearOnConsoleOutput()
    {
        var m = CountingProgram().Run(config: s_deterministic);
        Assert.Equal(MachineStatus.PoweredOff, m.Status);
        Assert.Equal("0123456789", m.ConsoleText());
    }

    [Fact]
    public void SaveLoad_MidRun_ContinuesExactlyLikeAnUninterruptedRun()
    {
        var code = CountingProgram().Build();
        var reference = RiscVMachine.ForProgram(code, ToHost, s_deterministic);
        while (reference.RunSlice(1000) is MachineStatus.Running or MachineStatus.Idle) { }

        var first = RiscVMachine.ForProgram(code, ToHost, s_deterministic);
        first.RunSlice(120);
        var before = first.ConsoleText();
        var snapshot = new MemoryStream();
        first.Save(snapshot);
        snapshot.Position = 0;
        var second = RiscVMachine.Load(snapshot, s_deterministic);
        while (second.RunSlice(1000) is MachineStatus.Running or MachineStatus.Idle) { }

        Assert.Equal(MachineStatus.PoweredOff, second.Status);
        Assert.Equal(0, second.ExitCode);
        Assert.InRange(before.Length, 1, 8);                           // saved in the middle of the output
        Assert.Equal(reference.ConsoleText(), before + second.ConsoleText());
        Assert.Equal(reference.InstructionCount, second.InstructionCount);
        Assert.Equal(reference.Mtime, second.Mtime);
        for (var r = 0; r < 32; r++)
            Assert.Equal(reference.X(r), second.X(r));
    }

    [Fact]
    public void Mips_AfterLoadingASnapshotTakenLate_CountsOnlyTheInstructionsRunSinceTheLoad()
    {
        var spin = new TestProgram().Label("spin").Emit(Rv.Addi(A0, A0, 1)).To("spin", o => Rv.Jal(0, o)).Build();
        var first = RiscVMachine.ForProgram(spin, ToHost, s_deterministic);
        first.RunSlice(20_000_000);
        var snapshot = new MemoryStream();
        first.Save(snapshot);
        snapshot.Position = 0;

        // As after a revert: the loaded machine's counter starts at 20 million, its busy time at zero.
        var second = RiscVMachine.Load(snapshot, s_deterministic);
        second.RunSlice(10_000);

        Assert.Equal(20_010_000, second.InstructionCount);
        Assert.True(second.Mips is > 0 and < 10_000, $"the loaded machine says {second.Mips:0} MIPS (the first ran at {first.Mips:0})");
    }

    [Fact]
    public void DirtyPages_AfterMark_ReportOnlyPagesWrittenSince()
    {
        var p = new TestProgram()
            .Li(S0, 0x8000_5000).Emit(Rv.Sd(S0, S0, 0))
            .Label("spin").To("spin", o => Rv.Jal(0, o));
        var m = RiscVMachine.ForProgram(p.Build(), ToHost);
        m.RunSlice(100);
        m.MarkDirtyPages();
        Assert.Empty(m.GetDirtyPages());
        var p2Write = new TestProgram();
        // The program spins; poke a second store through the guest by resetting pc to a store sequence.
        var h = m.GetHart(0);
        h.X[S0] = 0x8000_7008;
        h.Pc = 0x8000_0000 + 32; // the sd after Li (8 instructions)
        m.RunSlice(10);
        Assert.Equal([0x8000_7000UL], m.GetDirtyPages());
    }

    [Fact]
    public void DeviceTree_ForConfiguredMachine_IsAValidBlobWithTheIsaString()
    {
        var dtb = Boot.DeviceTree.Build(new Boot.DeviceTree.Layout(2, 256UL << 20, "console=ttyS0", 0x8f00_0000, 0x8f10_0000, 8, false));
        Assert.Equal(0xd00dfeedu, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(dtb));
        Assert.Equal((uint)dtb.Length, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(dtb.AsSpan(4)));
        var text = Encoding.ASCII.GetString(dtb);
        Assert.Contains("rv64imafdc_zicsr_zifencei", text);
        Assert.Contains("sifive,plic-1.0.0", text);
        Assert.Contains("syscon-poweroff", text);
        Assert.Contains("cpu@1", text);
    }
}

public class ConfigurationTests
{
    [Fact]
    public void Constructor_MissingKernelFile_ThrowsConfigurationErrorNamingIt()
    {
        var ex = Assert.Throws<MachineConfigurationException>(() => new RiscVMachine(new MachineConfig
        {
            KernelPath = "/nonexistent/Image", FirmwarePath = "/nonexistent/fw_dynamic.bin",
        }));
        Assert.Contains("/nonexistent/", ex.Message);
    }

    [Fact]
    public void Constructor_GarbageKernel_ThrowsNotARiscVImage()
    {
        var fw = Path.GetTempFileName();
        var kernel = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(fw, Enumerable.Repeat((byte)0x13, 4096).ToArray());
            File.WriteAllBytes(kernel, Encoding.ASCII.GetBytes(new string('x', 8192)));
            var ex = Assert.Throws<MachineConfigurationException>(() => new RiscVMachine(new MachineConfig { KernelPath = kernel, FirmwarePath = fw }));
            Assert.Contains("not a RISC-V Linux Image", ex.Message);
        }
        finally
        {
            File.Delete(fw);
            File.Delete(kernel);
        }
    }

    [Fact]
    public void Constructor_TooLittleRam_SaysHowMuchIsNeeded()
    {
        var fw = Path.GetTempFileName();
        var kernel = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(fw, Enumerable.Repeat((byte)0x13, 4096).ToArray());
            var image = new byte[64];
            BitConverter.GetBytes(40UL << 20).CopyTo(image, 16);          // image size 40 MiB
            BitConverter.GetBytes(0x5643534952UL).CopyTo(image, 0x30);   // "RISCV"
            File.WriteAllBytes(kernel, image);
            var ex = Assert.Throws<MachineConfigurationException>(() => new RiscVMachine(new MachineConfig { KernelPath = kernel, FirmwarePath = fw, MemoryMiB = 32 }));
            Assert.Contains("too little", ex.Message);
        }
        finally
        {
            File.Delete(fw);
            File.Delete(kernel);
        }
    }

    [Fact]
    public void Constructor_GzipKernelExpandingPastRam_RefusedBeforeItIsExpanded()
    {
        var fw = Path.GetTempFileName();
        var kernel = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(fw, Enumerable.Repeat((byte)0x13, 4096).ToArray());
            using (var file = File.Create(kernel))
            using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest))
            {
                var zeros = new byte[1 << 20];
                for (var i = 0; i < 48; i++)
                {
                    gzip.Write(zeros);
                }
            }

            var ex = Assert.Throws<MachineConfigurationException>(() => new RiscVMachine(new MachineConfig { KernelPath = kernel, FirmwarePath = fw, MemoryMiB = 32 }));

            Assert.Contains("expands to more than the machine's 32 MiB", ex.Message);
            Assert.True(new FileInfo(kernel).Length < 1 << 20);
        }
        finally
        {
            File.Delete(fw);
            File.Delete(kernel);
        }
    }

    [Fact]
    public void Constructor_TooManyHarts_ThrowsConfigurationError()
    {
        Assert.Throws<MachineConfigurationException>(() => new RiscVMachine(new MachineConfig { Harts = 64 }));
    }
}
