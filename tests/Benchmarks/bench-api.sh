#!/usr/bin/env bash
# Load benchmark of GET /api/v1/machines?limit=100 over 10,000 machines, on loopback, with wrk
# (Debian's package), and the same for /healthz as the reference. Prints requests/s, p50 and p99 of
# each and their ratio. The machines are seeded straight into a fresh data folder through the store
# (no agent); the web runs without its embedded agent.
# Usage: tests/Benchmarks/bench-api.sh [machines=10000] [seconds=10] [connections=16]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
count=${1:-10000}
seconds=${2:-10}
connections=${3:-16}
if ! command -v wrk >/dev/null; then
  apt-get install -y wrk >/dev/null
fi

dotnet build -c Release -nologo -v:q "$root/src/Web" >/dev/null
dotnet build -c Release -nologo -v:q "$root/tests/Benchmarks" >/dev/null
data=$(mktemp -d /tmp/ringmaster-bench-api-XXXXXX)
token="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
web_pid=""
cleanup() {
  if [[ -n "$web_pid" ]]; then kill "$web_pid" 2>/dev/null || true; wait "$web_pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

dotnet "$root/tests/Benchmarks/bin/Release/net10.0/Ringmaster.Benchmarks.dll" seed-machines "$data" "$count"

# The token is used when the server demands one (RINGMASTER_BOOTSTRAP_TOKEN makes it an admin token);
# the per-token rate limit is off so that the figures measure the server, not the limiter.
RINGMASTER_DATA="$data" RINGMASTER_BOOTSTRAP_TOKEN="$token" Agent__Embedded=false Access__TokenRequestsPerMinute=0 \
  ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  dotnet "$root/src/Web/bin/Release/net10.0/Ringmaster.Web.dll" --urls "http://127.0.0.1:$port" >"$data/web.log" 2>&1 &
web_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

auth="Authorization: Bearer $token"
got=$(curl -fs -H "$auth" "$base/api/v1/machines?limit=100" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
[[ "$got" == 100 ]] || { echo "the list answered $got machines, not 100" >&2; exit 1; }

cpu_ticks() { awk '{print $14+$15}' "/proc/$web_pid/stat"; }

run() { # name path -> "rps p50_ms p99_ms cpu_ms_per_request"
  local out before after
  wrk -t2 -c"$connections" -d2s -H "$auth" "$base$2" >/dev/null           # warm-up (JIT, caches)
  before=$(cpu_ticks)
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "$auth" "$base$2")
  after=$(cpu_ticks)
  if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "$1: non-2xx answers" >&2; exit 1; fi
  awk -v name="$1" -v ticks="$((after - before))" -v hz="$(getconf CLK_TCK)" '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    $1=="50%" { p50=ms($2) } $1=="99%" { p99=ms($2) } $1=="Requests/sec:" { rps=$2 } / requests in / { n=$1 }
    END { printf "%s %.1f %.2f %.2f %.3f\n", name, rps, p50, p99, ticks * 1000 / hz / n }' <<<"$out"
}

list=$(run list "/api/v1/machines?limit=100")
# A label every fifth machine has (the seed's tier=0..4): filtered in the database through the label index.
labelled=$(run labelled "/api/v1/machines?limit=100&label=tier%3D3")
health=$(run healthz "/healthz")
echo "$count machines, wrk ${seconds}s x $connections connections, 2 threads, loopback, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
printf '%-48s %10s %10s %10s %14s\n' endpoint 'req/s' 'p50 ms' 'p99 ms' 'server CPU ms'
read -r _ lr l50 l99 lc <<<"$list"
read -r _ fr f50 f99 fc <<<"$labelled"
read -r _ hr h50 h99 hc <<<"$health"
printf '%-48s %10s %10s %10s %14s\n' "GET /api/v1/machines?limit=100" "$lr" "$l50" "$l99" "$lc"
printf '%-48s %10s %10s %10s %14s\n' "GET /api/v1/machines?limit=100&label=tier=3" "$fr" "$f50" "$f99" "$fc"
printf '%-48s %10s %10s %10s %14s\n' "GET /healthz" "$hr" "$h50" "$h99" "$hc"
python3 -c "print(f'list/healthz throughput ratio: {$lr/$hr:.3f}  (p50 x{$l50/max($h50,0.001):.1f}); server CPU per request: list {$lc} ms = {$lc/max($hc,0.0001):.0f}x healthz')"
python3 -c "print(f'label-filtered/unfiltered: throughput {$fr/$lr:.2f}, server CPU per request {$fc/max($lc,0.0001):.2f}')"
