#!/usr/bin/env python3
"""Pick kernel modules and their dependencies out of an extracted Debian linux-modules package.

    pick-modules.py MODULES_DIR OUT_DIR NAME...

MODULES_DIR is .../lib/modules/<version> (with kernel/**.ko[.xz|.zst|.gz]). Each NAME and,
recursively, every module named in its `depends=` modinfo field is written uncompressed to
OUT_DIR/<name>.ko; OUT_DIR/modules.list gets the file names in load order (dependencies first).
Names missing from the package are taken to be built into the kernel and skipped (reported).
"""
import gzip
import lzma
import os
import struct
import sys


def read_module(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return gzip.decompress(data)
    if path.endswith(".zst"):
        import subprocess
        return subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    return data


def modinfo(elf):
    """key -> value from the ELF64 little-endian .modinfo section."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError("not an ELF64 LE module")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    def sh(i):
        name, typ, flags, addr, off, size = struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize)
        return name, off, size
    _, stroff, _ = sh(shstrndx)
    info = {}
    for i in range(shnum):
        name, off, size = sh(i)
        end = elf.index(b"\0", stroff + name)
        if elf[stroff + name:end] == b".modinfo":
            for entry in elf[off:off + size].split(b"\0"):
                if b"=" in entry:
                    k, _, v = entry.partition(b"=")
                    info.setdefault(k.decode(), v.decode(errors="replace"))
    return info


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    mdir, out = sys.argv[1], sys.argv[2]
    wanted = [n.replace("-", "_") for n in sys.argv[3:]]
    index = {}
    for root, _, files in os.walk(mdir):
        for fn in files:
            base = fn
            for ext in (".xz", ".zst", ".gz"):
                if base.endswith(ext):
                    base = base[: -len(ext)]
            if base.endswith(".ko"):
                index[base[:-3].replace("-", "_")] = os.path.join(root, fn)
    os.makedirs(out, exist_ok=True)
    order, state = [], {}

    def visit(name, chain):
        if state.get(name) == "done":
            return
        if state.get(name) == "busy":
            raise SystemExit("dependency cycle: " + " -> ".join(chain + [name]))
        path = index.get(name)
        if path is None:
            print("pick-modules: %s not in the package (built in?)" % name, file=sys.stderr)
            state[name] = "done"
            return
        state[name] = "busy"
        elf = read_module(path)
        deps = [d for d in modinfo(elf).get("depends", "").split(",") if d]
        for d in deps:
            visit(d.replace("-", "_"), chain + [name])
        with open(os.path.join(out, name + ".ko"), "wb") as f:
            f.write(elf)
        order.append(name + ".ko")
        state[name] = "done"

    for n in wanted:
        visit(n, [])
    with open(os.path.join(out, "modules.list"), "w") as f:
        f.write("\n".join(order) + ("\n" if order else ""))
    print(" ".join(order))


if __name__ == "__main__":
    main()
