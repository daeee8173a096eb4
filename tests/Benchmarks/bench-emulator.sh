#!/usr/bin/env bash
# Emulator benchmark: Ringmaster's RISC-V emulator against Debian's qemu-system-riscv64 (TCG).
#
#   tests/Benchmarks/bench-emulator.sh [--runs N] [--images DIR] [--only qemu|ringmaster] [--timeout S]
#                                      [--emulator-repo DIR]
#
# Figures (each the median of N runs, wall clock on this host):
#   loop MIPS        a bare-metal tight integer loop (tests/Benchmarks/loop/loop.elf, 1,000,000,008
#                    instructions to the `tohost` store). Startup cost is taken out by also running
#                    loop-short.elf (4,008 instructions): MIPS = (I_long - I_short) / (t_long - t_short).
#   loop wall        wall time of loop.elf from launch to exit (includes startup)
#   boot to prompt   launch → the first shell prompt on the serial console, default image
#                    (OpenSBI fw_dynamic + small kernel + busybox initramfs, 1 hart, 256 MiB)
#   boot to exit     launch → process exit after typing `poweroff` at the prompt
#   ... (CPU)        the same from the CPU time (user + system) the process used instead of wall
#                    time: much steadier when other work shares the host's cores
# The ratio column is ringmaster ÷ qemu (MIPS: higher is better; times: lower is better).
#
# QEMU runs with TCG, no -icount. The Ringmaster side runs the project's runner
# (src/Agents/Emulator.Cli, built once in Release before timing, then `dotnet run --no-build`;
# --emulator-repo or RINGMASTER_EMU_REPO points at another checkout) with the guest's UART on
# stdin/stdout; when it cannot be built or run, its column says why; no figure is made up.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUNS=5
IMAGES="$REPO/images/default"
ONLY=""
TIMEOUT=300
EMU_REPO=${RINGMASTER_EMU_REPO:-}   # checkout holding src/Agents/Emulator.Cli (default: this one)
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --images) IMAGES=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --emulator-repo) EMU_REPO=$2; shift 2 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

CONSOLE="$REPO/scripts/images/guest-console.py"
LOOP="$REPO/tests/Benchmarks/loop/loop.elf"
LOOP_SHORT="$REPO/tests/Benchmarks/loop/loop-short.elf"
LOOP_INSNS=1000000008        # 4 * 250,000,000 + 8 (see loop.S)
LOOP_SHORT_INSNS=4008        # 4 * 1,000 + 8
BOOTARGS="console=ttyS0"
MEM=256M
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

say() { printf '[bench] %s\n' "$*" >&2; }

for f in Image.gz initramfs.cpio.gz fw_dynamic.bin; do
    [ -f "$IMAGES/$f" ] || { say "missing $IMAGES/$f (scripts/build-images.sh default)"; exit 1; }
done
[ -f "$LOOP" ] && [ -f "$LOOP_SHORT" ] || { say "missing loop ELFs (tests/Benchmarks/loop/build.sh)"; exit 1; }
gzip -dc "$IMAGES/Image.gz" > "$WORK/Image"   # QEMU's riscv loader takes a raw Image, not gzip

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) exit 1; if (NR%2) print a[(NR+1)/2]; else printf "%.6f\n", (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }
# cpu_of FILE : user + system seconds recorded by /usr/bin/time -f '%U %S' in FILE
cpu_of() { awk 'NF == 2 && $1 ~ /^[0-9.]+$/ {u = $1; s = $2} END {if (u == "") exit 1; printf "%.3f\n", u + s}' "$1"; }
# time_cmd CMD... : wall seconds of one run, or nothing when the command failed; its CPU seconds go to $WORK/last.cpu
time_cmd() {
    local t0 t1
    t0=$(now)
    if /usr/bin/time -o "$WORK/time.out" -f '%U %S' timeout "$TIMEOUT" "$@" </dev/null >"$WORK/last.out" 2>&1; then
        t1=$(now); echo "$t1 - $t0" | bc -l
        cpu_of "$WORK/time.out" >"$WORK/last.cpu"
    fi
}

