#!/usr/bin/env bash
# Load benchmark of GET /api/v1/machines?limit=100 over 10,000 machines, on loopback, with wrk
# (Debian's package), and the same for /healthz as the reference. Prints requests/s, p50 and p99 of
# each and their ratio. The machines are seeded straight into a fresh database through the store
# (no agent); the web runs without its embedded agent.
# With databases "sqlite postgres" the same load runs on each in turn (PostgreSQL: a private server
# of Debian's package on a free port, started and removed here) and PostgreSQL's figures are also
# given as ratios of SQLite's.
# Usage: tests/Benchmarks/bench-api.sh [machines=10000] [seconds=10] [connections=16] [databases=sqlite]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
count=${1:-10000}
seconds=${2:-10}
connections=${3:-16}
databases=${4:-sqlite}
if ! command -v wrk >/dev/null; then
  apt-get install -y wrk >/dev/null
fi

dotnet build -c Release -nologo -v:q "$root/src/Web" >/dev/null
dotnet build -c Release -nologo -v:q "$root/tests/Benchmarks" >/dev/null
work=$(mktemp -d /tmp/ringmaster-bench-api-XXXXXX)
chmod 711 "$work"
token="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pg_bin=/usr/lib/postgresql/15/bin
web_pid=""
pg_started=""
stop_web() {
  if [[ -n "$web_pid" ]]; then kill "$web_pid" 2>/dev/null || true; wait "$web_pid" 2>/dev/null || true; fi
  web_pid=""
}
cleanup() {
  stop_web
  if [[ -n "$pg_started" ]]; then runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

start_postgres() { # -> a connection string to a database that does not exist yet
  [[ -x "$pg_bin/initdb" ]] || apt-get install -y postgresql >/dev/null
  local port
  port=$(free_port)
  mkdir "$work/pg" && chown postgres:postgres "$work/pg"
  runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = ''\nmax_connections = 200\n" "$port" >> "$work/pg/postgresql.conf"
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w -t 60 start >/dev/null
  pg_started=1
  echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=ringmaster_bench"
}

cpu_ticks() { awk '{print $14+$15}' "/proc/$web_pid/stat"; }

run() { # name path -> "name rps p50_ms p99_ms cpu_ms_per_request"
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

auth="Authorization: Bearer $token"
declare -A results
for database in $databases; do
  data="$work/$database"
  connection=""
  case "$database" in
    sqlite) ;;
    postgres) connection=$(start_postgres) ;;
    *) echo "unknown database '$database' (sqlite, postgres)" >&2; exit 2 ;;
  esac
  dotnet "$root/tests/Benchmarks/bin/Release/net10.0/Ringmaster.Benchmarks.dll" seed-machines "$data" "$count" ${connection:+"$connection"}

  # The token is used when the server demands one (RINGMASTER_BOOTSTRAP_TOKEN makes it an admin token);
  # the per-token rate limit is off so that the figures measure the server, not the limiter.
  port=$(free_port)
  RINGMASTER_DATA="$data" RINGMASTER_BOOTSTRAP_TOKEN="$token" Agent__Embedded=false Access__TokenRequestsPerMinute=0 \
    Ringmaster__ConnectionString="$connection" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    dotnet "$root/src/Web/bin/Release/net10.0/Ringmaster.Web.dll" --urls "http://127.0.0.1:$port" >"$work/web-$database.log" 2>&1 &
  web_pid=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 300); do
    curl -fs "$base/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done

  got=$(curl -fs -H "$auth" "$base/api/v1/machines?limit=100" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
  [[ "$got" == 100 ]] || { echo "$database: the list answered $got machines, not 100" >&2; cat "$work/web-$database.log" >&2; exit 1; }

  results[$database.list]=$(run list "/api/v1/machines?limit=100")
  # A label every fifth machine has (the seed's tier=0..4): filtered in the database through the label index.
  results[$database.labelled]=$(run labelled "/api/v1/machines?limit=100&label=tier%3D3")
  results[$database.health]=$(run healthz "/healthz")
  stop_web
done

echo "$count machines, wrk ${seconds}s x $connections connections, 2 threads, loopback, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
for database in $databases; do
  echo "-- $database"
  printf '%-48s %10s %10s %10s %14s\n' endpoint 'req/s' 'p50 ms' 'p99 ms' 'server CPU ms'
  read -r _ lr l50 l99 lc <<<"${results[$database.list]}"
  read -r _ fr f50 f99 fc <<<"${results[$database.labelled]}"
  read -r _ hr h50 h99 hc <<<"${results[$database.health]}"
  printf '%-48s %10s %10s %10s %14s\n' "GET /api/v1/machines?limit=100" "$lr" "$l50" "$l99" "$lc"
  printf '%-48s %10s %10s %10s %14s\n' "GET /api/v1/machines?limit=100&label=tier=3" "$fr" "$f50" "$f99" "$fc"
  printf '%-48s %10s %10s %10s %14s\n' "GET /healthz" "$hr" "$h50" "$h99" "$hc"
  python3 -c "print(f'list/healthz throughput ratio: {$lr/$hr:.3f}  (p50 x{$l50/max($h50,0.001):.1f}); server CPU per request: list {$lc} ms = {$lc/max($hc,0.0001):.0f}x healthz')"
  python3 -c "print(f'label-filtered/unfiltered: throughput {$fr/$lr:.2f}, server CPU per request {$fc/max($lc,0.0001):.2f}')"
done

if [[ -n "${results[sqlite.list]:-}" && -n "${results[postgres.list]:-}" ]]; then
  echo "-- postgres / sqlite"
  for what in list labelled health; do
    read -r _ sr s50 _ sc <<<"${results[sqlite.$what]}"
    read -r _ pr p50 _ pc <<<"${results[postgres.$what]}"
    python3 -c "print(f'{\"$what\":<10} throughput {$pr/$sr:.2f}, p50 {$p50/max($s50,0.001):.2f}, web CPU per request {$pc/max($sc,0.0001):.2f}')"
  done
fi
