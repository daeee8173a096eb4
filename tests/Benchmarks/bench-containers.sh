#!/usr/bin/env bash
# Create+start latency of a busybox container: Ringmaster's container driver beside the podman CLI.
# Usage: tests/Benchmarks/bench-containers.sh [iterations]   (as root; sets Podman up first)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/scripts/setup-podman.sh" </dev/null
exec dotnet run -c Release --project "$root/tests/Benchmarks" -- containers "${1:-20}"
