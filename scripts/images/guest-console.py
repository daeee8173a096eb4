#!/usr/bin/env python3
"""Drive a guest's serial console non-interactively (QEMU -nographic, or any emulator that puts
the guest's UART on stdin/stdout).

    guest-console.py [options] -- COMMAND [ARGS...]

Starts COMMAND, waits for the shell prompt on its output, then for each --send/--expect pair
types the line and waits for the regex; finally types --final (default `poweroff`) and waits for
the process to exit. Prints the time from launch to the first prompt; exits non-zero on timeout,
on a failed expectation, or when the process does not exit after --final.

Options:
  --prompt REGEX     shell prompt (default: a line '~ # ' or '/path # ' at the end of output,
                     optionally followed by busybox's ESC[6n cursor query)
  --check CMD=REGEX  send CMD, expect REGEX in its output (repeatable, in order)
  --final CMD        last command (default: poweroff); '' sends nothing and kills the process
  --timeout S        per-step timeout in seconds (default 120)
  --log FILE         write the whole console transcript here
  --quiet            do not echo the console (nor the summary) to stderr
  --json             print one JSON line with the results on stdout
"""
import json
import os
import re
import select
import signal
import subprocess
import sys
import time


def main(argv):
    # busybox ash may follow its prompt with a cursor-position query (ESC [ 6 n)
    prompt = r"(^|\n)[~/][^\n]* # (\x1b\[6n)?$"
    checks, final, timeout, logf, quiet, as_json = [], "poweroff", 120.0, None, False, False
    i = 0
    while i < len(argv) and argv[i] != "--":
        a = argv[i]
        if a == "--prompt": prompt = argv[i + 1]; i += 2
        elif a == "--check":
            cmd, _, rx = argv[i + 1].partition("=")
            checks.append((cmd, rx)); i += 2
        elif a == "--final": final = argv[i + 1]; i += 2
        elif a == "--timeout": timeout = float(argv[i + 1]); i += 2
        elif a == "--log": logf = argv[i + 1]; i += 2
        elif a == "--quiet": quiet = True; i += 1
        elif a == "--json": as_json = True; i += 1
        else: sys.exit("unknown option " + a)
    cmd = argv[i + 1:]
    if not cmd:
        sys.exit(__doc__)

    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    buf = bytearray()
    result = {"command": cmd, "ok": False}
    prompt_rx = re.compile(prompt.encode())
    NEVER = re.compile(rb"(?!)")

    def read_until(rx, deadline, start=0):
        """Read output until rx matches buf[start:]; returns the match or None (timeout/EOF)."""
        fd = p.stdout.fileno()
        while True:
            m = rx.search(bytes(buf), start)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], min(left, 0.5))
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return None
                buf.extend(chunk)
                if not quiet:
                    sys.stderr.buffer.write(chunk); sys.stderr.flush()

    def send(line):
        p.stdin.write(line.encode() + b"\n"); p.stdin.flush()

    def finish(code):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        if logf:
            with open(logf, "wb") as f:
                f.write(bytes(buf))
        if as_json:
            print(json.dumps(result))
        sys.exit(code)

    m = read_until(prompt_rx, time.monotonic() + timeout)
    if not m:
        result["error"] = "no shell prompt within %gs" % timeout
        sys.stderr.write("\n[guest-console] %s\n" % result["error"])
        finish(2)
    result["prompt_seconds"] = round(time.monotonic() - t0, 3)
    pos = m.end()
    result["checks"] = []
    for c, rx in checks:
        # Drain for a moment so the echo of the previous command does not satisfy this one.
        send(c)
        m = read_until(re.compile(rx.encode(), re.M), time.monotonic() + timeout, pos)
        ok = m is not None
        result["checks"].append({"send": c, "expect": rx, "ok": ok})
        if not ok:
            result["error"] = "expected /%s/ after %r" % (rx, c)
            sys.stderr.write("\n[guest-console] %s\n" % result["error"])
            finish(3)
        m2 = read_until(prompt_rx, time.monotonic() + timeout, m.end())
        pos = m2.end() if m2 else m.end()
    if final:
        send(final)
        deadline = time.monotonic() + timeout
        while p.poll() is None and time.monotonic() < deadline:
            read_until(NEVER, time.monotonic() + 0.2)  # keep draining output
        if p.poll() is None:
            result["error"] = "process still running %gs after %r" % (timeout, final)
            sys.stderr.write("\n[guest-console] %s\n" % result["error"])
            finish(4)
        result["exit_seconds"] = round(time.monotonic() - t0, 3)
        result["exit_code"] = p.returncode
    result["ok"] = True
    if not quiet:
        sys.stderr.write("\n[guest-console] prompt after %.3fs%s\n" % (
            result["prompt_seconds"], ", exited after %.3fs" % result["exit_seconds"] if final else ""))
    finish(0)


if __name__ == "__main__":
    main(sys.argv[1:])
