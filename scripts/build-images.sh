#!/usr/bin/env bash
# Build Ringmaster's guest images from Debian's packages: RISC-V ones for the emulator, x86_64
# ones for QEMU.
#
#   scripts/build-images.sh [default|debian|initramfs|all|x86-small|debian-12]     (default: default)
#
#   default    small kernel from bookworm's linux-source-6.1 (tinyconfig + scripts/images/kernel.config),
#              cross-built with gcc-riscv64-linux-gnu, plus the busybox initramfs and Debian's OpenSBI
#              fw_dynamic.bin  ->  images/default/  (committed: Image.gz, initramfs.cpio.gz,
#              fw_dynamic.bin, SHA256SUMS, manifest.json, config-fragment)
#   debian     Debian's own riscv64 distribution kernel with the same initramfs
#              ->  ${RINGMASTER_IMAGES:-<repo>/.state/images}/debian/   (not committed, ~40 MB)
#   initramfs  only the busybox initramfs and firmware (into images/default/)
#   all        default, then debian
#   x86-small  Debian's amd64 kernel (linux-image-amd64, the host's suite) and a busybox-static amd64
#              initramfs: a shell on ttyS0; the ACPI power button powers it off (busybox acpid)
#              ->  ${RINGMASTER_IMAGES:-<repo>/.state/images}/x86-small/   (not committed, ~10 MB)
#   debian-12  a bookworm qcow2 disk made with debootstrap (minbase + systemd, udev, openssh-server,
#              cloud-init reading a NoCloud "cidata" seed, qemu-guest-agent, dbus, the kernel and
#              initramfs-tools), with its vmlinuz and initrd.img beside it for direct kernel boot
#              ->  ${RINGMASTER_IMAGES:-<repo>/.state/images}/debian-12/   (not committed, ~700 MB)
#
# Runs as root on Debian 12 (bookworm); installs the host tools it needs with apt-get. riscv64
# packages come from Debian's archive through a private apt state under <repo>/.state/apt (the
# host's own apt set-up is not touched). The mirror is the one the host's apt sources use, or
# $RINGMASTER_DEBIAN_MIRROR. Suites are tried in the order trixie, forky, sid (or
# $RINGMASTER_DEBIAN_SUITES, space separated) until one gives a bootable image: a suite whose index
# cannot be fetched or whose kernel packages give no RISC-V Image falls through to the next. Both
# kernel package layouts are read (scripts/images/kernel-layout.py); manifest.json records the
# suite, the layout and every package used, with checksums.
# x86_64 images use the host's own architecture and apt sources (amd64, bookworm): packages are
# fetched with `apt-get download`, debootstrap reads the host's Debian mirror.
# Idempotent: the kernel tree and downloaded packages are reused; outputs are rewritten.
#
# Environment: RINGMASTER_DEBIAN_MIRROR, RINGMASTER_DEBIAN_SUITES, RINGMASTER_STATE (work dir,
# default <repo>/.state), RINGMASTER_IMAGES (output dir for non-committed images),
# RINGMASTER_JOBS (make -j, default 2), RINGMASTER_DEBIAN12_DISK (debian-12's disk size, default 2G).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HERE="$REPO/scripts/images"
STATE=${RINGMASTER_STATE:-$REPO/.state}
OUT_DEFAULT="$REPO/images/default"
OUT_EXTRA=${RINGMASTER_IMAGES:-$REPO/.state/images}
JOBS=${RINGMASTER_JOBS:-2}
SUITES=${RINGMASTER_DEBIAN_SUITES:-"trixie forky sid"}
KERNEL_SOURCE_PKG=linux-source-6.1
# Kernel command line that boots on the virt board (QEMU and Ringmaster). The kernel also carries
# it as its built-in fallback (CONFIG_CMDLINE), used when the loader passes none.
BOOTARGS="console=ttyS0"
TARGET=${1:-default}

log() { printf '\033[1m[build-images]\033[0m %s\n' "$*" >&2; }
die() { printf '[build-images] ERROR: %s\n' "$*" >&2; exit 1; }

case "$TARGET" in default|debian|initramfs|all|x86-small|debian-12) ;; -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
    *) die "unknown target '$TARGET' (default|debian|initramfs|all|x86-small|debian-12)" ;; esac
[ "$(id -u)" = 0 ] || die "run as root (apt-get installs host tools; dpkg -x keeps ownership simple)"

# ---------------------------------------------------------------- host tools
ensure_host_packages() {
    # Fetching Debian's packages and packing the initramfs takes only Python and apt; building the
    # small kernel (default, all) takes the cross toolchain and the kernel source too.
    local want=(xz-utils gzip python3 debian-archive-keyring ca-certificates)
    case "$TARGET" in
        x86-small) want+=(cpio) ;;
        debian-12) want+=(debootstrap e2fsprogs qemu-utils) ;;
    esac
    if [ "$TARGET" = default ] || [ "$TARGET" = all ]; then
        want+=(gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu make bc flex bison libssl-dev libelf-dev cpio e2fsprogs "$KERNEL_SOURCE_PKG")
    fi
    local missing=() p
    for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing host packages: ${missing[*]}"
        local install=(env -u APT_CONFIG DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
        # A fresh machine may have no package lists yet: read them once, then install.
        "${install[@]}" install -y --no-install-recommends "${missing[@]}" \
            || { "${install[@]}" update && "${install[@]}" install -y --no-install-recommends "${missing[@]}"; }
    fi
}

