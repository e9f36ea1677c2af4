#!/bin/sh
# Run the BTT reader fuzzer for a bounded time from the golden BTTs (made by
# the guest kernel) and a vpmem-made BTT with data written through it (so
# the flog has rotated and the map has normal and trimmed entries).
set -eu
: "${FUZZER:?}" "${VPMEM:?}"
secs=${FUZZ_SECONDS:-60}
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
for g in v11 v12 ll-sector; do
	xz -dc "$here/../golden/$g.img.xz" | dd of="$g.img" bs=64K conv=sparse status=none
done
"$VPMEM" image create w.img --size 64M --no-labels >/dev/null
"$VPMEM" namespace create w.img --mode sector >/dev/null
head -c 300000 /dev/urandom >data.bin
"$VPMEM" namespace import w.img --dev namespace0.0 --from data.bin >/dev/null
"$VPMEM" namespace import w.img --dev namespace0.0 --from data.bin >/dev/null
python3 "$here/seeds-btt.py" corpus ./*.img
"$FUZZER" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 corpus 2>&1 | tail -n 25
