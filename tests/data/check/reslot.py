#!/usr/bin/env python3
"""Move a labelled test image from QEMU slot 0 to another slot, changing
nothing else: every label whose interleave-set cookie is slot 0's gets the
new slot's cookie (the cookie is the one field that names the slot: Linux
nfit.c acpi_nfit_init_interleave_set, a fletcher64 over the DIMM's serial);
a v1.2 label's checksum is recomputed only where it was valid before, so a
damaged label stays damaged.

usage: reslot.py IMG LABEL_AREA_OFF LABEL_SIZE OLD_COOKIE NEW_COOKIE
  labels start 512 bytes into the 128 KiB label area (two 256-byte index
  blocks); LABEL_SIZE is 128 (v1.1, no checksum) or 256 (v1.2, fletcher64
  at byte 248, Linux nd_label_validate_checksum).
"""
import struct
import sys


def fletcher64(b):
    lo = hi = 0
    for (w,) in struct.iter_unpack("<I", b):
        lo = (lo + w) & 0xFFFFFFFF
        hi = (hi + lo) & 0xFFFFFFFF
    return hi << 32 | lo


def csum_ok(lab):
    b = bytearray(lab)
    want, = struct.unpack_from("<Q", b, 248)
    b[248:256] = bytes(8)
    return fletcher64(bytes(b)) == want


def main():
    path, area, lsz = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0)
    old, new = int(sys.argv[4], 0), int(sys.argv[5], 0)
    n = 0
    with open(path, "r+b") as f:
        f.seek(area)
        la = bytearray(f.read(128 << 10))
        for off in range(512, len(la) - lsz + 1, lsz):
            lab = la[off:off + lsz]
            if struct.unpack_from("<Q", lab, 88)[0] != old:
                continue
            ok = lsz == 256 and csum_ok(lab)
            struct.pack_into("<Q", lab, 88, new)
            if ok:
                lab[248:256] = bytes(8)
                struct.pack_into("<Q", lab, 248, fletcher64(bytes(lab)))
            la[off:off + lsz] = lab
            n += 1
        f.seek(area)
        f.write(la)
    print(n)


main()
