#!/usr/bin/env python3
"""Make fuzz seeds from images: flags byte + first 64 KiB + last 128 KiB.
usage: seeds.py OUTDIR IMAGE..."""
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for i, path in enumerate(sys.argv[2:]):
    with open(path, "rb") as f:
        head = f.read(64 << 10)
        f.seek(-(128 << 10), os.SEEK_END)
        tail = f.read()
    for flags in (0, 1, 3):
        with open(os.path.join(out, f"seed-{i}-{flags}"), "wb") as f:
            f.write(bytes([flags]) + head + tail)
