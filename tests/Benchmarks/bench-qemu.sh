#!/usr/bin/env bash
# x86_64 VMs on QEMU: create + start → the first prompt on the serial console (x86-small: the shell;
# debian-12: login:) through Ringmaster (REST API + console WebSocket, embedded agent), beside the
# same QEMU command line Ringmaster ran, started by hand (its disk layer made with qemu-img the same
# way), and beside an emulator VM of the default RISC-V image. Medians of N runs and their ratios
# (goal: Ringmaster adds under 10 % to QEMU by hand). TCG on hosts without usable KVM.
# Needs the images: scripts/build-images.sh x86-small debian-12.
# Usage: tests/Benchmarks/bench-qemu.sh [runs=3]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dotnet build -c Release -nologo -v:q "$root/src/Web" >/dev/null
dotnet build -c Release -nologo -v:q "$root/tests/Benchmarks" >/dev/null
exec dotnet run -c Release --no-build --project "$root/tests/Benchmarks" -- qemu-boot "${1:-3}"
