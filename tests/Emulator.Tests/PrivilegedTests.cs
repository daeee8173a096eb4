using Ringmaster.Emulator.Cpu;
using static Ringmaster.Emulator.Tests.TestProgram;

namespace Ringmaster.Emulator.Tests;

public class CsrTests
{
    [Fact]
    public void Run_CsrReadWrite_SwapsValuesAndReadsMisa()
    {
        var m = new TestProgram()
            .Emit(Rv.Addi(T0, 0, 123), Rv.Csrw(0x340, T0), Rv.Csrrwi(A0, 0x340, 5), Rv.Csrr(A1, 0x340), Rv.Csrr(A2, 0x301))
            .Emit(Rv.Csrr(A3, 0xC01)) // rdtime does not trap
            .Pass().Run();
        Assert.Equal(123UL, m.X(A0));
        Assert.Equal(5UL, m.X(A1));
        Assert.Equal(Hart.Misa, m.X(A2));
    }

    [Fact]
    public void Run_UnknownCsr_RaisesIllegalInstruction()
    {
        var m = new TestProgram()
            .Li(T0, Base + 0x100).Emit(Rv.Csrw(0x305, T0)) // mtvec
            .Emit(Rv.Csrr(A0, 0x14D))                      // stimecmp: not implemented (no Sstc)
            .Emit(Rv.Addi(A1, 0, 99))
            .Pass();
        while (m.Position < 0x100) m.Emit(Rv.Nop);
        m.Emit(Rv.Csrr(A2, 0x342), Rv.Csrr(A3, 0x343)).Pass();
        var r = m.Run();
        Assert.Equal(2UL, r.X(A2));           // mcause: illegal instruction
        Assert.Equal(0x14D02573UL, r.X(A3));  // mtval: the instruction bits
        Assert.Equal(0UL, r.X(A1));
    }
}

public class TrapTests
{
    /// <summary>mret into U mode at "user", which does ecall; M handler at +0x200 reads mcause/mepc.</summary>
    [Fact]
    public void Run_EcallFromUserMode_TrapsToMachineWithCauseAndEpc()
    {
        var p = new TestProgram().AllowAllMemory()
            .Li(T0, Base + 0x200).Emit(Rv.Csrw(0x305, T0))
            .Emit(Rv.Lui(T2, 0x2000), Rv.Addi(T2, T2, -0x800), Rv.Csrrc(0, 0x300, T2)) // clear MPP (0x1800) -> U
            .Emit(Rv.Auipc(T1, 0), Rv.Addi(T1, T1, 16), Rv.Csrw(0x341, T1), Rv.Mret)
            .Label("user").Emit(Rv.Ecall);
        while (p.Position < 0x200) p.Emit(Rv.Nop);
        p.Emit(Rv.Csrr(A0, 0x342), Rv.Csrr(A1, 0x341), Rv.Csrr(A2, 0x300)).Pass();
        var m = p.Run();
        Assert.Equal(8UL, m.X(A0));                     // ecall from U
        Assert.Equal(p.Address("user"), m.X(A1));
        Assert.Equal(0UL, (m.X(A2) >> 11) & 3);         // MPP = U
    }

