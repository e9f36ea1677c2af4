#!/bin/sh
# Run one libFuzzer target for a bounded time from its checked-in corpus.
# Fails on a crash, a leak, a sanitizer report, a timeout (one input running
# longer than FUZZ_TIMEOUT seconds) or an out-of-memory; prints the tail of
# the fuzzer's log either way. New inputs go to a temporary directory, never
# into the source tree (bench/fuzz-long.sh keeps them).
#   FUZZER=path [CORPUS=dir] [FUZZ_SECONDS=15] [FUZZ_TIMEOUT=10] [SEEDS=cmd] fuzz.sh
# SEEDS, when set, is run in the work directory to add seeds to ./corpus.
set -eu
: "${FUZZER:?}"
secs=${FUZZ_SECONDS:-15}
tmo=${FUZZ_TIMEOUT:-10}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir "$T/corpus" "$T/artifacts"
if [ -n "${SEEDS:-}" ]; then
	(cd "$T" && sh -c "$SEEDS")
fi
rc=0
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1" \
	"$FUZZER" -max_total_time="$secs" -timeout="$tmo" -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$T/artifacts/" \
	"$T/corpus" ${CORPUS:+"$CORPUS"} >"$T/log" 2>&1 || rc=$?
grep -E '^(stat::|Done|#[0-9]+ *DONE|INFO: seed corpus)' "$T/log" || tail -n 5 "$T/log"
if [ "$rc" -ne 0 ]; then
	# the report: from the first sanitizer/libFuzzer error line, 40 lines
	awk '/ERROR:|runtime error:|ALARM|Timeout|out-of-memory|deadly signal/ { p = 1 } p && n++ < 40' "$T/log"
	for a in "$T"/artifacts/*; do
		[ -e "$a" ] || continue
		echo "fuzz: failing input $(basename "$a"): $(od -An -c -N 64 "$a" | tr -s ' ' | head -c 200)"
	done
	echo "fuzz: $(basename "$FUZZER") failed (exit $rc)" >&2
	exit 1
fi
