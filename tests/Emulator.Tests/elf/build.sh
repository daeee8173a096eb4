#!/bin/sh
# Rebuilds the bare-metal test ELFs (needs gcc-riscv64-linux-gnu); the built files are committed so
# CI needs no cross compiler.
set -e
cd "$(dirname "$0")"
for s in pass fail loop pmp; do
  riscv64-linux-gnu-gcc -nostdlib -nostartfiles -march=rv64gc -mabi=lp64d -mcmodel=medany -static \
    -T link.ld -o "$s.elf" "$s.S"
done
