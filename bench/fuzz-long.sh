#!/bin/sh
# Long fuzz runs: every libFuzzer target of tests/fuzz for SECS seconds each
# (default 600), from its checked-in corpus, under ASan+UBSan (the build-fuzz
# build of scripts/setup.sh). Inputs that add coverage are kept in
# OUT/corpus/TARGET (merge the useful ones into tests/fuzz/corpus/TARGET with
# `FUZZER -merge=1 tests/fuzz/corpus/TARGET OUT/corpus/TARGET`); a crash, leak
# or timeout leaves its input in OUT/artifacts/. One line per target:
#   target  seconds  execs  execs/s  new-inputs  corpus  result
#
#   bench/fuzz-long.sh [-b BUILD] [-o OUT] [-j JOBS] [SECS [TARGET...]]
# FUZZ_TIMEOUT (default 10): seconds of wall time one input may take; raise it
# when the run is niced on a loaded machine (libFuzzer's timeout is wall time)
set -u
build=build-fuzz out=fuzz-long jobs=1
while getopts b:o:j: o; do
	case $o in
	b) build=$OPTARG ;;
	o) out=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) echo "usage: $0 [-b BUILD] [-o OUT] [-j JOBS] [SECS [TARGET...]]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
secs=${1:-600}
[ $# -gt 0 ] && shift
src=$(cd "$(dirname "$0")/.." && pwd)
targets=${*:-labels pfn btt btt-io image check e820 grub size qemu libvirt ndctl-json vmdk vmkfstools mountinfo vmstate kconfig layout ipmctl cxl-image locks}
mkdir -p "$out/artifacts" "$out/logs"
fail=0
run_one() {
	t=$1
	fz=$build/tests/fuzz/fuzz-$t
	[ -x "$fz" ] || { echo "$t: no $fz (build with scripts/setup.sh test)"; return 1; }
	mkdir -p "$out/corpus/$t"
	seeds=$src/tests/fuzz/corpus/$t
	gen=$t
	[ "$t" = check ] && gen=image # fuzz-check starts from fuzz-image's seeds (tests/fuzz/meson.build)
	if [ -f "$src/tests/fuzz/$gen-seeds.sh" ]; then
		# seeds made at run time (tests/fuzz/TARGET-seeds.sh, in a work directory, into ./corpus)
		rm -rf "$out/seeds-$t"
		mkdir -p "$out/seeds-$t/corpus"
		(cd "$out/seeds-$t" && VPMEM=$src/$build/src/vpmem FUZZ_DIR=$src/tests/fuzz \
			sh "$src/tests/fuzz/$gen-seeds.sh" "$src/tests/fuzz") ||
			{ echo "$t: seeds failed (tests/fuzz/$gen-seeds.sh)"; return 1; }
		seeds=$out/seeds-$t/corpus
	fi
	before=$(ls "$out/corpus/$t" | wc -l)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$fz" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t-" "$out/corpus/$t" "$seeds" >"$out/logs/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/logs/$t.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/logs/$t.log")
	after=$(ls "$out/corpus/$t" | wc -l)
	printf '%-11s %5ss %10s %7s/s %5s new %5s corpus  %s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" \
		$((after - before)) "$after" "$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc, see $out/logs/$t.log)")"
	return $rc
}
# one batch of JOBS targets at a time; each batch's lines are printed as soon
# as it ends (so a long run's figures come out as they are made)
batch=
flush() {
	wait
	for b in $batch; do
		cat "$out/logs/$b.line"
		grep -q FAILED "$out/logs/$b.line" && fail=1
	done
	batch=
}
n=0
for t in $targets; do
	run_one "$t" >"$out/logs/$t.line" 2>&1 &
	batch="$batch $t"
	n=$((n + 1))
	if [ "$n" -ge "$jobs" ]; then
		flush
		n=0
	fi
done
flush
exit $fail
