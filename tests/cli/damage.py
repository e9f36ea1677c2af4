#!/usr/bin/env python3
"""Damage an image in one place, for test-check.sh.

  damage.py flip IMG OFF            xor the byte at OFF with 0x01
  damage.py zero IMG OFF LEN        zero LEN bytes
  damage.py put IMG OFF FMT VALUE   struct-pack VALUE (int) as FMT ('<I', '<Q', '<H') at OFF
  damage.py copy IMG SRC DST LEN    copy LEN bytes from SRC to DST
  damage.py csum IMG OFF LEN CSUM   recompute the fletcher64 of the LEN-byte block at OFF
                                    (checksum field at OFF+CSUM), as Linux nd_fletcher64
  damage.py get IMG OFF FMT         print the value at OFF
  damage.py unroll IMG INFO         BTT arena whose info block is at INFO: undo the map
                                    update of one write the flog records (a write cut
                                    between its flog and map updates); prints the lba
"""
import struct
import sys


def fletcher64(b):
    lo = hi = 0
    for (w,) in struct.iter_unpack("<I", b):
        lo = (lo + w) & 0xFFFFFFFF
        hi = (hi + lo) & 0xFFFFFFFF
    return hi << 32 | lo


def main():
    op, path = sys.argv[1], sys.argv[2]
    a = [int(x, 0) for x in sys.argv[3:] if not x.startswith("<")]
    with open(path, "r+b") as f:
        def rd(off, n):
            f.seek(off)
            return f.read(n)

        def wr(off, b):
            f.seek(off)
            f.write(b)

        if op == "flip":
            wr(a[0], bytes([rd(a[0], 1)[0] ^ 1]))
        elif op == "zero":
            wr(a[0], bytes(a[1]))
        elif op == "put":
            wr(int(sys.argv[3], 0), struct.pack(sys.argv[4], int(sys.argv[5], 0)))
        elif op == "get":
            print(struct.unpack(sys.argv[4], rd(int(sys.argv[3], 0), struct.calcsize(sys.argv[4])))[0])
        elif op == "copy":
            wr(a[1], rd(a[0], a[2]))
        elif op == "csum":
            off, n, c = a
            b = bytearray(rd(off, n))
            b[c:c + 8] = bytes(8)
            wr(off + c, struct.pack("<Q", fletcher64(bytes(b))))
        elif op == "unroll":
            info = rd(a[0], 4096)
            ext_nlba, = struct.unpack_from("<I", info, 60)
            nfree, = struct.unpack_from("<I", info, 72)
            mapoff, logoff = struct.unpack_from("<QQ", info, 96)
            mapo, logo = a[0] + mapoff, a[0] + logoff
            mask = 0x3FFFFFFF
            for lane in range(nfree):
                g = rd(logo + lane * 64, 64)
                ents = [struct.unpack_from("<IIII", g, 16 * i) for i in (0, 1)]
                s0, s1 = ents[0][3], ents[1][3]
                # the newer of the two live slots: seq follows in 1-2-3-1
                new = ents[1] if s1 and {1: 2, 2: 3, 3: 1}.get(s0) == s1 else ents[0]
                lba, old, nw, _ = new
                if old & mask == nw & mask or lba >= ext_nlba:
                    continue
                m, = struct.unpack("<I", rd(mapo + 4 * lba, 4))
                if m & mask != nw & mask or not m & 0xC0000000:
                    continue
                wr(mapo + 4 * lba, struct.pack("<I", (old & mask) | 0xC0000000))
                print(lba)
                return
            sys.exit("no lane to unroll")
        else:
            sys.exit("unknown op " + op)


main()
