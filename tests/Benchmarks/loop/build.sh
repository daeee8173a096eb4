#!/bin/sh
# Rebuild loop.elf (250,000,000 iterations) and loop-short.elf (1,000) from loop.S
# (needs gcc-riscv64-linux-gnu). The outputs are committed so the benchmark needs no cross compiler.
# Preprocessing to a fixed file name keeps the output byte-for-byte reproducible.
set -e
cd "$(dirname "$0")"
CC="riscv64-linux-gnu-gcc -nostdlib -nostartfiles -static -march=rv64gc -mabi=lp64d -fno-pie -no-pie -Ttext=0x80000000 -Wl,--build-id=none -Wl,-n -Wl,--no-warn-rwx-segments"
$CC -E -P -o loop.s loop.S && $CC -c -o loop.o loop.s && $CC -o loop.elf loop.o
$CC -E -P -DITERATIONS=1000 -o loop.s loop.S && $CC -c -o loop.o loop.s && $CC -o loop-short.elf loop.o
rm -f loop.s loop.o
sha256sum loop.elf loop-short.elf > SHA256SUMS
