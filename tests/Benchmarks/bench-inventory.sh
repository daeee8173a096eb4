#!/usr/bin/env bash
# A storm of changes on one host: N (10,000) machines of one host in a fresh SQLite inventory, through
# the inventory's own code: the host going offline, its agent registering again with all of them and
# with none of them; each step's time, and how long a heartbeat of another host waited meanwhile.
# Usage: tests/Benchmarks/bench-inventory.sh [machines=10000]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec dotnet run -c Release --project "$root/tests/Benchmarks" -- inventory-storm "${1:-10000}"