    [Fact]
    public void Run_DelegatedEcall_GoesToSupervisorAndSretReturns()
    {
        var p = new TestProgram().AllowAllMemory()
            .Li(T0, Base + 0x300).Emit(Rv.Csrw(0x105, T0))      // stvec
            .Li(T0, Base + 0x200).Emit(Rv.Csrw(0x305, T0))      // mtvec
            .Emit(Rv.Addi(T0, 0, 1 << 8), Rv.Csrw(0x302, T0))  // medeleg: ecall from U
            .Emit(Rv.Lui(T2, 0x2000), Rv.Addi(T2, T2, -0x800), Rv.Csrrc(0, 0x300, T2))
            .Emit(Rv.Auipc(T1, 0), Rv.Addi(T1, T1, 16), Rv.Csrw(0x341, T1), Rv.Mret)
            .Label("user").Emit(Rv.Ecall, Rv.Addi(S1, 0, 77), Rv.Ecall);
        while (p.Position < 0x200) p.Emit(Rv.Nop);
        p.Emit(Rv.Csrr(A3, 0x342)).Pass();                      // second ecall (from U) ends in M? no: delegated too
        while (p.Position < 0x300) p.Emit(Rv.Nop);
        // S handler: count, skip the ecall, return; on the second visit finish.
        p.Emit(Rv.Csrr(A0, 0x142), Rv.Csrr(A1, 0x141), Rv.Addi(S0, S0, 1), Rv.Addi(T0, 0, 2))
            .To("done", o => Rv.Beq(S0, T0, o))
            .Emit(Rv.Addi(A1, A1, 4), Rv.Csrw(0x141, A1), Rv.Sret)
            .Label("done").Pass();
        var m = p.Run();
        Assert.Equal(0, m.ExitCode);
        Assert.Equal(8UL, m.X(A0));     // scause: ecall from U
        Assert.Equal(77UL, m.X(S1));    // sret resumed after the first ecall
        Assert.Equal(2UL, m.X(S0));
    }

    [Fact]
    public void Run_TimerInterrupt_WakesWfiAndTrapsWithInterruptCause()
    {
        var p = new TestProgram().AllowAllMemory()
            .Li(T0, Base + 0x200).Emit(Rv.Csrw(0x305, T0))
            .Li(S0, MemoryMap.ClintBase + 0xBFF8).Emit(Rv.Ld(T1, S0, 0), Rv.Addi(T1, T1, 1000))
            .Li(S1, MemoryMap.ClintBase + 0x4000).Emit(Rv.Sd(T1, S1, 0))
            .Emit(Rv.Addi(T0, 0, 0x80), Rv.Csrw(0x304, T0))   // mie.MTIE
            .Emit(Rv.Csrrwi(0, 0x300, 8))                      // mstatus.MIE
            .Label("idle").Emit(Rv.Wfi).To("idle", o => Rv.Jal(0, o));
        while (p.Position < 0x200) p.Emit(Rv.Nop);
        p.Emit(Rv.Csrr(A0, 0x342)).Pass();
        var m = p.Run(config: new MachineConfig { MemoryMiB = 16, EntropyDevice = false, DeterministicClock = true });
        var h = m.GetHart(0);
        Assert.True(m.ExitCode == 0, $"pc={h.Pc:x} status={m.Status} t1={m.X(T1)} mtime={m.Mtime} waiting={h.Waiting} mip={h.Mip:x} mie={h._mie:x} mstatus={h._mstatus:x} n={m.InstructionCount} a0={m.X(A0):x} exit={m.ExitCode} cmp={m.Mtimecmp[0]} s1={m.X(S1):x} s0={m.X(S0):x}");
        Assert.Equal(0x8000_0000_0000_0007UL, m.X(A0));
    }
}

