#!/usr/bin/env bash
# Live migration of a 256 MiB VM running a workload, back and forth between two agent processes on
# loopback (through the server's transfer relay): median and p90 of total time and downtime, bytes,
# rounds, and where the downtime goes (source stop-and-copy, relay, target load).
# Usage: tests/Benchmarks/bench-migration.sh [runs]   (default 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dotnet build -c Release -nologo -v:q "$root/Console.sln" >/dev/null
exec dotnet run -c Release --project "$root/tests/Benchmarks" -- migration "${1:-10}"
