#!/usr/bin/env bash
# Create+start latency of a busybox container: through Ringmaster's REST API and agent, through its
# container driver alone, and through the podman CLI, in one run.
# Usage: tests/Benchmarks/bench-containers.sh [iterations]   (as root; sets Podman up first)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/scripts/setup-podman.sh" </dev/null
dotnet build -c Release -nologo -v:q "$root/src/Web"
exec dotnet run -c Release --project "$root/tests/Benchmarks" -- containers "${1:-20}"
