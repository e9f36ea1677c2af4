#!/bin/sh
# vpmem namespace reconfigure --keep-data judged by the guest kernel: the
# guest makes an ext4 file system on a raw namespace and writes files; the
# host reconfigures it offline raw -> fsdax -> sector (4096) -> devdax -> raw;
# after each step the guest finds the namespace in its new mode, its bytes
# are the same (checksum of the file system's 100 MiB, read from /dev/pmemN
# or /dev/pmemNs), e2fsck -fn is clean, it mounts (-o dax on fsdax) and every
# file has its checksum; ndctl check-namespace passes on the BTT. Device-dax
# cannot be read(2) (mmap only): the guest sees /dev/daxN.M of the right
# size, and the bytes are judged after devdax -> raw.
. "$(dirname "$0")/lib-guest.sh"
cd "$T" || exit 1
"$VPMEM" image create rc.img --size 300M --label-version 1.2 >/dev/null
"$VPMEM" namespace create rc.img --mode raw --size 128M --name d >/dev/null

# shellcheck disable=SC2016
find_ns='ndctl list -N >/tmp/j
mode=$(awk -F\" "/\"mode\"/ {print \$4; exit}" /tmp/j)
blk=$(awk -F\" "/\"blockdev\"/ {print \$4; exit}" /tmp/j)
chr=$(awk -F\" "/\"chardev\"/ {print \$4; exit}" /tmp/j)
echo "MODE $mode"
mkdir -p /mnt/d
'
guest_run --qemu-memory 768M --append no_timer_check --pmem-image "$T/rc.img" "$find_ns"'
set -e
# 100M of the 128M: fsdax and the BTT need room for their metadata
mkfs.ext4 -q -F -b 4096 /dev/$blk 100M
mount /dev/$blk /mnt/d
mkdir /mnt/d/sub
dd if=/dev/urandom of=/mnt/d/big bs=1M count=20 2>/dev/null
seq 1 100000 >/mnt/d/numbers
i=0; while [ $i -lt 30 ]; do dd if=/dev/urandom of=/mnt/d/sub/f$i bs=4k count=$((i + 1)) 2>/dev/null; i=$((i + 1)); done
(cd /mnt/d && find . -type f ! -path "./lost+found/*" | sort | while read f; do echo "SUM ${f#.} $(sha256sum "$f" | cut -d" " -f1)"; done)
umount /mnt/d
e2fsck -fn /dev/$blk >/dev/null 2>&1 && echo "FSCK ok"
echo "BYTES $(dd if=/dev/$blk bs=1M count=100 2>/dev/null | sha256sum | cut -d" " -f1)"
'
expect_eq "boot 1: guest status" "$grc" 0
expect_match "boot 1: a raw namespace" "$gout" "^MODE raw"
sums=$(printf '%s\n' "$gout" | grep '^SUM ')
bytes=$(printf '%s\n' "$gout" | sed -n 's/^BYTES //p')
expect_eq "boot 1: the guest wrote 32 files" "$(printf '%s\n' "$sums" | grep -c .)" 32
expect_match "boot 1: e2fsck clean" "$gout" "^FSCK ok"
# no false alarms: after each boot (the kernel enabled the namespace in its
# mode, read it, ran check-namespace on the BTT) vpmem check calls rc.img ok
expect_check_ok rc.img -v

# shellcheck disable=SC2016
verify='
if [ -n "$chr" ]; then
	# device-dax has no read(2), only mmap: the guest sees it, its size; the
	# bytes are judged after the next step (devdax -> raw)
	echo "DEVDAX $chr $(cat /sys/bus/dax/devices/$chr/size)"
	exit 0
fi
echo "BYTES $(dd if=/dev/$blk bs=1M count=100 2>/dev/null | sha256sum | cut -d" " -f1)"
e2fsck -fn /dev/$blk >/tmp/f 2>&1 && echo "FSCK ok" || { echo "FSCK FAIL"; cat /tmp/f; }
opt=ro; [ "$mode" = fsdax ] && opt=ro,dax
mount -o $opt /dev/$blk /mnt/d || exit 4
echo "DAX $(grep -c " /mnt/d ext4 .*dax" /proc/mounts)"
(cd /mnt/d && find . -type f ! -path "./lost+found/*" | sort | while read f; do echo "SUM ${f#.} $(sha256sum "$f" | cut -d" " -f1)"; done)
umount /mnt/d
if [ "$mode" = sector ]; then
	ns=$(awk -F\" "/\"dev\"/ {print \$4; exit}" /tmp/j)
	ndctl disable-namespace $ns >/dev/null && ndctl check-namespace $ns >/tmp/c 2>&1 && echo "CHECKNS ok" || cat /tmp/c
fi
'
for step in fsdax "sector --sector-size 4096" devdax raw; do
	m=${step%% *}
	# shellcheck disable=SC2086
	run_vpmem namespace reconfigure rc.img --name d --mode $step --keep-data
	expect_eq "-> $m: host status" "$rc" 0
	[ "$rc" = 0 ] || { echo "$err" >&2; continue; }
	guest_run --qemu-memory 768M --append no_timer_check --pmem-image "$T/rc.img" "$find_ns$verify"
	expect_eq "-> $m: guest status" "$grc" 0
	expect_match "-> $m: the guest sees $m" "$gout" "^MODE $m\$"
	expect_check_ok rc.img -v
	expect_match "-> $m: vpmem check judges the namespace ok, $m" "$out" "^  namespace0\.0: ok \($m,"
	if [ "$m" = devdax ]; then
		hsize=$("$VPMEM" --json list rc.img | python3 -c 'import json,sys; print(json.load(sys.stdin)["regions"][0]["namespaces"][0]["size"])')
		expect_match "-> devdax: the guest has its dax device, of the size vpmem lists ($hsize)" "$gout" "^DEVDAX dax[0-9.]+ $hsize\$"
		continue
	fi
	expect_eq "-> $m: the guest reads the same bytes" "$(printf '%s\n' "$gout" | sed -n 's/^BYTES //p')" "$bytes"
	[ "$m" = sector ] && expect_match "-> sector: ndctl check-namespace passes" "$gout" "^CHECKNS ok"

	expect_match "-> $m: e2fsck -fn clean" "$gout" "^FSCK ok"
	expect_eq "-> $m: every file has its checksum" "$(printf '%s\n' "$gout" | grep '^SUM ')" "$sums"
	[ "$m" = fsdax ] && expect_match "-> fsdax: mounted with dax" "$gout" "^DAX 1"
done
done_testing
