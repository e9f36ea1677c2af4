#!/bin/sh
# Offline provisioning (vpmem image create + namespace create, on the host)
# against its anchor, the in-guest path (boot the default guest, ndctl
# init-labels + create-namespace), side by side in one run, for 1 GiB and
# 64 GiB backings and two modes. Reports wall time, the ratio, and the bytes
# physically allocated in the backing file (both start sparse).
#
# usage: VPMEM=build/src/vpmem bench/provision.sh [SIZE...]   (default: 1G 64G)
set -eu
: "${VPMEM:?}"
sizes=${*:-1G 64G}
dir=${BENCH_DIR:-$(mktemp -d /var/tmp/vpmem-bench.XXXXXX)}
trap 'rm -rf "$dir"' EXIT
now() { date +%s%N; }
alloc() { du --block-size=1 "$1" | cut -f1; }
bytes() { numfmt --to=iec-i --suffix=B "$1"; }
L=131072

"$VPMEM" guest build --quiet
printf '%-6s %-7s %12s %12s %9s %14s %14s\n' size mode offline in-guest ratio offline-alloc guest-alloc
for size in $sizes; do
	b=$(numfmt --from=iec "$size")
	for mode in fsdax sector; do
		rm -f "$dir"/*.img
		t0=$(now)
		"$VPMEM" image create "$dir/off.img" --size $((b + L)) >/dev/null
		"$VPMEM" namespace create "$dir/off.img" --mode $mode >/dev/null
		t1=$(now)
		off_ms=$(( (t1 - t0) / 1000000 ))
		off_alloc=$(alloc "$dir/off.img")

		truncate -s $((b + L)) "$dir/guest.img"
		t0=$(now)
		"$VPMEM" run -q --timeout 1800 --state-dir "$dir/vm" --label-size 128K \
			--pmem-image "$dir/guest.img" --guest-cmd "
ndctl disable-region all >/dev/null && ndctl init-labels all >/dev/null &&
ndctl enable-region all >/dev/null && ndctl create-namespace -m $mode >/dev/null" >/dev/null
		t1=$(now)
		g_ms=$(( (t1 - t0) / 1000000 ))
		g_alloc=$(alloc "$dir/guest.img")
		printf '%-6s %-7s %10sms %10sms %8sx %14s %14s\n' "$size" $mode $off_ms $g_ms \
			$(( g_ms / (off_ms ? off_ms : 1) )) "$(bytes $off_alloc)" "$(bytes $g_alloc)"
		rm -rf "$dir/vm"
	done
done
