/*
 * Tight integer loop for the emulator benchmark: bare metal, M-mode, no firmware.
 *
 * Build (see build.sh):
 *   riscv64-linux-gnu-gcc -nostdlib -nostartfiles -static -march=rv64gc -mabi=lp64d \
 *       -fno-pie -no-pie -Ttext=0x80000000 -Wl,--build-id=none -Wl,-n -o loop.elf loop.S
 *   (-n: no page alignment, so the first segment starts at 0x80000000 and loads no ELF headers)
 *   (same with -DITERATIONS=1000 -o loop-short.elf)
 *
 * Runs exactly 4 * ITERATIONS + 8 instructions up to and including the store to `tohost`
 * (4 set-up instructions, 4 per iteration, 4 to reach and do the store), i.e. 1,000,000,008
 * with the default count of 250,000,000 iterations. loop-short.elf is the same program with
 * -DITERATIONS=1000 (4,008 instructions): the benchmark subtracts its time to take each
 * emulator's start-up cost out of the MIPS figure.
 *
 * Exit: writes 1 to the HTIF `tohost` word (Ringmaster's runner and Spike-style simulators stop
 * there), then writes 0x5555 to the virt board's syscon at 0x100000 (QEMU powers off), then waits.
 */
#ifndef ITERATIONS
#define ITERATIONS 250000000
#endif
        .option norvc           /* every instruction is 4 bytes: counts are easy to check */
        .section .text.start, "ax", @progbits
        .globl _start
_start:
        lla     t0, iterations          /* auipc + addi                       (2) */
        ld      t0, 0(t0)               /* loop counter                       (1) */
        li      t1, 0                   /* accumulator                        (1) */
1:      addi    t1, t1, 3               /* 4 integer instructions per iteration  */
        xor     t2, t1, t0
        addi    t0, t0, -1
        bnez    t0, 1b
        lla     t3, tohost                /* auipc + addi */
        li      t4, 1
        sd      t4, 0(t3)                 /* instruction 4*N + 8 */
        /* QEMU virt: syscon power-off */
        li      t3, 0x100000
        li      t4, 0x5555
        sw      t4, 0(t3)
2:      wfi
        j       2b

        .section .data
        .balign 8
        .globl iterations
iterations:
        .dword  ITERATIONS

        .section .tohost, "aw", @progbits
        .balign 64
        .globl tohost
tohost: .dword  0
        .balign 64
        .globl fromhost
fromhost:
        .dword  0
