#!/bin/sh
# Merge what a long fuzz run (bench/fuzz-long.sh -o OUT) found back into the
# checked-in corpus, minimised: libFuzzer's -merge=1 keeps only the inputs
# that add coverage beyond the checked-in corpus and the target's run-time
# seeds; inputs over MAXLEN bytes (default 65536) are left out, so the
# corpus stays small (the test command runs each target 15 s from it).
#   bench/fuzz-merge.sh [-b BUILD] [-m MAXLEN] OUT TARGET...
set -eu
build=build-fuzz maxlen=65536
while getopts b:m: o; do
	case $o in
	b) build=$OPTARG ;;
	m) maxlen=$OPTARG ;;
	*) echo "usage: $0 [-b BUILD] [-m MAXLEN] OUT TARGET..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { echo "usage: $0 [-b BUILD] [-m MAXLEN] OUT TARGET..." >&2; exit 2; }
out=$1
shift
src=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for t in "$@"; do
	fz=$build/tests/fuzz/fuzz-$t
	[ -x "$fz" ] || { echo "$t: no $fz" >&2; exit 1; }
	rm -rf "$W/a" "$W/b"
	mkdir -p "$W/a" "$W/b" "$src/tests/fuzz/corpus/$t"
	# what the target starts from: the checked-in corpus and the run-time seeds
	cp "$src/tests/fuzz/corpus/$t/." "$W/a/" -R
	[ -d "$out/seeds-$t/corpus" ] && cp "$out/seeds-$t/corpus/." "$W/a/" -R
	ls "$W/a" >"$W/before"
	find "$out/corpus/$t" -type f -size -"$((maxlen + 1))"c -exec cp {} "$W/b/" \;
	ASAN_OPTIONS=detect_leaks=0 "$fz" -merge=1 -timeout=10 -rss_limit_mb=2048 "$W/a" "$W/b" >"$W/log" 2>&1 ||
		{ tail -n 20 "$W/log" >&2; echo "$t: merge failed" >&2; exit 1; }
	n=0
	for f in "$W"/a/*; do
		grep -qxF "$(basename "$f")" "$W/before" && continue
		cp "$f" "$src/tests/fuzz/corpus/$t/"
		n=$((n + 1))
	done
	echo "$t: $n new inputs into tests/fuzz/corpus/$t ($(ls "$src/tests/fuzz/corpus/$t" | wc -l) in all, $(du -sh "$src/tests/fuzz/corpus/$t" | cut -f1))"
done
