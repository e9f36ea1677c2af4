#!/bin/sh
# Make the BTT crash-cut images: a label-less 48 MiB image per cut point
# (slot = cut number), each with a sector namespace (BTT 1.1, 4096-byte
# sectors) holding A (16 sectors), then an import of B stopped after N
# pwrites into the BTT (VPMEM_TEST_CRASH_AFTER_WRITES=N), N = 0..all.
# B: single sectors (lane 0's flog rotating), zero sectors (trimmed), a
# batch over several lanes, then zeros to the end (trims).
#   usage: VPMEM=... mkcuts.sh DIR  -> DIR/cutN.img, DIR/a.bin, DIR/b.bin, prints N_total
set -eu
d=$1
mkdir -p "$d"
python3 - "$d" <<'PY'
import sys
d = sys.argv[1]
S = 4096
def sec(tag, k):
    return bytes([tag]) * 16 + k.to_bytes(4, "little") * ((S - 16) // 4)
open(d + "/a.bin", "wb").write(b"".join(sec(0x41, k) for k in range(16)))
b = [sec(0x42, 0), bytes(S), sec(0x42, 2), bytes(S), sec(0x42, 4)] + [sec(0x43, k) for k in range(5, 12)]
open(d + "/b.bin", "wb").write(b"".join(b))
PY
n=0
while :; do
	f=$d/cut$n.img
	rm -f "$f"
	"$VPMEM" image create "$f" --size 48M --no-labels --slot "$n" >/dev/null
	"$VPMEM" namespace create "$f" --mode sector >/dev/null
	"$VPMEM" namespace import "$f" --dev namespace0.0 --from "$d/a.bin" >/dev/null
	rc=0
	VPMEM_TEST_CRASH_AFTER_WRITES=$n "$VPMEM" namespace import "$f" --dev namespace0.0 --from "$d/b.bin" >/dev/null || rc=$?
	[ "$rc" = 99 ] || { [ "$rc" = 0 ] && break; echo "mkcuts: cut $n: status $rc" >&2; exit 1; }
	n=$((n + 1))
done
echo "$n"
