#!/usr/bin/env bash
# Snapshots, linked clones, backups and restores of a running 256 MiB VM with a workload (48 MiB of
# random data in its RAM, a disk rewrite loop), at the emulator driver (what the agent does for an
# operation). Figures are medians of N runs on this host: the guest's pause for a snapshot with
# memory (goal < 300 ms) and the time until the state is written, its size, a linked clone of the
# running VM (goal < 200 ms), full and incremental backup with memory, and restore throughput.
# Usage: tests/Benchmarks/bench-snapshots.sh [runs]   (needs e2fsprogs for mke2fs)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dotnet build -c Release -nologo -v:q "$root/tests/Benchmarks"
exec dotnet run -c Release --no-build --project "$root/tests/Benchmarks" -- snapshots "${1:-5}"
