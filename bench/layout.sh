#!/bin/sh
# A layout applied offline in one process (vpmem image create --layout) against
# its anchor, the in-guest path (boot the default guest on a blank backing,
# ndctl init-labels, then ndctl create-namespace for each of the four
# namespaces of the issue's layout), side by side in one run, for 1 GiB and
# 64 GiB backings. Then the same with the ext4 filesystem on "db" (offline:
# mkfs.ext4 on a temporary file written into the namespace; in the guest:
# mkfs.ext4 -b 4096 on /dev/pmem0), reported separately.
#
# usage: VPMEM=build/src/vpmem bench/layout.sh [SIZE...]
set -eu
: "${VPMEM:?}"
here=$(cd "$(dirname "$0")" && pwd)
sizes=${*:-1G 64G}
dir=${BENCH_DIR:-$(mktemp -d /var/tmp/vpmem-bench.XXXXXX)}
trap 'rm -rf "$dir"' EXIT
now() { date +%s%N; }
L=131072
nofs=$here/../tests/data/layout/example-nofs.json
fs=$here/../tests/data/layout/example.json
guest4='ndctl disable-region all >/dev/null && ndctl init-labels all >/dev/null &&
ndctl enable-region all >/dev/null &&
ndctl create-namespace -m fsdax -M dev -s 96M -n db >/dev/null &&
ndctl create-namespace -m devdax -a 2M -s 64M -n cache >/dev/null &&
ndctl create-namespace -m sector -l 4096 -s 48M -n log >/dev/null &&
ndctl create-namespace -m raw -n rest >/dev/null'

"$VPMEM" guest build --quiet
printf '%-5s %-6s %10s %10s %8s\n' size case offline in-guest ratio
for size in $sizes; do
	b=$(numfmt --from=iec "$size")
	for c in nofs ext4; do
		rm -f "$dir"/*.img
		lay=$nofs; extra=
		[ $c = ext4 ] && lay=$fs && extra=' && mkfs.ext4 -q -F -b 4096 /dev/pmem0'
		t0=$(now)
		"$VPMEM" image create "$dir/off.img" --size $((b + L)) --layout "$lay" >/dev/null
		t1=$(now)
		off_us=$(( (t1 - t0) / 1000 ))
		truncate -s $((b + L)) "$dir/guest.img"
		t0=$(now)
		"$VPMEM" run -q --timeout 1800 --state-dir "$dir/vm" --label-size 128K \
			--pmem-image "$dir/guest.img" --guest-cmd "$guest4$extra" >/dev/null 2>&1 ||
			echo "in-guest path failed for $size $c" >&2
		t1=$(now)
		g_us=$(( (t1 - t0) / 1000 ))
		printf '%-5s %-6s %8sms %8sms %7sx\n' "$size" $c \
			"$(awk -v u=$off_us 'BEGIN { printf "%.1f", u / 1000 }')" $((g_us / 1000)) $((g_us / off_us))
		rm -rf "$dir/vm"
	done
done
