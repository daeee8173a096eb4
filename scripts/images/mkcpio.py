#!/usr/bin/env python3
"""Write a newc (SVR4, no CRC) cpio archive from a spec file, reproducibly.

Spec lines (the format of the kernel's usr/gen_init_cpio, the subset we need):
    dir   <path> <mode> <uid> <gid>
    file  <path> <source> <mode> <uid> <gid>
    slink <path> <target> <mode> <uid> <gid>
    nod   <path> <mode> <uid> <gid> <c|b> <major> <minor>
Modes are octal. Every entry gets mtime 0 and inode numbers in spec order, so the same
inputs always give the same bytes (no root needed for the device nodes).

Usage: mkcpio.py SPEC OUT.cpio
"""
import os
import stat
import sys


def header(ino, mode, uid, gid, nlink, mtime, size, rdev_major, rdev_minor, name):
    fields = [ino, mode, uid, gid, nlink, mtime, size, 0, 0, rdev_major, rdev_minor, len(name) + 1, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def pad4(n):
    return (4 - n % 4) % 4


def main():
    spec, out = sys.argv[1], sys.argv[2]
    data = bytearray()
    ino = 300000

    def add(name, mode, uid, gid, body=b"", major=0, minor=0, nlink=1):
        nonlocal ino
        ino += 1
        name_b = name.lstrip("/").encode()
        hdr = header(ino, mode, uid, gid, nlink, 0, len(body), major, minor, name_b)
        data.extend(hdr + name_b + b"\0")
        data.extend(b"\0" * pad4(len(hdr) + len(name_b) + 1))
        data.extend(body)
        data.extend(b"\0" * pad4(len(body)))

    with open(spec) as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            kind = parts[0]
            try:
                if kind == "dir":
                    _, path, mode, uid, gid = parts
                    add(path, stat.S_IFDIR | int(mode, 8), int(uid), int(gid), nlink=2)
                elif kind == "file":
                    _, path, src, mode, uid, gid = parts
                    with open(src, "rb") as s:
                        add(path, stat.S_IFREG | int(mode, 8), int(uid), int(gid), s.read())
                elif kind == "slink":
                    _, path, target, mode, uid, gid = parts
                    add(path, stat.S_IFLNK | int(mode, 8), int(uid), int(gid), target.encode())
                elif kind == "nod":
                    _, path, mode, uid, gid, typ, major, minor = parts
                    ftype = stat.S_IFCHR if typ == "c" else stat.S_IFBLK
                    add(path, ftype | int(mode, 8), int(uid), int(gid), major=int(major), minor=int(minor))
                else:
                    raise ValueError("unknown entry type " + kind)
            except (ValueError, OSError) as e:
                sys.exit("%s:%d: %s" % (spec, lineno, e))
    ino = 0
    add("TRAILER!!!", 0, 0, 0)
    data.extend(b"\0" * pad4(len(data)))  # already aligned; keep 512-byte friendliness optional
    with open(out, "wb") as o:
        o.write(data)


if __name__ == "__main__":
    main()
