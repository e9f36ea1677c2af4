#!/usr/bin/env python3
"""Seeds for fuzz-btt from BTT images: flags + info block + flog + map head.
usage: seeds-btt.py OUTDIR IMAGE...  (every BTT info block found 16M-aligned)"""
import os, struct, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
n = 0
for path in sys.argv[2:]:
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        for ns in range(0, size, 16 << 20):
            for start, v2 in ((4096, 0), (0, 1)):
                f.seek(ns + start)
                info = f.read(4096)
                if not info.startswith(b"BTT_ARENA_INFO\0"):
                    continue
                mapoff, logoff = struct.unpack_from("<QQ", info, 96)
                nfree, = struct.unpack_from("<I", info, 72)
                f.seek(ns + start + logoff)
                log = f.read(min(nfree * 64, 16384))
                log += bytes(16384 - len(log))
                f.seek(ns + start + mapoff)
                m = f.read(4096)
                for flags in (v2, v2 | 2):
                    with open(os.path.join(out, "btt-%d-%d" % (n, flags)), "wb") as o:
                        o.write(bytes([flags]) + info + log + m)
                n += 1
print(n, "BTT seeds")
