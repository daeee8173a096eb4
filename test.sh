#!/usr/bin/env bash
# Runs Ringmaster's whole test suite on a Debian 12 machine with the .NET 10 SDK:
# installs what the tests need from Debian's packages (only what is missing), prepares the
# container engine, builds, runs every test project (and the database-bound web tests again on
# PostgreSQL), and ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DEBIAN_FRONTEND=noninteractive

log() { printf '==> %s\n' "$*"; }

# Debian packages the tests use: the container engine and its runtime, the guest userland, QEMU
# and what makes its x86_64 images, cloud-init seeds and the installer ISO (isolinux), promtool (package prometheus: the parser the
# /metrics test reads the exposition with), PostgreSQL, Redis and nginx (the inventory, backplane and
# proxy tests start servers of their own on them; the system's services are not used), and the
# browser the end-to-end tests drive.
packages=(podman runc busybox-static e2fsprogs cpio qemu-system-x86 qemu-utils debootstrap genisoimage isolinux syslinux-common openssh-client prometheus postgresql redis-server nginx)
if [ -d tests/Browser.Tests ]; then packages+=(chromium); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing from Debian: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -f scripts/setup-podman.sh ]; then
  log "preparing Podman"
  bash scripts/setup-podman.sh
fi

# Debian's own riscv64 kernel is not committed (40 MB): the emulator's boot test fetches it once
# into .state/images/debian through a private apt state (the host's apt set-up is untouched).
if [ ! -f .state/images/debian/Image ]; then
  log "building the Debian-kernel guest image"
  bash scripts/build-images.sh debian
fi

# The x86_64 images of the QEMU tests (not committed): Debian's amd64 kernel with a busybox
# initramfs (seconds), and a debootstrap'd Debian 12 disk with cloud-init (a few minutes).
images=${RINGMASTER_IMAGES:-.state/images}
if [ ! -f "$images/x86-small/vmlinuz" ]; then
  log "building the x86-small guest image"
  bash scripts/build-images.sh x86-small
fi
if [ ! -f "$images/debian-12/disk.qcow2" ]; then
  log "building the debian-12 guest image"
  bash scripts/build-images.sh debian-12
fi

# Tools the tests run: dotnet tools (dotnet-ef, Kiota for the generated-client test) and Redocly's
# linter for the OpenAPI document (npm, pinned by its package-lock.json).
log "restoring test tools"
dotnet tool restore >/dev/null
if [ ! -x tools/openapi-lint/node_modules/.bin/redocly ]; then
  (cd tools/openapi-lint && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

results="$PWD/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

log "building"
dotnet build Console.sln -c Release -nologo -v:q

log "testing"
status=0
dotnet test Console.sln -c Release --no-build -nologo -v:q \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@" || status=$?

# The default database is SQLite; the tests where the database decides what a user gets run again on
# PostgreSQL (a server of the tests' own): what each project sees (scoped queries), a quota under 20
# parallel creates, hostile and NUL input, operations settled after a crash, times, schedules and
# idempotency keys. The rest of the web tests pass on it too (RINGMASTER_TEST_DATABASE=postgres
# dotnet test tests/Web.Tests) but take 35 minutes; the store's own PostgreSQL tests run above.
# Skipped when a filter or other arguments were given, or with RINGMASTER_TEST_POSTGRES=0.
on_postgres=(Access.QuotaTests Access.TenancyTests Access.CrossProjectTests Access.PermissionMatrixTests
  Access.ProjectScopeTests HostileInputTests NulTextTests InterruptedOperationTests AlertsTests
  MetricsHistoryTests SchedulesTests IdempotencyTests)
if [ $# -eq 0 ] && [ "${RINGMASTER_TEST_POSTGRES:-1}" != 0 ]; then
  log "testing the web on PostgreSQL: ${on_postgres[*]}"
  filter=$(printf 'FullyQualifiedName~Ringmaster.Web.Tests.%s|' "${on_postgres[@]}")
  RINGMASTER_TEST_DATABASE=postgres dotnet test tests/Web.Tests -c Release --no-build -nologo -v:q \
    --filter "${filter%|}" --logger "trx" --logger "console;verbosity=normal" \
    --results-directory "$results/postgres" || status=$?
fi

passed=0
failed=0
for trx in "$results"/*.trx "$results"/postgres/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
if [ "$failed" -gt 0 ]; then
  # Name each failed test and its message at the end, where a truncated log still shows them.
  echo "Failed tests:"
  for trx in "$results"/*.trx "$results"/postgres/*.trx; do
    [ -e "$trx" ] || continue
    case "$trx" in "$results"/postgres/*) label="on PostgreSQL: " ;; *) label="" ;; esac
    LABEL="$label" perl -0777 -ne '
      while (/<UnitTestResult\b[^>]*?testName="([^"]*)"[^>]*?outcome="Failed"[^>]*>(.*?)<\/UnitTestResult>/gs) {
        my ($name, $body) = ($1, $2);
        my ($msg) = $body =~ /<Message>(.*?)<\/Message>/s;
        $msg = defined $msg ? substr($msg, 0, 600) : "";
        for ($name, $msg) { s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&apos;/\x27/g; s/&amp;/&/g; }
        print "  $ENV{LABEL}$name\n";
        print map { "    $_\n" } split /\n/, $msg;
      }' "$trx"
  done
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The run broke without a failed test to show for it (a build error, a crashed test host).
  echo "dotnet test exited with status $status"
  failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