public class PagingTests
{
    /// <summary>
    /// Sv39 with one 1 GiB identity gigapage for RAM (S mode, no U bit) and a 4 KiB page mapping
    /// virtual 0x4000_0000 to physical 0x8000_9000; S mode loads through the mapping, then touches an
    /// unmapped address and takes a load page fault.
    /// </summary>
    [Fact]
    public void Run_Sv39Mapping_TranslatesAndFaultsWithBadAddress()
    {
        const ulong root = 0x8000_4000, l1 = 0x8000_5000, l0 = 0x8000_6000;
        var p = new TestProgram().AllowAllMemory();
        // root[2] = gigapage 0x8000_0000 RWX A D;  root[1] -> l1; l1[0] -> l0; l0[0] -> 0x8000_9000 R W A
        p.Li(S0, root)
            .Li(T0, ((0x8000_0000UL >> 12) << 10) | 0xCF).Emit(Rv.Sd(T0, S0, 16))
            .Li(T0, ((l1 >> 12) << 10) | 1).Emit(Rv.Sd(T0, S0, 8))
            .Li(S1, l1).Li(T0, ((l0 >> 12) << 10) | 1).Emit(Rv.Sd(T0, S1, 0))
            .Li(S1, l0).Li(T0, ((0x8000_9000UL >> 12) << 10) | 0x07).Emit(Rv.Sd(T0, S1, 0))
            .Li(S1, 0x8000_9008).Emit(Rv.Addi(T0, 0, 321), Rv.Sd(T0, S1, 0))
            .Li(T0, (8UL << 60) | (root >> 12)).Emit(Rv.Csrw(0x180, T0))
            .Li(T0, Base + 0x800).Emit(Rv.Csrw(0x305, T0))
            .Emit(Rv.Lui(T2, 0x1000), Rv.Addi(T2, T2, -0x800), Rv.Csrrs(0, 0x300, T2))  // MPP = S
            .Emit(Rv.Auipc(T1, 0), Rv.Addi(T1, T1, 16), Rv.Csrw(0x341, T1), Rv.Mret)
            .Label("super")
            .Li(A0, 0x4000_0008).Emit(Rv.Ld(A1, A0, 0))        // 321 through the mapping
            .Li(A2, 0x4000_1000).Emit(Rv.Ld(A3, A2, 0));       // unmapped: load page fault
        while (p.Position < 0x800) p.Emit(Rv.Nop);
        p.Emit(Rv.Csrr(A4, 0x342), Rv.Csrr(A5, 0x343)).Li(S1, l0).Emit(Rv.Ld(S0, S1, 0)).Pass();
        var m = p.Run();
        Assert.Equal(0, m.ExitCode);
        Assert.Equal((13UL, 0x4000_1000UL, 321UL), (m.X(A4), m.X(A5), m.X(A1)));
        Assert.Equal(13UL, m.X(A4));              // load page fault
        Assert.Equal(0x4000_1000UL, m.X(A5));     // mtval = faulting address
        Assert.Equal(0x40UL, m.X(S0) & 0xC0);     // accessed bit set by the walk, not dirty
    }

    /// <summary>Sv48: a 512 GiB-level table above the Sv39 layout; S-mode store through a fresh 4 KiB page sets A and D.</summary>
    [Fact]
    public void Run_Sv48StoreThroughMapping_SetsAccessedAndDirty()
    {
        const ulong root = 0x8000_3000, l2 = 0x8000_4000, l1 = 0x8000_5000, l0 = 0x8000_6000;
        var p = new TestProgram().AllowAllMemory();
        p.Li(S0, root).Li(T0, ((l2 >> 12) << 10) | 1).Emit(Rv.Sd(T0, S0, 0))                // root[0] -> l2
            .Li(S0, l2)
            .Li(T0, ((0x8000_0000UL >> 12) << 10) | 0xCF).Emit(Rv.Sd(T0, S0, 16))               // l2[2] = 1 GiB identity
            .Li(T0, ((l1 >> 12) << 10) | 1).Emit(Rv.Sd(T0, S0, 8))                              // l2[1] -> l1
            .Li(S1, l1).Li(T0, ((l0 >> 12) << 10) | 1).Emit(Rv.Sd(T0, S1, 0))
            .Li(S1, l0).Li(T0, ((0x8000_9000UL >> 12) << 10) | 0x07).Emit(Rv.Sd(T0, S1, 0))
            .Li(T0, (9UL << 60) | (root >> 12)).Emit(Rv.Csrw(0x180, T0))
            .Li(T0, Base + 0x800).Emit(Rv.Csrw(0x305, T0))
            .Emit(Rv.Lui(T2, 0x1000), Rv.Addi(T2, T2, -0x800), Rv.Csrrs(0, 0x300, T2))
            .Emit(Rv.Auipc(T1, 0), Rv.Addi(T1, T1, 16), Rv.Csrw(0x341, T1), Rv.Mret)
            .Li(A0, 0x4000_0010).Emit(Rv.Addi(T0, 0, 55), Rv.Sd(T0, A0, 0), Rv.Ecall);
        while (p.Position < 0x800) p.Emit(Rv.Nop);
        p.Emit(Rv.Csrr(A4, 0x342)).Li(S1, l0).Emit(Rv.Ld(S0, S1, 0)).Li(S1, 0x8000_9010).Emit(Rv.Ld(A1, S1, 0)).Pass();
        var m = p.Run();
        Assert.Equal(0, m.ExitCode);
        Assert.Equal(9UL, m.X(A4));            // ecall from S: the store went through
        Assert.Equal(55UL, m.X(A1));
        Assert.Equal(0xC0UL, m.X(S0) & 0xC0);  // accessed and dirty
    }