# Figures end up in these associative arrays, keyed by figure name.
declare -A QEMU RM
declare -A RM_NOTE
FIGURES=("loop MIPS" "loop MIPS (CPU)" "loop wall (s)" "boot to prompt (s)" "boot to exit (s)" "boot to exit CPU (s)")

# bench_loop ARRAY LOOPCMD... : fills the array; the ELF is appended as the last argument.
bench_loop() {
    local -n out=$1; local name=$1; shift
    local i t long=() short=() clong=() cshort=()
    for ((i = 0; i < RUNS; i++)); do
        t=$(time_cmd "$@" "$LOOP") || true
        [ -n "$t" ] || { out[error]="loop run failed: $(tail -n 3 "$WORK/last.out" | tr '\n' ' ')"; return 1; }
        long+=("$t")
        clong+=("$(cat "$WORK/last.cpu")")
        cp "$WORK/last.out" "$WORK/$name-loop.out"
        t=$(time_cmd "$@" "$LOOP_SHORT") || true
        [ -n "$t" ] || { out[error]="short loop run failed: $(tail -n 3 "$WORK/last.out" | tr '\n' ' ')"; return 1; }
        short+=("$t")
        cshort+=("$(cat "$WORK/last.cpu")")
    done
    local cl cs
    cl=$(printf '%s\n' "${clong[@]}" | median)
    cs=$(printf '%s\n' "${cshort[@]}" | median)
    if [ "$(echo "$cl > $cs" | bc -l)" = 1 ]; then
        out["loop MIPS (CPU)"]=$(echo "($LOOP_INSNS - $LOOP_SHORT_INSNS) / ($cl - $cs) / 1000000" | bc -l | xargs printf '%.0f')
    fi
    local tl ts
    tl=$(printf '%s\n' "${long[@]}" | median)
    ts=$(printf '%s\n' "${short[@]}" | median)
    out["loop wall (s)"]=$(printf '%.3f' "$tl")
    out["loop MIPS"]=$(echo "($LOOP_INSNS - $LOOP_SHORT_INSNS) / ($tl - $ts) / 1000000" | bc -l | xargs printf '%.0f')
}

