#!/usr/bin/env bash
# The metrics history at scale: a week of samples for 1,000 machines fed through the history's own
# code into a fresh SQLite inventory, then its size on disk and the 1-week query time of a machine.
# Usage: tests/Benchmarks/bench-metrics.sh [machines=1000] [days=7] [seconds between samples=60]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec dotnet run -c Release --project "$root/tests/Benchmarks" -- metrics "${1:-1000}" "${2:-7}" "${3:-60}"
