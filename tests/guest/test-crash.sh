#!/bin/sh
# Crash safety judged by the guest kernel: a namespace create (sector on v1.2
# labels: 7 planned writes) and a destroy (fsdax on v1.1 labels: 2 writes) are
# cut short after every single write (VPMEM_TEST_CRASH_AFTER_WRITES=N); each
# result, booted, must show the old namespace set or the new one, and vpmem
# list must agree with the guest. Each image is made for its own slot so all
# of them boot together in one guest.
. "$(dirname "$0")/lib-guest.sh"
here=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1
args=
expect_file=$T/expect
: >"$expect_file"

ncreate=$("$VPMEM" image create probe.img --size 256M --label-version 1.2 >/dev/null &&
	"$VPMEM" namespace create probe.img --mode sector --size 32M --dry-run | sed -n 's/.*: \([0-9]*\) write(s)$/\1/p')
expect_eq "create plan has 7 writes" "$ncreate" 7
slot=0
for n in $(seq 0 "$ncreate"); do
	f=create$n.img
	"$VPMEM" image create $f --size 256M --label-version 1.2 --slot $slot >/dev/null
	"$VPMEM" namespace create $f --mode fsdax --size 32M --name keep >/dev/null
	VPMEM_TEST_CRASH_AFTER_WRITES=$n "$VPMEM" namespace create $f --mode sector --size 32M --name new >/dev/null
	rc=$?
	expect_eq "create cut after write $n exits $([ $n -lt $ncreate ] && echo 99 || echo 0)" "$rc" "$([ $n -lt $ncreate ] && echo 99 || echo 0)"
	echo "$slot create $n $ncreate" >>"$expect_file"
	args="$args --pmem-image $T/$f"
	slot=$((slot + 1))
done
for n in 0 1 2; do
	f=destroy$n.img
	"$VPMEM" image create $f --size 256M --slot $slot >/dev/null
	"$VPMEM" namespace create $f --mode fsdax --size 32M --name keep >/dev/null
	"$VPMEM" namespace create $f --mode fsdax --size 32M --name gone >/dev/null
	VPMEM_TEST_CRASH_AFTER_WRITES=$n "$VPMEM" namespace destroy $f --name gone >/dev/null
	echo "$slot destroy $n 2" >>"$expect_file"
	args="$args --pmem-image $T/$f"
	slot=$((slot + 1))
done
for f in create*.img destroy*.img; do "$VPMEM" list --json "$T/$f" >"$T/$f.json"; done

# shellcheck disable=SC2086
guest_run --qemu-memory 1G --hotplug-slots 0 $args 'ndctl list -RND -v'
expect_eq "guest status" "$grc" 0
printf '%s\n' "$gout" >guest.json
res=$(python3 - guest.json "$expect_file" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
ids = {d["dev"]: d["id"] for d in doc["dimms"]}
by_slot = {}
for r in doc["regions"]:
    slot = int(ids[r["mappings"][0]["dimm"]][5:7], 16) - 0x56
    by_slot[slot] = sorted((n.get("name", ""), n["mode"]) for n in r.get("namespaces", []))
for line in open(sys.argv[2]):
    slot, op, n, total = line.split()
    slot, n, total = int(slot), int(n), int(total)
    got = by_slot.get(slot)
    if op == "create":
        old, new = [("keep", "fsdax")], [("keep", "fsdax"), ("new", "sector")]
    else:
        old, new = [("gone", "fsdax"), ("keep", "fsdax")], [("keep", "fsdax")]
    state = "old" if got == old else "new" if got == new else "NEITHER"
    if n == total and state != "new":
        state = "NOT-NEW-AT-END"
    print(f"{op} cut after {n}/{total}: {state} {got}")
PY
)
printf '%s\n' "$res" >&2
expect_nomatch "every crash point is the old or the new state" "$res" 'NEITHER|NOT-NEW'
expect_eq "all 11 crash points seen by the guest" "$(printf '%s\n' "$res" | grep -c ': \(old\|new\) ')" 11
expect_match "an early cut is the old state" "$res" '^create cut after 0/7: old'
expect_match "the full plan is the new state" "$res" '^create cut after 7/7: new'
cmp=$(python3 "$here/compare.py" guest.json "$T"/create*.img.json "$T"/destroy*.img.json)
expect_eq "vpmem list agrees with the guest at every crash point" "$?" 0
printf '%s\n' "$cmp" | grep MISMATCH >&2

done_testing
