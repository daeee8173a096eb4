#!/usr/bin/env bash
# Sets up Podman for Ringmaster's container driver on Debian 12, as root. Idempotent; needs no stdin.
#  - installs podman, runc (crun fails on a hybrid cgroup layout), busybox-static (the built-in image) and curl (the socket check),
#  - writes Ringmaster's engine settings as a containers.conf drop-in (the main file when the drop-in is not honoured),
#  - starts the Docker-compatible API socket when nothing answers on it, and checks `podman info`.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

SOCKET=/run/podman/podman.sock
LOG=/var/log/ringmaster-podman-service.log
DROPIN_DIR=/etc/containers/containers.conf.d
DROPIN=$DROPIN_DIR/ringmaster.conf
MAIN=/etc/containers/containers.conf

log() { echo "setup-podman: $*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-podman: must run as root" >&2
  exit 1
fi

# 1. Packages (apt-get update only when something is missing).
PKGS=(podman runc busybox-static curl)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -q </dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi

# 2. Engine settings. As root Podman asks runc for 1048576 open files and processes, which fails
# where the hard limits are lower; the defaults here stay at or below this shell's hard limits.
cap() { local hard=$1 want=$2; if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then echo "$hard"; else echo "$want"; fi; }
nofile=$(cap "$(ulimit -Hn)" 16384)
nproc=$(cap "$(ulimit -Hu)" 16384)
conf=$(cat <<CONF
# Written by Ringmaster's scripts/setup-podman.sh.
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
)

changed=0
mkdir -p "$DROPIN_DIR"
if [ ! -f "$DROPIN" ] || [ "$(cat "$DROPIN")" != "$conf" ]; then
  printf '%s\n' "$conf" > "$DROPIN"
  log "wrote $DROPIN"
  changed=1
fi

# Does this Podman read the drop-in? Ask it which runtime and cgroup manager it uses.
honoured() {
  local info
  info=$(podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}} {{.Host.EventLogger}}' 2>/dev/null) || return 1
  [ "$info" = "runc cgroupfs file" ]
}
if ! honoured; then
  log "the drop-in is not honoured here; writing $MAIN"
  if [ -f "$MAIN" ] && ! grep -q "Ringmaster's scripts/setup-podman.sh" "$MAIN"; then
    cp -n "$MAIN" "$MAIN.before-ringmaster"
  fi
  printf '%s\n' "$conf" > "$MAIN"
  changed=1
  if ! honoured; then
    echo "setup-podman: podman does not use runc/cgroupfs/file events even with $MAIN:" >&2
    podman info >&2 || true
    exit 1
  fi
fi

# 3. The Docker-compatible API socket.
answers() {
  curl -fsS --max-time 3 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1
}
PIDFILE=/run/podman/ringmaster-service.pid
# A service this script started earlier read the old settings: restart it.
if [ "$changed" = 1 ] && [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  log "settings changed; restarting the podman service this script started (pid $(cat "$PIDFILE"))"
  kill "$(cat "$PIDFILE")" || true
  for _ in $(seq 1 50); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.1; done
elif [ "$changed" = 1 ] && answers; then
  log "warning: settings changed while a podman service this script did not start answers on $SOCKET; restart it to apply them"
fi
# A service can answer and still fail every container start ("write child: broken pipe"), as seen
# after hours of test runs: start a throwaway container through it and restart it when that fails.
starts() {
  local image
  image=$(podman images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -m1 busybox) || return 0
  timeout 60 podman --remote --url "unix://$SOCKET" run --rm --net none "$image" true >/dev/null 2>&1
}
if answers && ! starts; then
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    log "the podman service answers but cannot start containers; restarting it (pid $(cat "$PIDFILE"))"
    kill "$(cat "$PIDFILE")" || true
    for _ in $(seq 1 50); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$(cat "$PIDFILE")" 2>/dev/null || true
    for _ in $(seq 1 50); do answers || break; sleep 0.1; done
  else
    log "warning: the podman service on $SOCKET answers but cannot start containers, and this script did not start it; restart it"
  fi
fi
if ! answers; then
  mkdir -p "$(dirname "$SOCKET")"
  rm -f "$SOCKET"
  log "starting podman system service on unix://$SOCKET (log: $LOG)"
  nohup setsid podman system service --time=0 "unix://$SOCKET" </dev/null >>"$LOG" 2>&1 &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 100); do
    answers && break
    sleep 0.2
  done
  if ! answers; then
    echo "setup-podman: the API socket $SOCKET does not answer; see $LOG" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
fi

# 4. Check.
podman info --format 'setup-podman: podman {{.Version.Version}}, runtime {{.Host.OCIRuntime.Name}}, cgroups {{.Host.CgroupManager}} ({{.Host.CgroupsVersion}}), events {{.Host.EventLogger}}'
log "API socket answers at unix://$SOCKET"
