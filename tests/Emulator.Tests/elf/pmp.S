/* PMP as the privileged spec says: OFF/TOR/NA4/NAPOT, R/W/X, the L bit, S/U fail when no entry
   matches, page-table walks checked. Exits 0, or the number of the failing check. Every trap goes to
   "trap", which keeps mcause in s2 and mtval in s3 and continues in M mode at s5. */
#include "common.h"

/* Runs "code" in U (mpp=0) or S (mpp=1) mode; the trap it ends with continues at the next line. */
#define ENTER(mode, code)              \
    lla s5, 9f;                         \
    li s2, -1;                         \
    li t0, 0x1800; csrc mstatus, t0;   \
    li t0, (mode) << 11; csrs mstatus, t0; \
    lla t0, code; csrw mepc, t0;        \
    mret;                              \
9:

#define EXPECT(reg, value, n)  li t0, value; bne reg, t0, fail##n

    .section .text.init
    .globl _start
_start:
    lla t0, trap
    csrw mtvec, t0

    /* 1: no entry is set: a U-mode fetch fails with an instruction access fault at its address. */
    ENTER(0, u_ecall)
    EXPECT(s2, 1, 1)
    lla t1, u_ecall
    bne s3, t1, fail1

    /* Entries: 0 TOR [0, code_end) R X; 1 NAPOT ropage R; 2 NA4 rwpage+8 none; 3 NAPOT rwpage R W. */
    lla t0, code_end; srli t0, t0, 2; csrw pmpaddr0, t0
    lla t0, ropage; srli t0, t0, 2; ori t0, t0, 0x1ff; csrw pmpaddr1, t0
    lla t0, rwpage; addi t0, t0, 8; srli t0, t0, 2; csrw pmpaddr2, t0
    lla t0, rwpage; srli t0, t0, 2; ori t0, t0, 0x1ff; csrw pmpaddr3, t0
    li t0, (0x0d) | (0x19 << 8) | (0x10 << 16) | (0x1b << 24)
    csrw pmpcfg0, t0
    csrr t1, pmpcfg0
    bne t0, t1, fail2

    /* 3: U runs code inside the TOR entry and ends with an ecall. */
    ENTER(0, u_ecall)
    EXPECT(s2, 8, 3)
    /* 4: U loads from the read-only page (the value arrives in a1, then ecall). */
    ENTER(0, u_load_ro)
    EXPECT(s2, 8, 4)
    EXPECT(a1, 0x1234, 4)
    /* 5: U stores to the read-only page: store access fault with the address. */
    ENTER(0, u_store_ro)
    EXPECT(s2, 7, 5)
    lla t1, ropage; addi t1, t1, 16
    bne s3, t1, fail5
    /* 6: the NA4 entry denies one word inside an allowed page (after its neighbour was read). */
    ENTER(0, u_load_na4)
    EXPECT(s2, 5, 6)
    lla t1, rwpage; addi t1, t1, 8
    bne s3, t1, fail6
    EXPECT(a1, 0x5678, 6)
    /* 7: a load that overlaps the NA4 word only partly fails too. */
    ENTER(0, u_load_partial)
    EXPECT(s2, 5, 7)
    /* 8: U stores to the read-write page. */
    ENTER(0, u_store_rw)
    EXPECT(s2, 8, 8)
    lla t1, rwpage; ld t2, 24(t1)
    EXPECT(t2, 77, 8)
    /* 9: an address no entry matches fails for U ... */
    ENTER(0, u_load_none)
    EXPECT(s2, 5, 9)
    /* ... and succeeds for M. */
    lla t1, freepage; ld t2, 0(t1)
    EXPECT(t2, 0x4321, 9)

    /* 10: reserved R=0 W=1 is not taken (WARL): entry 6 stays OFF. */
    li t0, 0x0a << 48; csrs pmpcfg0, t0
    csrr t1, pmpcfg0; srli t1, t1, 48; andi t1, t1, 0xff
    bnez t1, fail10

    /* 11: a locked entry without permissions applies to M mode too: entry 4 NAPOT lockpage, L. */
    lla t0, lockpage; srli t0, t0, 2; ori t0, t0, 0x1ff; csrw pmpaddr4, t0
    li t0, 0x98 << 32; csrs pmpcfg0, t0
    lla s5, 1f
    li s2, -1
    lla t1, lockpage; ld t2, 0(t1)
1:  EXPECT(s2, 5, 11)
    lla t1, lockpage
    bne s3, t1, fail11
    /* 12: a locked entry cannot be changed or unlocked until reset. */
    li t0, 0xff << 32; csrc pmpcfg0, t0
    csrr t1, pmpcfg0; srli t1, t1, 32; andi t1, t1, 0xff
    EXPECT(t1, 0x98, 12)
    csrw pmpaddr4, zero
    csrr t1, pmpaddr4; beqz t1, fail12

    /* 13: S mode with Sv39, root table in ptpage; entry 5 NAPOT ptpage none: the walk fails (access fault, not page fault). */
    lla t0, ptpage; srli t0, t0, 2; ori t0, t0, 0x1ff; csrw pmpaddr5, t0
    li t0, 0x18 << 40; csrs pmpcfg0, t0
    lla t1, ptpage
    li t0, (0x80000000 >> 12 << 10) | 0xcf   /* gigapage 0x8000_0000: V R W X A D */
    sd t0, 16(t1)
    srli t0, t1, 12; li t2, 8 << 60; or t0, t0, t2; csrw satp, t0
    sfence.vma
    ENTER(1, u_ecall)
    EXPECT(s2, 1, 13)
    lla t1, u_ecall
    bne s3, t1, fail13
    /* 14: once S may read the table (entry 5 R), the same code runs (a pmp write drops cached translations). */
    li t0, 0x01 << 40; csrs pmpcfg0, t0
    ENTER(1, u_ecall)
    EXPECT(s2, 9, 14)
    csrw satp, zero

    EXIT(0)
fail1: EXIT(1)
fail2: EXIT(2)
fail3: EXIT(3)
fail4: EXIT(4)
fail5: EXIT(5)
fail6: EXIT(6)
fail7: EXIT(7)
fail8: EXIT(8)
fail9: EXIT(9)
fail10: EXIT(10)
fail11: EXIT(11)
fail12: EXIT(12)
fail13: EXIT(13)
fail14: EXIT(14)

    .align 2
trap:
    csrr s2, mcause
    csrr s3, mtval
    jr s5

u_ecall:
    ecall
u_load_ro:
    lla t1, ropage; ld a1, 0(t1)
    ecall
u_store_ro:
    lla t1, ropage; sd t1, 16(t1)
    ecall
u_load_na4:
    lla t1, rwpage; ld a1, 0(t1); lw a2, 8(t1)
    ecall
u_load_partial:
    lla t1, rwpage; ld a2, 4(t1)
    ecall
u_store_rw:
    lla t1, rwpage; li t2, 77; sd t2, 24(t1)
    ecall
u_load_none:
    lla t1, freepage; ld a1, 0(t1)
    ecall

    .section .tohost, "aw"
    .globl code_end
code_end:
    .align 3
    .globl tohost
tohost: .dword 0
    .globl fromhost
fromhost: .dword 0

    .data
    .align 12
ropage: .dword 0x1234
    .align 12
rwpage: .dword 0x5678, 0x9abc
    .align 12
freepage: .dword 0x4321
    .align 12
lockpage: .dword 0x1111
    .align 12
ptpage: .fill 512, 8, 0
