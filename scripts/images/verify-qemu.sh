#!/usr/bin/env bash
# Boot a guest image in Debian's qemu-system-riscv64 and check it: shell prompt, riscv64,
# rv64imafdc, hart count with -smp 1 and -smp 2, a virtio-blk disk at /mnt, poweroff ends QEMU.
#
#   scripts/images/verify-qemu.sh [default|debian] [IMAGE_DIR]
#
# default: images/default (Image.gz is gunzipped to a temp file, 256 MiB);
# debian:  ${RINGMASTER_IMAGES:-.state/images}/debian (512 MiB; its virtio and ext4 modules come from the initramfs).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
name=${1:-default}
case "$name" in
    default) dir=${2:-$REPO/images/default}; mem=256M ;;
    debian) dir=${2:-${RINGMASTER_IMAGES:-$REPO/.state/images}/debian}; mem=512M ;;
    *) echo "usage: $0 [default|debian] [IMAGE_DIR]" >&2; exit 2 ;;
esac
command -v qemu-system-riscv64 >/dev/null || { echo "qemu-system-riscv64 missing (apt-get install qemu-system-misc)" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
if [ -f "$dir/Image.gz" ]; then gzip -dc "$dir/Image.gz" > "$work/Image"; else cp "$dir/Image" "$work/Image"; fi
(cd "$dir" && sha256sum --quiet -c --ignore-missing SHA256SUMS)
want=$(awk '$2=="Image" {print $1}' "$dir/SHA256SUMS")
[ "$(sha256sum < "$work/Image" | cut -d' ' -f1)" = "$want" ] || { echo "kernel Image does not match SHA256SUMS" >&2; exit 1; }
console="$REPO/scripts/images/guest-console.py"
base=(qemu-system-riscv64 -machine virt -m "$mem" -nographic -no-reboot -bios "$dir/fw_dynamic.bin"
      -kernel "$work/Image" -initrd "$dir/initramfs.cpio.gz" -append "console=ttyS0")

echo "== $name, -smp 1"
python3 "$console" --quiet --json --timeout 120 --log "$work/smp1.log" \
    --check 'uname -m=^riscv64' \
    --check 'cat /proc/cpuinfo=isa[ \t]*: rv64imafdc' \
    --check 'grep -c ^processor /proc/cpuinfo=^1\r?$' \
    -- "${base[@]}" -smp 1 || { tail -n 30 "$work/smp1.log"; exit 1; }

echo "== $name, -smp 2"
extra=() checks=(--check 'grep -c ^processor /proc/cpuinfo=^2\r?$')
if true; then
    mkdir -p "$work/disk" && echo ringmaster-disk-ok > "$work/disk/probe.txt"
    "$REPO/scripts/make-disk.sh" "$work/disk.img" 8 "$work/disk" >/dev/null
    extra=(-drive "file=$work/disk.img,if=none,format=raw,id=hd0" -device virtio-blk-device,drive=hd0
           -device virtio-rng-device)
    checks+=(--check 'cat /mnt/probe.txt=^ringmaster-disk-ok' --check 'head -c 8 /dev/hwrng | wc -c=^8\r?$')
fi
python3 "$console" --quiet --json --timeout 120 --log "$work/smp2.log" "${checks[@]}" \
    -- "${base[@]}" -smp 2 "${extra[@]}" || { tail -n 30 "$work/smp2.log"; exit 1; }
echo "== $name: all checks passed"
