#!/bin/sh
# The data path judged by the guest: an ext4 image made on the host with
# `mke2fs -d` goes into an fsdax namespace (vpmem namespace import) and a
# 4096-sector namespace (nbdcopy through the nbdkit plugin, or import when
# nbdkit is missing) of one image. The guest mounts both (fsdax with -o dax),
# the checksums match, it writes many more files (hundreds of BTT writes per
# lane: the flog's seqs rotate 1-2-3 many times), powers off; ndctl
# check-namespace passes on the BTT. On the host the exports of both (vpmem
# namespace export, and nbdcopy out of both) pass e2fsck -fn and hold every file,
# old and new, with the right checksum.
. "$(dirname "$0")/lib-guest.sh"
cd "$T" || exit 1
sum() { sha256sum "$1" | cut -d' ' -f1; }
nbd=0
if [ -n "${PLUGIN:-}" ] && [ -f "$PLUGIN" ] && command -v nbdkit >/dev/null && command -v nbdcopy >/dev/null; then
	nbd=1
else
	echo "note: nbdkit/nbdcopy or the plugin missing: the sector namespace goes through vpmem import/export only" >&2
fi

mkdir src src/sub
head -c 3000000 /dev/urandom >src/big.bin
seq 1 50000 >src/numbers.txt
for i in 1 2 3 4 5 6 7 8; do head -c $((i * 7000)) /dev/urandom >src/sub/f$i; done
mke2fs -q -F -t ext4 -b 4096 -d src fs.ext4 64M >/dev/null 2>&1
check "mke2fs -d made fs.ext4" test -s fs.ext4
(cd src && find . -type f | sort | while read -r f; do echo "${f#.} $(sum "$f")"; done) >orig.sums

