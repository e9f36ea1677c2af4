#!/bin/sh
# Offline provisioning (vpmem image create + namespace create, on the host)
# against its anchor, the in-guest path (boot the default guest, ndctl
# init-labels + create-namespace), side by side in one run, for 1 GiB and
# 64 GiB backings and two modes. Reports wall time, the ratio, and the bytes
# physically allocated in the backing file (both start sparse).
#
# Offline is measured twice: through the command (two process start-ups) and
# in-process through libvpmem (bench/provision-lib.c), the provisioning work
# alone.
#
# usage: VPMEM=build/src/vpmem LIB=build/bench/provision-lib bench/provision.sh [SIZE...]
set -eu
: "${VPMEM:?}" "${LIB:?}"
sizes=${*:-1G 64G}
dir=${BENCH_DIR:-$(mktemp -d /var/tmp/vpmem-bench.XXXXXX)}
trap 'rm -rf "$dir"' EXIT
now() { date +%s%N; }
alloc() { du --block-size=1 "$1" | cut -f1; }
bytes() { numfmt --to=iec-i --suffix=B "$1"; }
L=131072

"$VPMEM" guest build --quiet
printf '%-5s %-7s %10s %10s %10s %8s %8s %11s %11s %11s\n' size mode cli lib in-guest ratio-cli ratio-lib lib-written lib-alloc guest-alloc
for size in $sizes; do
	b=$(numfmt --from=iec "$size")
	for mode in fsdax sector; do
		rm -f "$dir"/*.img
		t0=$(now)
		"$VPMEM" image create "$dir/off.img" --size $((b + L)) >/dev/null
		"$VPMEM" namespace create "$dir/off.img" --mode $mode >/dev/null
		t1=$(now)
		off_us=$(( (t1 - t0) / 1000 ))
		rm -f "$dir/lib.img"
		set -- $("$LIB" "$dir/lib.img" "$size" $mode)
		lib_us=$1 lib_written=$2 lib_alloc=$3

		truncate -s $((b + L)) "$dir/guest.img"
		t0=$(now)
		"$VPMEM" run -q --timeout 1800 --state-dir "$dir/vm" --label-size 128K \
			--pmem-image "$dir/guest.img" --guest-cmd "
ndctl disable-region all >/dev/null && ndctl init-labels all >/dev/null &&
ndctl enable-region all >/dev/null && ndctl create-namespace -m $mode >/dev/null" >/dev/null 2>&1
		t1=$(now)
		g_us=$(( (t1 - t0) / 1000 ))
		g_alloc=$(alloc "$dir/guest.img")
		printf '%-5s %-7s %8sms %8sms %8sms %7sx %7sx %11s %11s %11s\n' "$size" $mode \
			$((off_us / 1000)) "$(awk -v u=$lib_us 'BEGIN { printf "%.1f", u / 1000 }')" $((g_us / 1000)) \
			$((g_us / off_us)) $((g_us / lib_us)) "$(bytes $lib_written)" "$(bytes $lib_alloc)" "$(bytes $g_alloc)"
		rm -rf "$dir/vm"
	done
done
