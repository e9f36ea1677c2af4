#!/bin/sh
# The reverse direction, offline: for every reference image made by the real
# kernel and ndctl in a guest (tests/golden, made by tests/guest/mkgolden.sh),
# `vpmem list --json` equals the guest's `ndctl list` on mode, map, size, uuid,
# raw_uuid, name, sector_size and align; and `vpmem check` finds nothing
# wrong with any of them (tests/guest/test-golden.sh runs this on images the
# guest kernel made that boot, on every kernel).
. "$(dirname "$0")/../lib.sh"
golden=${GOLDEN:-$(cd "$(dirname "$0")/../golden" && pwd)}
compare=$(cd "$(dirname "$0")/../guest" && pwd)/compare.py

while read -r name slot boot; do
	xz -dc "$golden/$name.img.xz" | dd of="$T/$name.img" bs=64K conv=sparse status=none
	run_vpmem list --json --slot "$slot" "$T/$name.img"
	expect_eq "$name: list status" "$rc" 0
	printf '%s\n' "$out" >"$T/$name.json"
	expect_nomatch "$name: no problems reported" "$out" '"problems"'
	res=$(python3 "$compare" "$golden/boot$boot.json" "$T/$name.json")
	expect_eq "$name: vpmem list equals the guest's ndctl list" "$?" 0
	printf '%s\n' "$res" | grep MISMATCH >&2
	# no false alarms: what the kernel and ndctl wrote, vpmem check calls ok
	run_vpmem check --slot "$slot" "$T/$name.img"
	expect_eq "$name: vpmem check says ok (exit)" "$rc" 0
	expect_match "$name: vpmem check says ok" "$out" ": ok\$"
	expect_nomatch "$name: vpmem check has no findings" "$out" "^  (warning|repairable|damaged) "
done <"$golden/MANIFEST"

# the labelled images carry their slot in their cookies; no hint needed
run_vpmem list --json "$T/v12.img"
expect_match "v1.2 slot from the labels" "$out" '"id":"8680-57341200"'
run_vpmem list -v --json "$T/v12.img"
expect_match "v1.2 label version" "$out" '"label_version":"1.2"'
expect_match "slot source" "$out" '"slot_source":"labels"'

done_testing
