#!/bin/sh
# Make the reconfigure crash-cut images: per cut point N a labelled (v1.2)
# 96 MiB image with slot N holding a raw 64 MiB namespace "d" (fixed uuid)
# with an ext4 file system of 24 MiB (DIR/fs.ext4) in it, then `vpmem
# namespace reconfigure --mode MODE --keep-data` stopped after N writes
# (VPMEM_TEST_CRASH_AFTER_WRITES=N: the progress record, each metadata
# write, each data chunk or BTT pwrite), N = 0..all. The side files
# (cutN.img.vpmem-reconfigure[.data]) stay beside each cut image.
#   usage: VPMEM=... mkcuts.sh DIR [MODE]  -> DIR/cutN.img, prints N_total
set -eu
d=$1
mode=${2:-fsdax}
mkdir -p "$d/src/sub"
if [ ! -f "$d/fs.ext4" ]; then
	# deterministic contents: the checksums are those of the files made here
	python3 - "$d/src" <<'PY'
import random, sys
r = random.Random(20)
d = sys.argv[1]
open(d + "/big.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(1500000)))
open(d + "/numbers.txt", "w").write("".join("%d\n" % i for i in range(30000)))
for i in range(1, 6):
    open(d + "/sub/f%d" % i, "wb").write(bytes(r.getrandbits(8) for _ in range(i * 9000)))
PY
	E2FSPROGS_FAKE_TIME=1700000000 mke2fs -q -F -t ext4 -b 4096 -U 6a1b2c3d-0000-4000-8000-000000000001 \
		-E hash_seed=6a1b2c3d-0000-4000-8000-000000000002 -d "$d/src" "$d/fs.ext4" 24M >/dev/null 2>&1
fi
n=0
while :; do
	f=$d/cut$n.img
	rm -f "$f" "$f.vpmem-reconfigure" "$f.vpmem-reconfigure.data"
	"$VPMEM" image create "$f" --size 96M --label-size 128K --label-version 1.2 --slot "$n" >/dev/null
	"$VPMEM" namespace create "$f" --mode raw --size 64M --name d --uuid 6a1b2c3d-0000-4000-8000-0000000000aa >/dev/null
	"$VPMEM" namespace import "$f" --name d --from "$d/fs.ext4" >/dev/null
	rc=0
	VPMEM_TEST_CRASH_AFTER_WRITES=$n "$VPMEM" namespace reconfigure "$f" --name d --mode "$mode" --keep-data >/dev/null || rc=$?
	[ "$rc" = 99 ] || { [ "$rc" = 0 ] && break; echo "mkcuts: cut $n: status $rc" >&2; exit 1; }
	n=$((n + 1))
done
echo "$n"