"$VPMEM" image create dp.img --size 400M --label-version 1.2 >/dev/null
"$VPMEM" namespace create dp.img --mode fsdax --size 128M --name fs >/dev/null
"$VPMEM" namespace create dp.img --mode sector --size 128M --sector-size 4096 --name s4 >/dev/null
run_vpmem namespace import dp.img --name fs --from fs.ext4
expect_eq "import into fsdax" "$rc" 0
serve() { # [NAMESPACE]
	rm -f sock nbd.pid
	nbdkit -U "$T/sock" -P "$T/nbd.pid" "$PLUGIN" file=dp.img namespace="${1:-s4}" || return 1
	i=0
	while [ ! -S sock ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}
stop() { pid=$(cat nbd.pid); kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; }
if [ $nbd = 1 ]; then
	serve && nbdcopy fs.ext4 "nbd+unix:///?socket=$T/sock"
	expect_eq "nbdcopy into the sector namespace" "$?" 0
	stop
else
	run_vpmem namespace import dp.img --name s4 --from fs.ext4
	expect_eq "import into the sector namespace" "$rc" 0
fi

# no_timer_check: TCG on a loaded host can miss the IO-APIC timer check
guest_run --qemu-memory 768M --append no_timer_check --pmem-image "$T/dp.img" '
set -e
# by label name (ndctl -n filters by device, not by name)
blk() { ndctl list -N | awk -F\" -v n="$1" "/\"blockdev\"/ {b=\$4} /\"name\"/ && \$4 == n {print b}"; }
dev() { ndctl list -N | awk -F\" -v n="$1" "/\"dev\"/ {d=\$4} /\"name\"/ && \$4 == n {print d}"; }
fs=$(blk fs); s4=$(blk s4)
[ -n "$fs" ] && [ -n "$s4" ] || { echo "namespaces fs/s4 not found"; exit 3; }
mkdir -p /mnt/fs /mnt/s4
mount -o dax /dev/$fs /mnt/fs
mount /dev/$s4 /mnt/s4
grep -c " /mnt/fs ext4 .*dax" /proc/mounts | sed "s/^/dax-mounts: /"
for m in fs s4; do (cd /mnt/$m && find . -type f ! -path "./lost+found/*" | sort | while read f; do echo "ORIG-$m ${f#.} $(sha256sum "$f" | cut -d" " -f1)"; done); done
i=0
while [ $i -lt 400 ]; do
	dd if=/dev/urandom of=/mnt/s4/new$i bs=4096 count=4 2>/dev/null
	[ $((i % 8)) = 0 ] && dd if=/dev/urandom of=/mnt/fs/new$i bs=4096 count=2 2>/dev/null
	[ $((i % 50)) = 0 ] && sync
	i=$((i + 1))
done
sync
for m in fs s4; do (cd /mnt/$m && for f in new*; do echo "NEW-$m /$f $(sha256sum "$f" | cut -d" " -f1)"; done); done
umount /mnt/fs /mnt/s4
ns=$(dev s4)
ndctl disable-namespace $ns >/dev/null
ndctl check-namespace $ns >/tmp/c 2>&1 && echo "check: ok" || { echo "check: FAIL"; cat /tmp/c; }
'
expect_eq "guest status" "$grc" 0
expect_match "fsdax mounted with -o dax" "$gout" "^dax-mounts: 1"
for m in fs s4; do
	printf '%s\n' "$gout" | sed -n "s/^ORIG-$m //p" >guest-$m.sums
	expect_eq "guest reads every file of the image imported into $m" "$(cat guest-$m.sums)" "$(cat orig.sums)"
done
expect_match "ndctl check-namespace passes on the BTT after the guest's writes" "$gout" "^check: ok"
expect_eq "the guest wrote 400 files into the sector namespace" "$(printf '%s\n' "$gout" | grep -c '^NEW-s4 ')" 400
# no false alarms: after hundreds of guest writes through the BTT (its flog
# rotated) and ext4 on the fsdax namespace, vpmem check walks every map
# entry and flog lane and calls the image ok, both namespaces with it
expect_check_ok dp.img -v
expect_eq "vpmem check: both namespaces judged ok" "$(printf '%s\n' "$out" | grep -c '^  namespace0\.[0-9]*: ok ')" 2

exported() { # NAME FILE: e2fsck, then every file (old and new) by checksum
	check "$1: e2fsck -fn clean" e2fsck -fn "$2" >/dev/null 2>&1
	m=$3
	{ cat orig.sums; printf '%s\n' "$gout" | sed -n "s/^NEW-$m //p"; } >want.sums
	bad=0
	while read -r f s; do
		got=$(debugfs -R "cat $f" "$2" 2>/dev/null | sha256sum | cut -d' ' -f1)
		[ "$got" = "$s" ] || { bad=$((bad + 1)); echo "mismatch: $1 $f" >&2; }
	done <want.sums
	expect_eq "$1: every file has its checksum ($(wc -l <want.sums) files)" "$bad" 0
}
run_vpmem namespace export dp.img --name fs --to fs-out.img
expect_eq "export fsdax" "$rc" 0
exported "fsdax export" fs-out.img fs
run_vpmem namespace export dp.img --name s4 --to s4-out.img
expect_eq "export sector" "$rc" 0
exported "sector export" s4-out.img s4
if [ $nbd = 1 ]; then
	serve && nbdcopy "nbd+unix:///?socket=$T/sock" s4-nbd.img
	expect_eq "nbdcopy out of the sector namespace" "$?" 0
	stop
	expect_eq "nbdcopy out = vpmem export" "$(sum s4-nbd.img)" "$(sum s4-out.img)"
	serve fs && nbdcopy "nbd+unix:///?socket=$T/sock" fs-nbd.img
	expect_eq "nbdcopy out of the fsdax namespace" "$?" 0
	stop
	expect_eq "fsdax: nbdcopy out = vpmem export" "$(sum fs-nbd.img)" "$(sum fs-out.img)"
	exported "fsdax nbdcopy out" fs-nbd.img fs
fi
# the flog rotated: a lane whose newest entry has seq 1 again (1-2-3-1)
wrapped=$(python3 - s4-nbd.img dp.img <<'PY'
import struct, sys
f = open(sys.argv[2], "rb")
wrapped = 0
for off in range(0, 400 << 20, 16 << 20):          # namespaces start 16M-aligned
    f.seek(off)
    sb = f.read(4096)
    if not sb.startswith(b"BTT_ARENA_INFO\0"):
        continue
    nfree, = struct.unpack_from("<I", sb, 72)
    logoff, = struct.unpack_from("<Q", sb, 104)
    f.seek(off + logoff)
    log = f.read(nfree * 64)
    for i in range(nfree):
        s0 = struct.unpack_from("<I", log, i * 64 + 12)[0]
        s1 = struct.unpack_from("<I", log, i * 64 + 28)[0]
        if sorted((s0, s1)) == [1, 3]:
            wrapped += 1
print(wrapped)
PY
)
expect_match "the guest's writes wrapped a flog lane's seq (1-2-3-1)" "$wrapped" '^[1-9]'
done_testing
