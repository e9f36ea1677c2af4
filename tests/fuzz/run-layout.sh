#!/bin/sh
# Run the layout/ipmctl parser fuzzer for a bounded time, seeded from the
# layouts and the real ipmctl outputs in tests/data. Fails on any crash, leak
# or UB report.
set -eu
: "${FUZZER:?}"
secs=${FUZZ_SECONDS:-60}
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir "$T/corpus"
i=0
for f in "$here"/../data/layout/*.json; do
	{ printf '\000'; cat "$f"; } >"$T/corpus/l$i"; i=$((i + 1))
done
for f in "$here"/../data/ipmctl/*.xml "$here"/../data/ipmctl/*.txt; do
	{ printf '\001'; cat "$f"; } >"$T/corpus/i$i"; i=$((i + 1))
done
printf '\003{"dimms":[{"dev":"nmem0"}],"regions":[{"dev":"region0","type":"pmem","numa_node":0,"mappings":[{"dimm":"nmem0"}]}]}' >"$T/corpus/n"
rc=0
"$FUZZER" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 "$T/corpus" >"$T/log" 2>&1 || rc=$?
tail -n 25 "$T/log"
if [ "$rc" -ne 0 ]; then
	echo "error: fuzzer '$(basename "$FUZZER")' exited with status $rc" >&2
fi
exit "$rc"
