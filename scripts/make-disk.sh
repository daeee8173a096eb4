#!/usr/bin/env bash
# Make an ext4 disk image for a guest, without mounting anything (mke2fs -d).
#
#   scripts/make-disk.sh OUT.img SIZE_MIB [DIR]
#
# DIR (optional) is copied into the file system's root. The guest's init mounts /dev/vda at /mnt.
# E2FS_LABEL sets the label (default "ringmaster").
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    sed -n '2,7p' "$0" >&2; exit 2
fi
out=$1 size=$2 dir=${3:-}
case "$size" in ''|*[!0-9]*) echo "make-disk: SIZE_MIB must be a whole number of MiB" >&2; exit 2 ;; esac
[ "$size" -ge 2 ] || { echo "make-disk: SIZE_MIB must be at least 2" >&2; exit 2; }
[ -z "$dir" ] || [ -d "$dir" ] || { echo "make-disk: $dir is not a directory" >&2; exit 2; }
command -v mke2fs >/dev/null || { echo "make-disk: mke2fs not found (apt-get install e2fsprogs)" >&2; exit 1; }

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
rm -f "$tmp"
truncate -s "${size}M" "$tmp"
args=(-q -F -t ext4 -L "${E2FS_LABEL:-ringmaster}" -m 0 -E root_owner=0:0)
# Small images: 1 KiB blocks would be wasteful of inodes; 4 KiB blocks, no resize reservation.
args+=(-b 4096 -O ^resize_inode)
[ -n "$dir" ] && args+=(-d "$dir")
mke2fs "${args[@]}" "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "$out: ext4, ${size} MiB${dir:+, from $dir}"
