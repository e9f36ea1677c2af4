#!/bin/sh
# Run the image fuzzer for a bounded time from seeds made of the golden images
# and of vpmem-made images (every mode). Fails on any crash, leak or UB report:
# the exit status is the fuzzer's, not that of the tail that shortens its log
# (sh has no pipefail, so the log goes to a file first).
set -eu
: "${FUZZER:?}" "${VPMEM:?}"
secs=${FUZZ_SECONDS:-60}
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
for g in "$here"/../golden/*.img.xz; do
	xz -dc "$g" | dd of="$(basename "$g" .xz)" bs=64K conv=sparse status=none
done
"$VPMEM" image create v.img --size $((32 * 1048576 + 131072)) --label-version 1.2 >/dev/null
"$VPMEM" namespace create v.img --mode sector --size 16M --name s >/dev/null
"$VPMEM" namespace create v.img --mode devdax --size 16M >/dev/null
python3 "$here/seeds.py" corpus ./*.img
rc=0
"$FUZZER" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 corpus >log 2>&1 || rc=$?
tail -n 25 log
if [ "$rc" -ne 0 ]; then
	echo "error: fuzzer '$(basename "$FUZZER")' exited with status $rc" >&2
fi
exit "$rc"
