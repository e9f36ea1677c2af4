#!/bin/bash
# A layout applied offline in one process (vpmem image create --layout) against
# its anchor, the in-guest path (boot the default guest on a blank backing,
# ndctl init-labels, then ndctl create-namespace for each of the four
# namespaces of the issue's layout), side by side in one run, for 1 GiB and
# 64 GiB backings. Then the same with the ext4 filesystem on "db" (offline:
# mkfs.ext4 on a temporary file written into the namespace; in the guest:
# mkfs.ext4 -b 4096 on /dev/pmem0), reported separately.
#
# The machine is shared and its load cannot be controlled: each case runs
# ROUNDS times (alternating offline and in-guest) and the best (shortest)
# time of each side is kept. In each round the offline side runs OFFLINE_RUNS
# times (default 10, each on a new file): a 10 ms command loses its best case
# to one scheduler tick or another process's burst, a 5 s guest boot does
# not, so the short side needs more tries to show its own best (as hyperfine
# runs short commands many times); the ratio is of the two bests, and the
# median of all the offline runs is printed beside the best. "start-up" is
# `vpmem --version` (best of the same runs): the floor every vpmem command
# pays before doing anything.
# Times come from bash's $EPOCHREALTIME, read without starting a process
# (microseconds; an earlier `date +%s%N` added one process start, ~5-8 ms here, to each
# offline figure and almost nothing to the in-guest one).
#
# usage: VPMEM=build/src/vpmem [ROUNDS=3] [OFFLINE_RUNS=10] bench/layout.sh [SIZE...]
set -eu
: "${VPMEM:?}"
here=$(cd "$(dirname "$0")" && pwd)
sizes=${*:-1G 64G}
dir=${BENCH_DIR:-$(mktemp -d /var/tmp/vpmem-bench.XXXXXX)}
trap 'rm -rf "$dir"' EXIT
L=131072
nofs=$here/../tests/data/layout/example-nofs.json
fs=$here/../tests/data/layout/example.json
guest4='ndctl disable-region all >/dev/null && ndctl init-labels all >/dev/null &&
ndctl enable-region all >/dev/null &&
ndctl create-namespace -m fsdax -M dev -s 96M -n db >/dev/null &&
ndctl create-namespace -m devdax -a 2M -s 64M -n cache >/dev/null &&
ndctl create-namespace -m sector -l 4096 -s 48M -n log >/dev/null &&
ndctl create-namespace -m raw -n rest >/dev/null'

rounds=${ROUNDS:-3}
offline_runs=${OFFLINE_RUNS:-10}
"$VPMEM" guest build --quiet
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, rounds $rounds (offline: $offline_runs runs per round), load average at start: $(load)"
# which binary: the build tree's and the installed one differ in what the
# dynamic loader does at start (a RUNPATH search, the libraries it loads)
exe=$(command -v "$VPMEM")
echo "# vpmem: $exe ($("$VPMEM" --version)); NEEDED: $(readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')RUNPATH: $(readelf -d "$exe" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')"
printf '%-5s %-6s %10s %10s %10s %10s %8s  %s\n' size case start-up offline median in-guest ratio "load (1/5/15 min, after)"
for size in $sizes; do
	b=$(numfmt --from=iec "$size")
	for c in nofs ext4; do
		lay=$nofs; extra=
		[ $c = ext4 ] && lay=$fs && extra=' && mkfs.ext4 -q -F -b 4096 /dev/pmem0'
		best_off=0 best_g=0 best_v=0 all_off=
		for r in $(seq 1 "$rounds"); do
			for o in $(seq 1 "$offline_runs"); do
				rm -f "$dir"/*.img
				t0=${EPOCHREALTIME/./}
				"$VPMEM" --version >/dev/null
				t1=${EPOCHREALTIME/./}
				v_us=$(( t1 - t0 ))
				t0=${EPOCHREALTIME/./}
				"$VPMEM" image create "$dir/off.img" --size $((b + L)) --layout "$lay" >/dev/null
				t1=${EPOCHREALTIME/./}
				off_us=$(( t1 - t0 ))
				all_off="$all_off $off_us"
				[ $best_off = 0 ] || [ $off_us -lt $best_off ] && best_off=$off_us
				[ $best_v = 0 ] || [ $v_us -lt $best_v ] && best_v=$v_us
			done
			rm -f "$dir"/*.img
			truncate -s $((b + L)) "$dir/guest.img"
			t0=${EPOCHREALTIME/./}
			"$VPMEM" run -q --timeout 1800 --state-dir "$dir/vm" --label-size 128K \
				--pmem-image "$dir/guest.img" --guest-cmd "$guest4$extra" >/dev/null 2>&1 ||
				echo "in-guest path failed for $size $c" >&2
			t1=${EPOCHREALTIME/./}
			g_us=$(( t1 - t0 ))
			rm -rf "$dir/vm"
			[ $best_g = 0 ] || [ $g_us -lt $best_g ] && best_g=$g_us
		done
		# "median": of all the offline runs, for the reader who distrusts a best case
		med_off=$(printf '%s\n' $all_off | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
		printf '%-5s %-6s %8sms %8sms %8sms %8sms %7sx  %s\n' "$size" $c \
			"$(awk -v u=$best_v 'BEGIN { printf "%.1f", u / 1000 }')" \
			"$(awk -v u=$best_off 'BEGIN { printf "%.1f", u / 1000 }')" \
			"$(awk -v u=$med_off 'BEGIN { printf "%.1f", u / 1000 }')" $((best_g / 1000)) $((best_g / best_off)) "$(load)"
	done
done
