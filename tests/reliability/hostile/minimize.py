#!/usr/bin/python3
"""Shrinks a list of commands that breaks the server to a short reproducer.

The input has one command per line, as a Python list literal (what
random_commands.py writes to last-commands.txt, or to --log FILE). Each trial
starts a fresh redis-server with the ASan module (random_commands.py's
options), sends the commands in order, waits --settle seconds (so the sweep
runs) and calls the trial failing when the server died, a sanitizer report
appeared, or (with --expect REGEX) a reply matched REGEX. Delta debugging
(ddmin) keeps removing chunks while the trial still fails; the minimal list
is printed as redis-cli lines.

  minimize.py --module build/.../sumavlib_asan.so last-commands.txt [--expect REGEX]
"""
import argparse
import ast
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

import phase_checks as rc  # noqa: E402
from suma_testing.resp import Conn, ProtocolError  # noqa: E402


def trial(module, runtime, cmds, expect, settle):
    d = tempfile.mkdtemp(prefix="suma-min-")
    srv = rc.start_server(module, d, runtime)
    failed = None
    try:
        c = Conn(srv.port, timeout=20)
        for cmd in cmds:
            r = c.call(*cmd)
            if expect and r[0] == "err" and expect.search(r[1]):
                failed = "reply %r" % r[1][:120]
                break
        time.sleep(settle)
        if not failed and c.call("PING") != ("simple", "PONG"):
            failed = "no PONG"
        c.close()
    except (ConnectionError, OSError, ProtocolError) as e:
        failed = "connection: %s" % e
    if not failed and srv.proc.poll() is not None:
        failed = "server exited %s" % srv.proc.returncode
    srv.stop()
    if not failed and rc.sanitizer_reports(d):
        failed = "sanitizer report"
    shutil.rmtree(d, ignore_errors=True)
    return failed


def ddmin(cmds, fails):
    n = 2
    while len(cmds) >= 2:
        size = (len(cmds) + n - 1) // n
        chunks = [cmds[i:i + size] for i in range(0, len(cmds), size)]
        reduced = False
        for i in range(len(chunks)):
            rest = [c for j, ch in enumerate(chunks) if j != i for c in ch]
            if fails(rest):
                cmds, n, reduced = rest, max(n - 1, 2), True
                break
        if not reduced:
            if n >= len(cmds):
                break
            n = min(len(cmds), n * 2)
    return cmds


def cli_line(cmd):
    def q(a):
        if isinstance(a, bytes):
            a = a.decode("latin-1")
        a = str(a)
        return a if re.fullmatch(r"[A-Za-z0-9_.:{}\-\[\]*/+=]+", a) else repr(a)
    return " ".join(q(a) for a in cmd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--module", required=True)
    ap.add_argument("--expect", help="a reply error matching this regex counts as the failure")
    ap.add_argument("--settle", type=float, default=1.0)
    ap.add_argument("commands")
    opts = ap.parse_args()
    runtime = rc.sanitizer_runtime(opts.module)
    if not runtime:
        print("minimize: %s links no ASan runtime" % opts.module)
        return 2
    with open(opts.commands) as f:
        cmds = [ast.literal_eval(line) for line in f if line.strip()]
    cmds = [c for c in cmds if c[0] not in ("MULTI", "EXEC", "DEBUG")]
    expect = re.compile(opts.expect) if opts.expect else None
    n = [0]

    def fails(cs):
        n[0] += 1
        return trial(opts.module, runtime, cs, expect, opts.settle) is not None

    first = trial(opts.module, runtime, cmds, expect, opts.settle)
    print("minimize: %d commands; the full list fails: %s" % (len(cmds), first), flush=True)
    if not first:
        return 1
    small = ddmin(cmds, fails)
    print("minimize: %d commands after %d trials (%s):" %
          (len(small), n[0], trial(opts.module, runtime, small, expect, opts.settle)))
    for c in small:
        print("  " + cli_line(c))
    return 0


if __name__ == "__main__":
    sys.exit(main())
