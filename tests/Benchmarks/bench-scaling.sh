#!/usr/bin/env bash
# Time from a scale decision (one PATCH of a scaling group's desired count) to all members running:
# 0 → 50 busybox containers and 0 → 20 emulator VMs, through the whole product, and where the time goes.
# Usage: tests/Benchmarks/bench-scaling.sh [containers] [vms] [parallel]   (as root; sets Podman up first)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/scripts/setup-podman.sh" </dev/null
dotnet build -c Release -nologo -v:q "$root/src/Web"
exec dotnet run -c Release --project "$root/tests/Benchmarks" -- scaling "${1:-50}" "${2:-20}" "${3:-10}"
