#!/usr/bin/env python3
"""Run every meson test suite of the given build directories and print a
summary: one line per guest kernel (guest tests are named NAME@KERNEL and run
once per kernel), then "N passed, N failed, N skipped" (exit 1 on any failure).
An argument DIR:SUITE runs only that suite of DIR."""
import json
import os
import subprocess
import sys

passed = failed = skipped = 0
kernels = {}  # kernel -> [passed, failed, skipped, seconds]
for arg in sys.argv[1:]:
    builddir, _, suite = arg.partition(":")
    env = dict(os.environ, UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
               ASAN_OPTIONS="detect_leaks=1")
    print(f"== {builddir}", flush=True)
    cmd = ["meson", "test", "-C", builddir, "--print-errorlogs", "--num-processes", "2"]
    if suite:
        cmd += ["--suite", suite]
    subprocess.run(cmd, env=env)
    with open(os.path.join(builddir, "meson-logs", "testlog.json")) as f:
        for line in f:
            r = json.loads(line)
            res = r["result"]
            name = r["name"]
            k = kernels.setdefault(name.rpartition("@")[2], [0, 0, 0, 0.0]) if "@" in name else None
            if k:
                k[3] += r.get("duration", 0)
            if res in ("OK", "EXPECTEDFAIL"):
                passed += 1
                if k:
                    k[0] += 1
            elif res == "SKIP":
                skipped += 1
                if k:
                    k[2] += 1
            else:
                failed += 1
                if k:
                    k[1] += 1
                print(f"FAILED: {builddir}: {name} ({res})", flush=True)
for kernel, (p, fl, s, secs) in sorted(kernels.items()):
    print(f"guest kernel {kernel}: {p} passed, {fl} failed, {s} skipped ({secs:.0f} s of test time)")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or not passed else 0)
