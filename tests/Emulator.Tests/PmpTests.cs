using Ringmaster.Emulator.Cpu;
using static Ringmaster.Emulator.Tests.TestProgram;

namespace Ringmaster.Emulator.Tests;

/// <summary>PMP checks that depend on cached state: translations cached before a pmp write, and MPRV.</summary>
public class PmpTests
{
    private const ulong DataPage = 0x8000_8000;

    /// <summary>
    /// U mode reads a page (its translation is now cached), M mode then removes the read permission:
    /// the same load from U mode takes a load access fault with the address in mtval.
    /// </summary>
    [Fact]
    public void Run_PmpWriteAfterUserLoad_RevokesThePermissionAtOnce()
    {
        var p = new TestProgram()
            .Li(S1, DataPage).Emit(Rv.Addi(T0, 0, 99), Rv.Sd(T0, S1, 0))
            .Li(T0, (1UL << 54) - 1).Emit(Rv.Csrw(0x3B1, T0))               // pmpaddr1: everything
            .Li(T0, (DataPage >> 2) | 0x1ff).Emit(Rv.Csrw(0x3B0, T0))       // pmpaddr0: the data page (NAPOT 4 KiB)
            .Li(T0, 0x19 | (0x1FUL << 8)).Emit(Rv.Csrw(0x3A0, T0))          // entry 0 NAPOT R, entry 1 NAPOT RWX
            .Li(T0, Base + 0x400).Emit(Rv.Csrw(0x305, T0))
            .Emit(Rv.Lui(T2, 0x2000), Rv.Addi(T2, T2, -0x800), Rv.Csrrc(0, 0x300, T2)) // MPP = U
            .Emit(Rv.Auipc(T1, 0), Rv.Addi(T1, T1, 16), Rv.Csrw(0x341, T1), Rv.Mret)
            .Label("user").Li(A0, DataPage).Emit(Rv.Ld(A1, A0, 0), Rv.Ecall);
        var user = p.Address("user");
        while (p.Position < 0x400) p.Emit(Rv.Nop);
        // M handler: first visit (the ecall) drops R from entry 0 and returns to "user"; second visit ends.
        p.Emit(Rv.Csrr(A4, 0x342), Rv.Csrr(A5, 0x343), Rv.Addi(S0, S0, 1), Rv.Addi(T0, 0, 2))
            .To("done", o => Rv.Beq(S0, T0, o))
            .Li(T0, 0x18 | (0x1FUL << 8)).Emit(Rv.Csrw(0x3A0, T0))
            .Li(T1, user).Emit(Rv.Csrw(0x341, T1), Rv.Mret)
            .Label("done").Pass();

        var m = p.Run();

        Assert.Equal(0, m.ExitCode);
        Assert.Equal(99UL, m.X(A1));            // the first load went through
        Assert.Equal(5UL, m.X(A4));             // then: load access fault
        Assert.Equal(DataPage, m.X(A5));        // mtval = the address
    }

    /// <summary>
    /// M-mode loads ignore unlocked entries, but with mstatus.MPRV set and MPP = U they are checked
    /// as U-mode loads (instruction fetches stay M-mode and keep running).
    /// </summary>
    [Fact]
    public void Run_MprvLoad_IsCheckedWithTheMppPrivilege()
    {
        var p = new TestProgram()
            .Li(S1, DataPage).Emit(Rv.Addi(T0, 0, 42), Rv.Sd(T0, S1, 0))
            .Li(T0, (1UL << 54) - 1).Emit(Rv.Csrw(0x3B1, T0))
            .Li(T0, (DataPage >> 2) | 0x1ff).Emit(Rv.Csrw(0x3B0, T0))
            .Li(T0, 0x18 | (0x1FUL << 8)).Emit(Rv.Csrw(0x3A0, T0))          // entry 0: the data page, no permission
            .Li(T0, Base + 0x400).Emit(Rv.Csrw(0x305, T0))
            .Emit(Rv.Ld(A1, S1, 0))                                          // M mode: allowed
            .Emit(Rv.Lui(T2, 0x2000), Rv.Addi(T2, T2, -0x800), Rv.Csrrc(0, 0x300, T2)) // MPP = U
            .Emit(Rv.Lui(T2, 0x20000), Rv.Csrrs(0, 0x300, T2))               // MPRV
            .Emit(Rv.Ld(A2, S1, 0), Rv.Addi(A3, 0, 1));
        while (p.Position < 0x400) p.Emit(Rv.Nop);
        p.Emit(Rv.Csrr(A4, 0x342), Rv.Csrr(A5, 0x343)).Pass();

        var m = p.Run();

        Assert.Equal(0, m.ExitCode);
        Assert.Equal(42UL, m.X(A1));
        Assert.Equal(0UL, m.X(A3));             // the MPRV load trapped
        Assert.Equal(5UL, m.X(A4));
        Assert.Equal(DataPage, m.X(A5));
    }

    /// <summary>pmpaddr of a NAPOT entry reads back as written; a TOR entry's base cannot move once the TOR entry is locked.</summary>
    [Fact]
    public void Run_LockedTorEntry_KeepsItsBaseAddress()
    {
        var m = new TestProgram()
            .Li(T0, 0x2000_0400).Emit(Rv.Csrw(0x3B0, T0), Rv.Csrw(0x3B1, T0))
            .Li(T0, 0x8D00).Emit(Rv.Csrw(0x3A0, T0))                        // entry 1: TOR R X, locked
            .Emit(Rv.Addi(T1, 0, 7), Rv.Csrw(0x3B0, T1), Rv.Csrw(0x3B1, T1))  // both writes are ignored
            .Emit(Rv.Csrr(A0, 0x3B0), Rv.Csrr(A1, 0x3B1), Rv.Csrr(A2, 0x3A0))
            .Pass().Run();

        Assert.Equal(0x2000_0400UL, m.X(A0));
        Assert.Equal(0x2000_0400UL, m.X(A1));
        Assert.Equal(0x8D00UL, m.X(A2));
    }
}