# ---------------------------------------------------------------- Debian riscv64 packages (private apt)
# The Debian mirror the host is configured with: first "…/debian" URI in the host's apt sources.
detect_mirror() {
    if [ -n "${RINGMASTER_DEBIAN_MIRROR:-}" ]; then echo "${RINGMASTER_DEBIAN_MIRROR%/}"; return; fi
    local files=() f uri
    [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && files+=("$f"); done
    for f in "${files[@]}"; do
        case "$f" in
            *.sources) uri=$(awk 'tolower($1)=="uris:" {for (i=2;i<=NF;i++) print $i}' "$f") ;;
            *) uri=$(awk '$1=="deb" || $1=="deb-src" { for (i=2;i<=NF;i++) if ($i !~ /^\[/ && $i !~ /\]$/ && $i ~ /:\/\//) { print $i; break } }' "$f") ;;
        esac
        uri=$(printf '%s\n' "$uri" | grep -E '^(https?|file)://[^ ]*/debian/?$' | head -n1 || true)
        if [ -n "$uri" ]; then echo "${uri%/}"; return; fi
    done
    die "no Debian mirror found in the host's apt sources; set RINGMASTER_DEBIAN_MIRROR"
}

APTDIR="$STATE/apt"
MIRROR=""
SUITE=""
setup_apt() {
    [ -n "$SUITE" ] && return
    MIRROR=$(detect_mirror)
    mkdir -p "$APTDIR"/{state/lists/partial,cache/archives/partial,etc/apt.conf.d,etc/preferences.d,debs}
    : > "$APTDIR/state/status"
    cat > "$APTDIR/apt.conf" <<EOF
Dir::State "$APTDIR/state";
Dir::State::status "$APTDIR/state/status";
Dir::Cache "$APTDIR/cache";
Dir::Etc::SourceList "$APTDIR/etc/sources.list";
Dir::Etc::SourceParts "/dev/null";
Dir::Etc::Parts "$APTDIR/etc/apt.conf.d";
Dir::Etc::PreferencesParts "$APTDIR/etc/preferences.d";
Dir::Etc::Preferences "/dev/null";
APT::Architecture "riscv64";
APT::Architectures { "riscv64"; };
APT::Get::List-Cleanup "true";
Acquire::Languages "none";
Acquire::Retries "2";
APT::Sandbox::User "root";
EOF
    # Carry over the host's release-date policy (a host on a frozen mirror snapshot turns the
    # Valid-Until check off; signatures are still verified with Debian's archive keyring).
    local hostcfg
    hostcfg=$(env -u APT_CONFIG apt-config dump 2>/dev/null | grep -E '^Acquire::Check-(Valid-Until|Date) ' || true)
    [ -z "$hostcfg" ] || printf '%s\n' "$hostcfg" >> "$APTDIR/apt.conf"
    export APT_CONFIG="$APTDIR/apt.conf"
    local s out
    for s in $SUITES; do
        echo "deb [arch=riscv64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $s main" > "$APTDIR/etc/sources.list"
        log "apt-get update: riscv64 packages from suite '$s'"
        if out=$(apt-get update 2>&1) && ! grep -qE '^(E|W): ' <<<"$out"; then
            SUITE=$s
            log "using suite $s"
            return
        fi
        printf '%s\n' "$out" | grep -E '^(E|W): ' | head -n 5 >&2 || true
        log "suite $s failed; trying the next"
    done
    die "no suite among '$SUITES' could be fetched"
}