    /// <summary>M mode delegates the supervisor timer; setting mip.STIP from M traps into S with cause 5.</summary>
    [Fact]
    public void Run_DelegatedSupervisorTimer_InterruptsSupervisorMode()
    {
        var p = new TestProgram().AllowAllMemory()
            .Li(T0, Base + 0x400).Emit(Rv.Csrw(0x105, T0))                      // stvec
            .Emit(Rv.Addi(T0, 0, 0x20), Rv.Csrw(0x303, T0), Rv.Csrw(0x304, T0))   // mideleg.STIP, mie.STIE
            .Emit(Rv.Csrrwi(0, 0x100, 2))                                          // sstatus.SIE
            .Emit(Rv.Lui(T2, 0x1000), Rv.Addi(T2, T2, -0x800), Rv.Csrrs(0, 0x300, T2))
            .Emit(Rv.Csrrs(0, 0x344, T0))                                          // mip.STIP (pending, but M mode ignores S interrupts)
            .Emit(Rv.Auipc(T1, 0), Rv.Addi(T1, T1, 16), Rv.Csrw(0x341, T1), Rv.Mret)
            .Label("s").To("s", o => Rv.Jal(0, o));
        while (p.Position < 0x400) p.Emit(Rv.Nop);
        p.Emit(Rv.Csrr(A0, 0x142), Rv.Csrr(A1, 0x144)).Pass();
        var m = p.Run();
        Assert.Equal(0, m.ExitCode);
        Assert.Equal(0x8000_0000_0000_0005UL, m.X(A0));
        Assert.Equal(0x20UL, m.X(A1));
    }

    /// <summary>Hart 0 writes hart 1's msip in the CLINT; hart 1, asleep in WFI, takes a machine software interrupt.</summary>
    [Fact]
    public void Run_ClintIpi_WakesTheOtherHartWithSoftwareInterrupt()
    {
        var p = new TestProgram()
            .To("hart1", o => Rv.Bne(A0, 0, o))
            .Li(S0, MemoryMap.ClintBase + 4)
            .Emit(Rv.Lui(T1, 0x1000))
            .Label("delay").Emit(Rv.Addi(T1, T1, -1)).To("delay", o => Rv.Bne(T1, 0, o))
            .Emit(Rv.Addi(T0, 0, 1), Rv.Sw(T0, S0, 0))
            .Label("spin0").To("spin0", o => Rv.Jal(0, o))
            .Label("hart1")
            .Li(T0, Base + 0x400).Emit(Rv.Csrw(0x305, T0))
            .Emit(Rv.Addi(T0, 0, 8), Rv.Csrw(0x304, T0), Rv.Csrrwi(0, 0x300, 8))
            .Label("sleep").Emit(Rv.Wfi).To("sleep", o => Rv.Jal(0, o));
        while (p.Position < 0x400) p.Emit(Rv.Nop);
        p.Emit(Rv.Csrr(A1, 0x342)).Pass();
        var m = p.Run(config: new MachineConfig { MemoryMiB = 16, Harts = 2, EntropyDevice = false });
        Assert.Equal(0, m.ExitCode);
        Assert.Equal(0x8000_0000_0000_0003UL, m.X(A1, hart: 1));
    }
}