# bench_boot ARRAY BOOTCMD... : the command must put the guest console on stdin/stdout.
bench_boot() {
    local -n out=$1; shift
    local i j p=() e=() c=()
    for ((i = 0; i < RUNS; i++)); do
        rm -f "$WORK/boot.time"
        if ! j=$(python3 "$CONSOLE" --quiet --json --timeout "$TIMEOUT" --log "$WORK/boot.log" -- /usr/bin/time -o "$WORK/boot.time" -f '%U %S' "$@"); then
            out[error]="boot run failed: $(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("error",""))' "$j" 2>/dev/null) $(tail -c 300 "$WORK/boot.log" 2>/dev/null | tr '\r\n' '  ')"
            return 1
        fi
        p+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["prompt_seconds"])' "$j")")
        e+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["exit_seconds"])' "$j")")
        cpu_of "$WORK/boot.time" >/dev/null 2>&1 && c+=("$(cpu_of "$WORK/boot.time")")
    done
    [ ${#c[@]} -gt 0 ] && out["boot to exit CPU (s)"]=$(printf '%s\n' "${c[@]}" | median | xargs printf '%.3f')
    out["boot to prompt (s)"]=$(printf '%s\n' "${p[@]}" | median | xargs printf '%.3f')
    out["boot to exit (s)"]=$(printf '%s\n' "${e[@]}" | median | xargs printf '%.3f')
}

# ------------------------------------------------------------------ QEMU (reference)
if [ "$ONLY" != ringmaster ]; then
    if command -v qemu-system-riscv64 >/dev/null; then
        say "qemu: $(qemu-system-riscv64 --version | head -n1), $RUNS runs each"
        Q=(qemu-system-riscv64 -machine virt -nographic -no-reboot -accel tcg)
        bench_loop QEMU "${Q[@]}" -m 128M -bios none -kernel
        bench_boot QEMU "${Q[@]}" -m "$MEM" -smp 1 -bios "$IMAGES/fw_dynamic.bin" -kernel "$WORK/Image" \
            -initrd "$IMAGES/initramfs.cpio.gz" -append "$BOOTARGS"
    else
        QEMU[error]="qemu-system-riscv64 not installed (apt-get install qemu-system-misc)"
    fi
fi

# ------------------------------------------------------------------ Ringmaster
CLI="${EMU_REPO:-$REPO}/src/Agents/Emulator.Cli"
if [ "$ONLY" != qemu ]; then
    if ! command -v dotnet >/dev/null; then
        RM[error]="dotnet not found"
    elif ! ls "$CLI"/*.cs >/dev/null 2>&1; then
        RM[error]="the runner has no sources yet in this worktree ($CLI)"
    else
        say "ringmaster: building $CLI (Release)"
        if ! dotnet build "$CLI" -c Release -v quiet -nologo >"$WORK/build.out" 2>&1; then
            RM[error]="runner does not build: $(grep -m1 -E 'error' "$WORK/build.out")"
        else
            R=(dotnet run --no-build --project "$CLI" -c Release --)
            bench_loop RM "${R[@]}" --stats --timeout "$TIMEOUT" --max-instructions 2000000000 --elf || true
            [ -f "$WORK/RM-loop.out" ] && RM_NOTE[loop]=$(grep -iE 'mips|instr' "$WORK/RM-loop.out" | tail -n 3 | tr '\n' ' ')
            if [ -z "${RM[error]:-}" ]; then
                bench_boot RM "${R[@]}" --kernel "$IMAGES/Image.gz" --initrd "$IMAGES/initramfs.cpio.gz" \
                    --firmware "$IMAGES/fw_dynamic.bin" --memory 256 --smp 1 --append "$BOOTARGS" \
                    --timeout "$TIMEOUT" || true
            fi
        fi
    fi
fi

# ------------------------------------------------------------------ table
ratio() {
    [ -n "$1" ] && [ -n "$2" ] || { echo "-"; return; }
    echo "$1 / $2" | bc -l | xargs printf '%.3f'
}
printf '\n%-20s %14s %14s %14s\n' "figure" "ringmaster" "qemu" "ratio(rm/qemu)"
printf '%-20s %14s %14s %14s\n' "------" "----------" "----" "--------------"
for f in "${FIGURES[@]}"; do
    r=${RM[$f]:-}; q=${QEMU[$f]:-}
    printf '%-20s %14s %14s %14s\n' "$f" "${r:-n/a}" "${q:-n/a}" "$(ratio "$r" "$q")"
done
echo
echo "host: $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg) (figures are noisy when the load exceeds the cores)"
echo "runs per figure: $RUNS; loop: $LOOP_INSNS instructions; boot: $(basename "$IMAGES") image, 1 hart, $MEM, bootargs '$BOOTARGS'"
[ -n "${QEMU[error]:-}" ] && echo "qemu: figures marked n/a NOT MEASURED — ${QEMU[error]}"
[ -n "${RM[error]:-}" ] && echo "ringmaster: figures marked n/a NOT MEASURED — ${RM[error]}"
[ "$ONLY" = qemu ] && echo "ringmaster: skipped (--only qemu)"
[ "$ONLY" = ringmaster ] && echo "qemu: skipped (--only ringmaster)"
[ -n "${RM_NOTE[loop]:-}" ] && echo "ringmaster --stats (last loop.elf run): ${RM_NOTE[loop]}"
exit 0
