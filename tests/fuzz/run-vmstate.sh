#!/bin/sh
# Run the VM spec fuzzer for a bounded time from a spec.json that vpmem run
# writes (made here with --print's plan shape) and a few broken ones. Fails on
# any crash, leak or UB report (the fuzzer's status, kept past tail).
set -eu
: "${FUZZER:?}"
secs=${FUZZ_SECONDS:-30}
T=$(mktemp -d)
trap 'rm -rf "$T" /tmp/vpmem-fuzz-vmstate.*' EXIT
mkdir "$T/corpus"
cat >"$T/corpus/spec.json" <<'JSON'
{ "name": "a", "launcher": "libvirt", "connect": "qemu:///system", "domain": "a",
  "libvirt_dir": "/var/lib/libvirt/images/vpmem/a", "virtio_pmem": false,
  "dimms": [ { "path": "/x/pmem0.img", "slot": 0, "node": 0, "size": 270532608,
               "label_size": 2097152, "region_size": 268435456, "addr": 4294967296, "created": true } ],
  "options": [ "--qemu-pmem", "256M", "--label-size", "128K" ], "argv": [ "qemu-system-x86_64", "-m", "512M" ] }
JSON
printf '{"dimms": [ {"slot": -1}, 3, {"path": 7} ], "options": {}, "argv": [ null ]}' >"$T/corpus/odd.json"
printf '[]' >"$T/corpus/array.json"
rc=0
"$FUZZER" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 "$T/corpus" >"$T/log" 2>&1 || rc=$?
tail -n 25 "$T/log"
if [ "$rc" -ne 0 ]; then
	echo "error: fuzzer '$(basename "$FUZZER")' exited with status $rc" >&2
fi
exit "$rc"