# fetch PKG -> echo path of the .deb (downloaded once per version, into $APTDIR/debs)
fetch_deb() {
    local pkg=$1 ver deb
    ver=$(apt-cache show --no-all-versions "$pkg" | awk '/^Version:/ {print $2; exit}')
    [ -n "$ver" ] || die "package $pkg not found in $SUITE"
    deb=$(ls "$APTDIR/debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ]; then
        (cd "$APTDIR/debs" && apt-get download "$pkg=$ver" >&2) || die "apt-get download $pkg=$ver failed"
        deb=$(ls "$APTDIR/debs/${pkg}_${ver//:/%3a}_"*.deb | head -n1)
    fi
    # Check the download against the index.
    local want got
    want=$(apt-cache show --no-all-versions "$pkg" | awk '/^SHA256:/ {print $2; exit}')
    got=$(sha256sum "$deb" | cut -d' ' -f1)
    [ "$want" = "$got" ] || die "$deb: sha256 $got does not match the index ($want)"
    echo "$deb"
}

# JSON object describing a .deb: {"package","version","architecture","file","sha256"}
deb_json() {
    local deb=$1
    python3 - "$deb" "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)" \
        "$(dpkg-deb -f "$deb" Architecture)" "$(sha256sum "$deb" | cut -d' ' -f1)" <<'EOF'
import json, os, sys
deb, pkg, ver, arch, sha = sys.argv[1:]
print(json.dumps({"package": pkg, "version": ver, "architecture": arch,
                  "file": os.path.basename(deb), "sha256": sha}))
EOF
}

# ---------------------------------------------------------------- firmware + initramfs (shared)
FW_JSON=""
BB_JSON=""
fetch_firmware_and_busybox() {
    setup_apt
    local sbi bb x
    sbi=$(fetch_deb opensbi)
    bb=$(fetch_deb busybox-static)
    x="$STATE/extract"
    rm -rf "$x/opensbi" "$x/busybox"; mkdir -p "$x/opensbi" "$x/busybox"
    dpkg-deb -x "$sbi" "$x/opensbi"
    dpkg-deb -x "$bb" "$x/busybox"
    FW_DYNAMIC="$x/opensbi/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
    BUSYBOX="$x/busybox/usr/bin/busybox"
    [ -f "$FW_DYNAMIC" ] || FW_DYNAMIC=$(find "$x/opensbi" -path '*generic/fw_dynamic.bin' | head -n1)
    [ -f "$FW_DYNAMIC" ] || die "fw_dynamic.bin not found in $(basename "$sbi")"
    [ -f "$BUSYBOX" ] || BUSYBOX=$(find "$x/busybox" -name busybox -type f | head -n1)
    [ -f "$BUSYBOX" ] || die "busybox not found in $(basename "$bb")"
    FW_JSON=$(deb_json "$sbi")
    BB_JSON=$(deb_json "$bb")
}

INITRAMFS="$STATE/initramfs.cpio.gz"
build_initramfs() {
    fetch_firmware_and_busybox
    local spec="$STATE/initramfs.spec" raw="$STATE/initramfs.cpio" d
    {
        for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /etc /proc /sys /tmp /mnt /root /run /var; do
            echo "dir $d 0755 0 0"
        done
        echo "nod /dev/console 0600 0 0 c 5 1"
        echo "nod /dev/null 0666 0 0 c 1 3"
        echo "file /bin/busybox $BUSYBOX 0755 0 0"
        echo "slink /bin/sh busybox 0777 0 0"
        echo "file /init $HERE/init 0755 0 0"
        # init lives in /sbin; the rest of the applets are linked by `busybox --install -s` at boot
        echo "slink /sbin/init ../bin/busybox 0777 0 0"
        for f in "$HERE"/rootfs/etc/*; do echo "file /etc/$(basename "$f") $f 0644 0 0"; done
    } > "$spec"
    python3 "$HERE/mkcpio.py" "$spec" "$raw"
    gzip -9 -n -c "$raw" > "$INITRAMFS.tmp" && mv "$INITRAMFS.tmp" "$INITRAMFS"
    log "initramfs: $(stat -c %s "$INITRAMFS") bytes (busybox $(jq_field "$BB_JSON" version))"
}

jq_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# ---------------------------------------------------------------- (a) the small default kernel
KSRC=""
build_small_kernel() {
    local srcpkg_ver tarball kdir="$STATE/kbuild"
    srcpkg_ver=$(dpkg-query -W -f='${Version}' "$KERNEL_SOURCE_PKG")
    tarball=/usr/src/$KERNEL_SOURCE_PKG.tar.xz
    [ -f "$tarball" ] || die "$tarball missing (is $KERNEL_SOURCE_PKG installed?)"
    KSRC="$kdir/$KERNEL_SOURCE_PKG"
    if [ ! -f "$kdir/.extracted-$srcpkg_ver" ]; then
        log "extracting $tarball"
        rm -rf "$kdir"; mkdir -p "$kdir"
        tar -xf "$tarball" -C "$kdir"
        touch "$kdir/.extracted-$srcpkg_ver"
    fi
    local mk=(make -C "$KSRC" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- KBUILD_BUILD_USER=ringmaster
        KBUILD_BUILD_HOST=ringmaster KBUILD_BUILD_TIMESTAMP="$(date -u -d "@$(stat -c %Y "$tarball")")")
    # tinyconfig + fragment, then olddefconfig; an unchanged result keeps the old .config (and its
    # time stamp) so that make stays incremental.
    [ -f "$KSRC/.config" ] && cp -p "$KSRC/.config" "$kdir/config.previous" || rm -f "$kdir/config.previous"
    "${mk[@]}" -s tinyconfig >/dev/null
    (cd "$KSRC" && ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- \
        scripts/kconfig/merge_config.sh -m .config "$HERE/kernel.config" >/dev/null)
    "${mk[@]}" -s olddefconfig >/dev/null
    local cand="$KSRC/.config"
    # Verify: every CONFIG_X=value in the fragment is in the result, every "is not set" stayed unset.
    local bad=0 line sym
    while IFS= read -r line; do
        case "$line" in
            CONFIG_*=*) grep -qxF -- "$line" "$cand" || { echo "  wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$cand" || echo absent)" >&2; bad=1; } ;;
            "# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}
                ! grep -q "^$sym=" "$cand" || { echo "  wanted $sym off, got: $(grep "^$sym=" "$cand")" >&2; bad=1; } ;;
        esac
    done < "$HERE/kernel.config"
    [ $bad = 0 ] || die "kernel config fragment did not apply (see above)"
    if [ -f "$kdir/config.previous" ] && cmp -s "$kdir/config.previous" "$cand"; then
        cp -p "$kdir/config.previous" "$cand"
    fi
    log "building Image with -j$JOBS (several minutes)"
    nice -n 10 "${mk[@]}" -j"$JOBS" Image >"$kdir/build.log" 2>&1 || { tail -n 30 "$kdir/build.log" >&2; die "kernel build failed (log: $kdir/build.log)"; }
    KERNEL_VERSION=$("${mk[@]}" -s kernelrelease)
    KERNEL_SOURCE_VERSION=$srcpkg_ver
    GCC_VERSION=$(riscv64-linux-gnu-gcc -dumpfullversion)
}

write_sums() { (cd "$1" && shift && sha256sum "$@") ; }

build_default() {
    build_small_kernel
    build_initramfs
    local out="$OUT_DEFAULT" img="$KSRC/arch/riscv/boot/Image"
    mkdir -p "$out"
    rm -f "$out/fw_jump.bin"
    gzip -9 -n -c "$img" > "$out/Image.gz.tmp" && mv "$out/Image.gz.tmp" "$out/Image.gz"
    cp "$INITRAMFS" "$out/initramfs.cpio.gz"
    cp "$FW_DYNAMIC" "$out/fw_dynamic.bin"
    cp "$HERE/kernel.config" "$out/config-fragment"
    local image_sha cfg_sha
    image_sha=$(sha256sum "$img" | cut -d' ' -f1)
    cfg_sha=$(sha256sum "$KSRC/.config" | cut -d' ' -f1)
    python3 - "$out/manifest.json" <<EOF
import json, sys
m = {
  "name": "default",
  "description": "Small Linux kernel (bookworm linux-source-6.1, tinyconfig + config-fragment) with a busybox initramfs, booted through OpenSBI fw_dynamic on a virt board",
  "arch": "riscv64",
  "isa": "rv64imafdc (rv64gc)",
  "paging": "Sv39 needed; Linux 6.1 probes Sv57, then Sv48, then Sv39 through satp (WARL)",
  "bootargs": "$BOOTARGS",
  "firmware": "fw_dynamic.bin",
  "kernel": {"file": "Image.gz", "format": "raw RISC-V Image, gzip -9", "release": "$KERNEL_VERSION",
             "image_size": $(stat -c %s "$img"), "image_sha256": "$image_sha",
             "source_package": {"package": "$KERNEL_SOURCE_PKG", "version": "$KERNEL_SOURCE_VERSION", "suite": "bookworm"},
             "compiler": "riscv64-linux-gnu-gcc $GCC_VERSION",
             "config": "tinyconfig + config-fragment, make olddefconfig", "config_sha256": "$cfg_sha",
             "fragment_sha256": "$(sha256sum "$HERE/kernel.config" | cut -d' ' -f1)"},
  "initramfs": {"file": "initramfs.cpio.gz", "format": "newc cpio, gzip -9",
                "init": "scripts/images/init (busybox sh) then busybox init (scripts/images/rootfs/etc/inittab)",
                "busybox": json.loads('''$BB_JSON''')},
  "opensbi": json.loads('''$FW_JSON'''),
  "debian_suite": "$SUITE",
  "qemu": "qemu-system-riscv64 -machine virt -m 256M -smp 1 -nographic -bios fw_dynamic.bin -kernel Image -initrd initramfs.cpio.gz -append '$BOOTARGS' -no-reboot",
}
json.dump(m, open(sys.argv[1], "w"), indent=2)
open(sys.argv[1], "a").write("\n")
EOF
    {
        echo "$image_sha  Image"
        write_sums "$out" Image.gz initramfs.cpio.gz fw_dynamic.bin config-fragment manifest.json
    } > "$out/SHA256SUMS"
    log "default image written to $out:"
    ls -l "$out" >&2
}

# ---------------------------------------------------------------- (b) Debian's distribution kernel
# Each suite is tried in a process of its own (errexit holds inside it), in order, until one gives
# a bootable image: a suite whose index cannot be fetched, whose kernel packages cannot be read or
# whose kernel is not a RISC-V Image falls through to the next. The output folder is replaced only
# when a suite succeeded.
build_debian() {
    if [ -z "${RINGMASTER_ONE_SUITE:-}" ]; then
        local s
        for s in $SUITES; do
            if RINGMASTER_ONE_SUITE=1 RINGMASTER_DEBIAN_SUITES=$s bash "$0" debian; then return 0; fi
            log "suite $s gave no bootable Debian kernel image; trying the next"
        done
        die "no suite among '$SUITES' gave a bootable Debian kernel image"
    fi
    build_initramfs
    setup_apt
    # linux-image-riscv64 (metapackage) -> linux-image-<release> -> (sid) linux-binary-<release> +
    # linux-modules-<release>: every linux-image/binary/modules package on that path is fetched and
    # kernel-layout.py finds the kernel and the modules among them, in either layout.
    local queue=(linux-image-riscv64) seen=" " pkg deb debs=() dep
    while [ ${#queue[@]} -gt 0 ]; do
        pkg=${queue[0]}; queue=("${queue[@]:1}")
        case "$seen" in *" $pkg "*) continue ;; esac
        seen+="$pkg "
        deb=$(fetch_deb "$pkg"); debs+=("$deb")
        for dep in $(apt-cache depends "$pkg" | awk '$1 ~ /^\|?Depends:$/ {print $2}' | grep -E '^linux-(image|binary|modules)-' || true); do
            queue+=("$dep")
        done
    done
    local x="$STATE/extract/debian" layout
    rm -rf "$x"; mkdir -p "$x"
    layout=$(python3 "$HERE/kernel-layout.py" --extract "$x" "${debs[@]}") || die "suite $SUITE: the kernel packages give no bootable kernel (see above)"
    local RELEASE LAYOUT KERNEL_PACKAGE KERNEL_PATH MODULES_PACKAGE MODULES_PATH
    eval "$layout"
    log "kernel $RELEASE ($LAYOUT layout): $KERNEL_PATH from $KERNEL_PACKAGE, modules from $MODULES_PACKAGE"
    local out="$OUT_EXTRA/debian" kver=$RELEASE work="$OUT_EXTRA/.debian.new"
    # virtio_mmio, virtio_blk, virtio_net, virtio_rng and ext4 are modules in Debian's kernel: take
    # them (and what they depend on) as a second cpio appended to the shared initramfs (the kernel
    # unpacks concatenated archives); /init insmods them in order.
    local picked="$STATE/extract/debian-picked" mods
    rm -rf "$picked"
    mods=$(python3 "$HERE/pick-modules.py" "$x/modules/$kver" "$picked" \
        virtio_mmio virtio_blk virtio_net virtio_rng virtio_console ext4)
    log "Debian kernel modules for the initramfs: $mods"
    {
        echo "dir /lib 0755 0 0"; echo "dir /lib/modules 0755 0 0"
        for f in "$picked"/*; do echo "file /lib/modules/$(basename "$f") $f 0644 0 0"; done
    } > "$STATE/modules.spec"
    python3 "$HERE/mkcpio.py" "$STATE/modules.spec" "$STATE/modules.cpio"
    rm -rf "$work"; mkdir -p "$work"
    cp "$x/Image" "$work/Image"
    { cat "$INITRAMFS"; gzip -9 -n -c "$STATE/modules.cpio"; } > "$work/initramfs.cpio.gz"
    cp "$FW_DYNAMIC" "$work/fw_dynamic.bin"
    local pkgs_json="[" d
    for d in "${debs[@]}"; do pkgs_json+="$(deb_json "$d"),"; done
    pkgs_json="${pkgs_json%,}]"
    python3 - "$work/manifest.json" <<EOF
import json, sys
m = {
  "name": "debian",
  "description": "Debian's riscv64 distribution kernel with Ringmaster's busybox initramfs, booted through OpenSBI fw_dynamic",
  "arch": "riscv64",
  "bootargs": "$BOOTARGS",
  "firmware": "fw_dynamic.bin",
  "kernel": {"file": "Image", "format": "raw RISC-V Image (EFI-stub header), from $KERNEL_PATH in $KERNEL_PACKAGE",
             "release": "$kver", "layout": "$LAYOUT", "modules_package": "$MODULES_PACKAGE",
             "image_size": $(stat -c %s "$work/Image"),
             "packages": json.loads('''$pkgs_json''')},
  "initramfs": {"file": "initramfs.cpio.gz", "format": "the default image's initramfs, then a second gzip'd newc cpio with /lib/modules/*.ko and modules.list (load order)",
                "modules": "$mods", "busybox": json.loads('''$BB_JSON''')},
  "opensbi": json.loads('''$FW_JSON'''),
  "debian_suite": "$SUITE",
  "notes": "virtio_mmio, virtio_blk, virtio_net, virtio_rng and ext4 are modules in this kernel; /init loads them from the initramfs. Use -bios fw_dynamic.bin (fw_jump's fixed DTB address lies inside this kernel) and 512 MiB.",
  "qemu": "qemu-system-riscv64 -machine virt -m 512M -smp 1 -nographic -bios fw_dynamic.bin -kernel Image -initrd initramfs.cpio.gz -append '$BOOTARGS' -no-reboot",
}
json.dump(m, open(sys.argv[1], "w"), indent=2)
open(sys.argv[1], "a").write("\n")
EOF
    write_sums "$work" Image initramfs.cpio.gz fw_dynamic.bin manifest.json > "$work/SHA256SUMS"
    rm -rf "$out.old"
    [ ! -e "$out" ] || mv "$out" "$out.old"
    mv "$work" "$out"
    rm -rf "$out.old"
    log "Debian kernel image ($kver, suite $SUITE) written to $out:"
    ls -l "$out" >&2
}

# ---------------------------------------------------------------- (c) x86_64 images for QEMU
# Packages of the host's own architecture come from the host's apt sources (no private apt state).
X86="$STATE/x86"
host_apt() { env -u APT_CONFIG "$@"; }

# fetch_host_deb PKG -> echo path of the .deb (downloaded once per version into $X86/debs, checked
# against the index)
fetch_host_deb() {
    local pkg=$1 ver deb want got
    ver=$(host_apt apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Version:/ {print $2; exit}')
    if [ -z "$ver" ]; then
        host_apt apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || true
        ver=$(host_apt apt-cache show --no-all-versions "$pkg" | awk '/^Version:/ {print $2; exit}')
    fi
    [ -n "$ver" ] || die "package $pkg not found in the host's apt sources"
    mkdir -p "$X86/debs"
    deb=$(ls "$X86/debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ]; then
        (cd "$X86/debs" && host_apt apt-get -q -o APT::Sandbox::User=root download "$pkg=$ver" >&2) || die "apt-get download $pkg=$ver failed"
        deb=$(ls "$X86/debs/${pkg}_${ver//:/%3a}_"*.deb | head -n1)
    fi
    want=$(host_apt apt-cache show --no-all-versions "$pkg" | awk '/^SHA256:/ {print $2; exit}')
    got=$(sha256sum "$deb" | cut -d' ' -f1)
    [ "$want" = "$got" ] || die "$deb: sha256 $got does not match the index ($want)"
    echo "$deb"
}

host_suite() { . /etc/os-release; echo "${VERSION_CODENAME:-bookworm}"; }

# Writes the image folder $2 from the staging folder $1 (the old one is replaced only when the new
# one is complete).
publish() {
    local work=$1 out=$2
    rm -rf "$out.old"
    [ ! -e "$out" ] || mv "$out" "$out.old"
    mv "$work" "$out"
    rm -rf "$out.old"
}

build_x86_small() {
    [ "$(dpkg --print-architecture)" = amd64 ] || die "x86-small is built from the host's own amd64 packages; this host is $(dpkg --print-architecture)"
    # linux-image-amd64 (metapackage) -> linux-image-<release>-amd64
    local meta kpkg bbpkg mods
    meta=$(fetch_host_deb linux-image-amd64)
    kpkg=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | awk '{print $1}' | grep -E '^linux-image-[0-9]' | head -n1)
    [ -n "$kpkg" ] || die "linux-image-amd64 names no linux-image-<release> package"
    local kdeb bbdeb x="$STATE/extract/x86-small"
    kdeb=$(fetch_host_deb "$kpkg")
    bbdeb=$(fetch_host_deb busybox-static)
    rm -rf "$x"; mkdir -p "$x/kernel" "$x/busybox"
    dpkg-deb -x "$kdeb" "$x/kernel"
    dpkg-deb -x "$bbdeb" "$x/busybox"
    local vmlinuz kver
    vmlinuz=$(ls "$x"/kernel/boot/vmlinuz-* | head -n1)
    [ -f "$vmlinuz" ] || die "no /boot/vmlinuz-* in $(basename "$kdeb")"
    kver=${vmlinuz##*/vmlinuz-}
    local busybox="$x/busybox/bin/busybox"
    [ -f "$busybox" ] || busybox=$(find "$x/busybox" -name busybox -type f | head -n1)
    [ -f "$busybox" ] || die "busybox not found in $(basename "$bbdeb")"
    # Modules the initramfs loads: the ACPI power button and evdev (busybox acpid reads the button
    # through /dev/input/event*), and virtio + ext4 so that a disk, a NIC and the balloon work.
    mods=$(python3 "$HERE/pick-modules.py" "$x/kernel/lib/modules/$kver" "$x/modules" \
        button evdev virtio_pci virtio_blk virtio_net virtio_balloon virtio_console ext4)
    log "x86-small: kernel $kver, modules: $mods"
    local spec="$x/initramfs.spec" d f
    {
        for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /etc /etc/acpi /etc/acpi/PWRF /proc /sys /tmp /mnt /root /run /var /lib /lib/modules; do
            echo "dir $d 0755 0 0"
        done
        echo "nod /dev/console 0600 0 0 c 5 1"
        echo "nod /dev/null 0666 0 0 c 1 3"
        echo "file /bin/busybox $busybox 0755 0 0"
        echo "slink /bin/sh busybox 0777 0 0"
        echo "file /init $HERE/init 0755 0 0"
        echo "slink /sbin/init ../bin/busybox 0777 0 0"
        for f in "$HERE"/rootfs/etc/*; do echo "file /etc/$(basename "$f") $f 0644 0 0"; done
        # x86 additions: an inittab that also starts acpid, and acpid's power-button action
        echo "file /etc/inittab $HERE/x86/inittab 0644 0 0"
        echo "file /etc/acpi/PWRF/00000080 $HERE/x86/power-button 0755 0 0"
        for f in "$x"/modules/*; do echo "file /lib/modules/$(basename "$f") $f 0644 0 0"; done
    } > "$spec"
    local work="$OUT_EXTRA/.x86-small.new" out="$OUT_EXTRA/x86-small"
    rm -rf "$work"; mkdir -p "$work"
    python3 "$HERE/mkcpio.py" "$spec" "$x/initramfs.cpio"
    gzip -9 -n -c "$x/initramfs.cpio" > "$work/initramfs.cpio.gz"
    cp "$vmlinuz" "$work/vmlinuz"
    python3 - "$work/manifest.json" "$(deb_json "$meta")" "$(deb_json "$kdeb")" "$(deb_json "$bbdeb")" "$kver" "$mods" "$(host_suite)" <<'EOF'
import json, sys
out, meta, kernel, busybox, kver, mods, suite = sys.argv[1:]
m = {
  "name": "x86-small",
  "description": "Debian's amd64 distribution kernel with a busybox-static initramfs: a shell on the serial console; the ACPI power button powers it off (busybox acpid)",
  "arch": "x86_64",
  "debian_suite": suite,
  "bootargs": "console=ttyS0",
  "kernel": {"file": "vmlinuz", "release": kver, "packages": [json.loads(meta), json.loads(kernel)]},
  "initramfs": {"file": "initramfs.cpio.gz", "format": "newc cpio, gzip -9",
                "init": "scripts/images/init (busybox sh) then busybox init (scripts/images/x86/inittab: shell on the console, acpid)",
                "modules": mods, "busybox": json.loads(busybox)},
  "qemu": "qemu-system-x86_64 -M pc -accel tcg -m 256M -nodefaults -display none -serial stdio -kernel vmlinuz -initrd initramfs.cpio.gz -append console=ttyS0",
}
json.dump(m, open(out, "w"), indent=2)
open(out, "a").write("\n")
EOF
    write_sums "$work" vmlinuz initramfs.cpio.gz manifest.json > "$work/SHA256SUMS"
    publish "$work" "$out"
    log "x86-small image ($kver) written to $out:"
    ls -l "$out" >&2
}

# Packages of the debian-12 disk beyond debootstrap's minbase. debootstrap does not resolve virtual
# packages: python3-cffi-backend is named because python3-cryptography (cloud-init's) depends on
# the python3-cffi-backend-api-* it provides.
DEBIAN12_PACKAGES=(systemd-sysv systemd-resolved udev dbus openssh-server cloud-init python3-cffi-backend
    qemu-guest-agent linux-image-amd64 initramfs-tools iproute2 netbase sudo e2fsprogs)
DEBIAN12_DISK_SIZE=${RINGMASTER_DEBIAN12_DISK:-2G}

build_debian12() {
    [ "$(dpkg --print-architecture)" = amd64 ] || die "debian-12 is bootstrapped for the host's own architecture (amd64); this host is $(dpkg --print-architecture)"
    local started=$SECONDS mirror suite=bookworm root="$X86/debian-12-root" cache="$X86/debootstrap-cache"
    mirror=$(detect_mirror)
    mkdir -p "$cache"
    # A fresh root every time (debootstrap does not update an old one); the downloaded packages are
    # kept in the cache, so a rebuild only unpacks and configures.
    umount_chroot "$root"
    rm -rf "$root"
    local inc
    inc=$(IFS=,; echo "${DEBIAN12_PACKAGES[*]}")
    log "debootstrap $suite (minbase + $inc) from $mirror"
    debootstrap --variant=minbase --components=main --include="$inc" --cache-dir="$cache" \
        "$suite" "$root" "$mirror" > "$X86/debootstrap.log" 2>&1 \
        || { tail -n 30 "$X86/debootstrap.log" >&2; umount_chroot "$root"; die "debootstrap failed (log: $X86/debootstrap.log)"; }
    umount_chroot "$root"
    configure_debian12 "$root"
    local kver
    kver=$(ls "$root"/boot/vmlinuz-* | head -n1); kver=${kver##*/vmlinuz-}
    [ -f "$root/boot/initrd.img-$kver" ] || die "no initrd.img-$kver in the chroot (initramfs-tools did not run?)"
    local work="$OUT_EXTRA/.debian-12.new" out="$OUT_EXTRA/debian-12"
    rm -rf "$work"; mkdir -p "$work"
    cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
    cp "$root/boot/initrd.img-$kver" "$work/initrd.img"
    # The package list, before the root file system is packed.
    chroot "$root" dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\n' > "$X86/debian-12.packages"
    log "packing the root file system into a $DEBIAN12_DISK_SIZE ext4 disk"
    rm -f "$X86/disk.raw"
    mke2fs -q -F -t ext4 -L root -d "$root" "$X86/disk.raw" "$DEBIAN12_DISK_SIZE"
    qemu-img convert -f raw -O qcow2 "$X86/disk.raw" "$work/disk.qcow2"
    # The root tree is made anew on every build (only debootstrap's package cache is reused).
    rm -rf "$X86/disk.raw" "$root"
    python3 - "$work/manifest.json" "$kver" "$suite" "$mirror" "$X86/debian-12.packages" "$DEBIAN12_DISK_SIZE" \
        "$(IFS=' '; echo "${DEBIAN12_PACKAGES[*]}")" "$((SECONDS - started))" <<'EOF'
import json, sys
out, kver, suite, mirror, pkgfile, size, wanted, seconds = sys.argv[1:]
pkgs = []
for line in open(pkgfile):
    name, ver, arch = line.rstrip("\n").split("\t")
    pkgs.append({"package": name, "version": ver, "architecture": arch})
m = {
  "name": "debian-12",
  "description": "Debian 12 (bookworm) made with debootstrap (minbase) plus systemd, udev, dbus, openssh-server, cloud-init (NoCloud seed: a disk labelled cidata), qemu-guest-agent and the kernel; booted by direct kernel boot",
  "arch": "x86_64",
  "debian_suite": suite,
  "mirror": mirror,
  "bootargs": "root=/dev/vda rw console=ttyS0",
  "disk": {"file": "disk.qcow2", "format": "qcow2", "filesystem": "ext4, label root, no partition table", "size": size},
  "kernel": {"file": "vmlinuz", "release": kver},
  "initrd": {"file": "initrd.img", "made_by": "initramfs-tools in the chroot"},
  "included": wanted.split(),
  "packages": pkgs,
  "build_seconds": int(seconds),
  "qemu": "qemu-system-x86_64 -M pc -accel tcg -m 1024M -nodefaults -display none -serial stdio -kernel vmlinuz -initrd initrd.img -append 'root=/dev/vda rw console=ttyS0' -blockdev driver=file,node-name=f0,filename=disk.qcow2 -blockdev driver=qcow2,node-name=disk0,file=f0 -device virtio-blk-pci,drive=disk0 -netdev user,id=n0 -device virtio-net-pci,netdev=n0",
}
json.dump(m, open(out, "w"), indent=2)
open(out, "a").write("\n")
EOF
    write_sums "$work" disk.qcow2 vmlinuz initrd.img manifest.json > "$work/SHA256SUMS"
    publish "$work" "$out"
    log "debian-12 image ($kver, $(( SECONDS - started )) s) written to $out:"
    ls -l "$out" >&2
}

# Unmounts whatever is still mounted below a chroot (debootstrap mounts proc and sys).
umount_chroot() {
    local root=$1 m
    [ -d "$root" ] || return 0
    for m in $(awk -v r="$root" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
}

configure_debian12() {
    local root=$1
    echo debian > "$root/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
    printf 'LABEL=root\t/\text4\terrors=remount-ro\t0\t1\n' > "$root/etc/fstab"
    # cloud-init: only the NoCloud seed (no network probing for cloud metadata services), and its
    # datasource read from a disk labelled cidata.
    mkdir -p "$root/etc/cloud/cloud.cfg.d"
    cat > "$root/etc/cloud/cloud.cfg.d/90-ringmaster.cfg" <<'EOF'
# Ringmaster: the seed is a NoCloud "cidata" disk; nothing else is probed.
datasource_list: [ NoCloud, None ]
EOF
    # Each VM gets its own machine id and SSH host keys at first boot (cloud-init makes the keys).
    : > "$root/etc/machine-id"
    rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
    # The network: cloud-init writes systemd-networkd's configuration (DHCP on the first NIC unless
    # the seed says otherwise); networkd and resolved are installed but not enabled by default.
    chroot "$root" systemctl enable systemd-networkd.service systemd-resolved.service >/dev/null 2>&1 \
        || die "could not enable systemd-networkd and systemd-resolved in the chroot"
    # The guest agent needs no enabling: udev starts it when its virtio-serial port appears.
    [ -f "$root/lib/systemd/system/qemu-guest-agent.service" ] || die "qemu-guest-agent.service missing in the chroot"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/tmp/*
}

ensure_host_packages
case "$TARGET" in
    default) build_default ;;
    debian) build_debian ;;
    initramfs)
        build_initramfs
        mkdir -p "$OUT_DEFAULT"
        cp "$INITRAMFS" "$OUT_DEFAULT/initramfs.cpio.gz"
        cp "$FW_DYNAMIC" "$OUT_DEFAULT/fw_dynamic.bin"
        log "initramfs and firmware copied to $OUT_DEFAULT (run 'default' to refresh SHA256SUMS/manifest)" ;;
    all) build_default; build_debian ;;
    x86-small) build_x86_small ;;
    debian-12) build_debian12 ;;
esac
