/* Checks a few RV64GC behaviours and exits 0, or the number of the failing check. */
#include "common.h"
    .section .text.init
    .globl _start
_start:
    li a0, 6
    li a1, 7
    mul a2, a0, a1
    li a3, 42
    bne a2, a3, fail1
    /* compressed arithmetic and a call */
    c.li a4, 5
    call add_one
    li a5, 6
    bne a4, a5, fail2
    /* amoswap on a data word */
    la t0, word
    li t1, 99
    amoswap.d t2, t1, (t0)
    ld t3, 0(t0)
    bne t3, t1, fail3
    li t4, 17
    bne t2, t4, fail3
    /* double precision: enable FS, 1.5 * 4 = 6 */
    li t0, 1 << 13
    csrs mstatus, t0
    la t0, onefive
    fld f0, 0(t0)
    li t1, 4
    fcvt.d.l f1, t1
    fmul.d f2, f0, f1
    fcvt.l.d t2, f2, rtz
    li t3, 6
    bne t2, t3, fail4
    EXIT(0)
fail1: EXIT(1)
fail2: EXIT(2)
fail3: EXIT(3)
fail4: EXIT(4)
add_one:
    addi a4, a4, 1
    ret
    .data
    .align 3
word: .dword 17
onefive: .double 1.5
TOHOST
