#!/usr/bin/env python3
"""Binary seeds for the format targets from images (see make-corpus.sh):
labels (flag byte + label area, and small label areas made here), pfn and btt
(info blocks found at namespace starts). The image target's seeds are made
at run time by image-seeds.sh.
usage: make-corpus.py CORPUSDIR IMAGE..."""
import os
import struct
import sys

out = sys.argv[1]


def put(target, name, data):
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


def fletcher64(b):
    lo = hi = 0
    for (w,) in struct.iter_unpack("<I", b):
        lo = (lo + w) & 0xFFFFFFFF
        hi = (hi + lo) & 0xFFFFFFFF
    return hi << 32 | lo


def small_lsa(cfg, lsz, minor):
    """Two index blocks for a label area of cfg bytes (label.c geometry)."""
    def isz_of(nslot):
        n = 72 + (nslot + 7) // 8
        return (n + 255) // 256 * 256
    nslot = (cfg - 2 * isz_of(cfg // lsz)) // lsz
    isz = isz_of(nslot)
    buf = bytearray(cfg)
    for i, seq in ((0, 3), (1, 2)):
        ix = bytearray(isz)
        ix[0:16] = b"NAMESPACE_INDEX\0"
        ix[19] = 1 if lsz == 256 else 0
        struct.pack_into("<IQQQQIHH", ix, 20, seq, i * isz, isz, (1 - i) * isz, 2 * isz, nslot, 1, minor)
        for b in range(72, 72 + ((nslot + 63) // 64 * 64) // 8):
            ix[b] = 0xFF
        struct.pack_into("<Q", ix, 64, fletcher64(bytes(ix)))
        buf[i * isz:(i + 1) * isz] = ix
    return bytes(buf)


for cfg in (4096, 8192):
    put("labels", f"small-{cfg}-v11", b"\1" + small_lsa(cfg, 128, 1))
    put("labels", f"small-{cfg}-v12", b"\1" + small_lsa(cfg, 256, 2))

for path in sys.argv[2:]:
    name = os.path.basename(path).replace(".img", "")
    with open(path, "rb") as f:
        data = f.read()
    lsa = data[-(128 << 10):]
    if lsa.find(b"NAMESPACE_INDEX") >= 0:
        put("labels", name, b"\0" + lsa)
    # info blocks: at 4K of a namespace (pfn/dax), at 0 or 4K (BTT); namespaces
    # start on 16 MiB boundaries in these images
    for ns in range(0, len(data) - (128 << 10), 16 << 20):
        for off in (0, 4096):
            blk = data[ns + off:ns + off + 4096]
            if blk[:16] in (b"NVDIMM_PFN_INFO\0", b"NVDIMM_DAX_INFO\0") or blk[:14] == b"KATA_PFN_INFO\0"[:14]:
                put("pfn", f"{name}-{ns >> 20}M", struct.pack("<QQB", 16 << 20, (4 << 30) + ns, 0) + blk)
            if blk[:16] == b"BTT_ARENA_INFO\0\0":
                put("btt", f"{name}-{ns >> 20}M-{off}", b"\0" + blk)
