#!/usr/bin/env python3
"""Find Debian's riscv64 kernel and its modules among downloaded kernel packages.

    kernel-layout.py [--extract OUT_DIR] DEB...

DEB are the packages reached from linux-image-riscv64 through its dependencies. Debian ships the
kernel in two layouts, and both are read:

  classic (trixie)  linux-image-<release> holds /boot/vmlinux-<release> (or vmlinuz-) and the
                    modules under (usr/)lib/modules/<release>/kernel in the same package;
  split   (sid)     linux-image-<release> only depends on linux-binary-<release>, which holds
                    usr/lib/modules/<release>/vmlinuz, and linux-modules-<release>, which holds
                    the modules.

The kernel release comes from the package metadata (the Package field linux-image-<release>,
linux-binary-<release> or linux-modules-<release>), never from a folder name, and every path used
must carry that release. Prints shell assignments (RELEASE, LAYOUT, KERNEL_PACKAGE, KERNEL_PATH,
MODULES_PACKAGE, MODULES_PATH); exits 2 with the reason when the packages give no bootable kernel.
With --extract, writes OUT_DIR/Image (a raw RISC-V Image; a gzip'd one is unpacked) and the
modules tree OUT_DIR/modules/<release>/ (kernel/**).
"""
import gzip
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile

PACKAGE = re.compile(r"^linux-(image|binary|modules)-(\d[^\s]*)$")


def fail(msg):
    print(f"kernel-layout: {msg}", file=sys.stderr)
    sys.exit(2)


def field(deb, name):
    return subprocess.run(["dpkg-deb", "-f", deb, name], check=True, capture_output=True, text=True).stdout.strip()


def members(deb):
    """Paths (without the leading ./) of the regular files in a package."""
    out = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(out)) as tar:
        return [m.name[2:] if m.name.startswith("./") else m.name for m in tar.getmembers() if m.isfile()], out


def is_riscv_image(data):
    # The RISC-V Image header: "RISCV\0\0\0" at 0x30 (magic, deprecated) and "RSC\x05" at 0x38.
    return len(data) > 0x40 and (data[0x30:0x38] == b"RISCV\0\0\0" or data[0x38:0x3C] == b"RSC\x05")


def main(argv):
    out_dir = None
    if argv[:1] == ["--extract"]:
        if len(argv) < 2:
            fail("--extract needs a folder")
        out_dir, argv = argv[1], argv[2:]
    if not argv:
        sys.exit(__doc__)

    packages = {}  # package name -> (deb, release or None, files, tar bytes)
    for deb in argv:
        name = field(deb, "Package")
        m = PACKAGE.match(name)
        files, raw = members(deb)
        packages[name] = (deb, m.group(2) if m else None, files, raw)

    releases = sorted({rel for _, rel, _, _ in packages.values() if rel})
    if not releases:
        fail("no linux-image-<release>, linux-binary-<release> or linux-modules-<release> package among "
             + ", ".join(sorted(packages)))
    if len(releases) > 1:
        fail("packages of several kernel releases: " + ", ".join(releases))
    release = releases[0]
    rel = re.escape(release)
    kernel_re = re.compile(rf"^(boot/vmlinu[xz]-{rel}|(usr/)?lib/modules/{rel}/vmlinu[xz])$")
    modules_re = re.compile(rf"^((usr/)?lib/modules/{rel})/kernel/.+\.ko(\.xz|\.zst|\.gz)?$")

    kernel = modules = None
    for name in sorted(packages):
        deb, _, files, _ = packages[name]
        for f in files:
            if kernel is None and kernel_re.match(f):
                kernel = (name, f)
            mm = modules_re.match(f)
            if modules is None and mm:
                modules = (name, mm.group(1))
    if kernel is None:
        fail(f"no kernel image for {release} in " + ", ".join(sorted(packages))
             + " (looked for boot/vmlinux-<release>, boot/vmlinuz-<release> and lib/modules/<release>/vmlinuz)")
    if modules is None:
        fail(f"no modules for {release} in " + ", ".join(sorted(packages)) + " (looked for lib/modules/<release>/kernel)")
    layout = "classic" if kernel[0] == modules[0] else "split"

    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(packages[kernel[0]][3])) as tar:
            data = tar.extractfile("./" + kernel[1]).read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        if not is_riscv_image(data):
            fail(f"{kernel[1]} in {kernel[0]} is not a RISC-V kernel Image (no RISCV/RSC magic in its header)")
        with open(os.path.join(out_dir, "Image"), "wb") as f:
            f.write(data)
        mdest = os.path.join(out_dir, "modules", release)
        shutil.rmtree(mdest, ignore_errors=True)
        prefix = "./" + modules[1] + "/"
        with tarfile.open(fileobj=io.BytesIO(packages[modules[0]][3])) as tar:
            for m in tar.getmembers():
                if m.isfile() and m.name.startswith(prefix + "kernel/"):
                    target = os.path.join(mdest, m.name[len(prefix):])
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with tar.extractfile(m) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)

    for key, value in (("RELEASE", release), ("LAYOUT", layout), ("KERNEL_PACKAGE", kernel[0]),
                       ("KERNEL_PATH", kernel[1]), ("MODULES_PACKAGE", modules[0]), ("MODULES_PATH", modules[1])):
        print(f"{key}={shlex.quote(value)}")


if __name__ == "__main__":
    main(sys.argv[1:])
