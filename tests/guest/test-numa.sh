#!/bin/sh
# Two guest NUMA nodes, one vNVDIMM each: the guest kernel sees two regions on
# nodes 0 and 1 with the planned sizes and slot identities, aligned so that
# ndctl create-namespace works on every region; persistence domain as asked.
. "$(dirname "$0")/lib-guest.sh"

# what the guest says about regions, as one JSON document
dump='ndctl list -RD >/tmp/l.json
echo "{\"ndctl\": $(cat /tmp/l.json), \"numa\": {"
sep=
for r in /sys/bus/nd/devices/region*; do
	printf "%s\"%s\": [%s, \"%s\"]" "$sep" "$(basename $r)" "$(cat $r/numa_node)" "$(cat $r/mappings 2>/dev/null)"
	sep=,
done
echo "}}"'

check_regions() { # $1 = label | nolabel, $2 = expected persistence_domain
	expect_eq "$1: guest status" "$grc" 0
	json=$(printf '%s\n' "$gout" | sed -n '/^{"ndctl"/,$p')
	# per slot: "size numa_node persistence_domain" of the region whose DIMM has the slot's id
	got=$(python3 - "$json" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
dimms = {d["id"]: d["dev"] for d in j["ndctl"]["dimms"]}
print(len(j["ndctl"]["regions"]), len(dimms))
for slot in (0, 1):
    dev = dimms.get("8680-%02x341200" % (0x56 + slot))
    r = [r for r in j["ndctl"]["regions"] if r["mappings"][0]["dimm"] == dev]
    r = r[0] if r else {}
    print(slot, r.get("size"), j["numa"].get(r.get("dev"), [None])[0], r.get("persistence_domain", "unknown"))
PY
)
	expect_eq "$1: regions, DIMMs, and per slot: size, node, persistence" "$(echo $got)" \
		"2 2 0 536870912 0 $2 1 536870912 1 $2"
}

# Label-less: one whole-region namespace per region, its mode set by ndctl.
guest_run --qemu-nodes 2 --qemu-pmem 1G "$dump
ndctl create-namespace -f -e namespace0.0 --mode fsdax >/dev/null || exit 10
ndctl create-namespace -f -e namespace1.0 --mode devdax >/dev/null || exit 11
ls /dev/pmem0 /dev/dax1.0 >/dev/null || exit 12"
check_regions nolabel unknown
# no false alarms: the label-less images, now holding the fsdax and devdax
# info blocks the guest's ndctl wrote (-v: shown, judged ok)
for i in 0:fsdax 1:devdax; do
	expect_check_ok "$T/vm/pmem${i%:*}.img" -v
	expect_match "nolabel: pmem${i%:*}.img: the guest's ${i#*:} namespace judged ok" "$out" "^  namespace0\.0: ok \(${i#*:},"
done

# With a 128K label area (initialised by vpmem run when it made the backings:
# no ndctl init-labels), labelled namespaces of the whole region on both
# (fails if a region were misaligned or the label areas were blank).
GUEST_STATE=$T/vm2 guest_run --qemu-nodes 2 --qemu-pmem 1G --label-size 128K --persistence cpu "$dump
for r in region0 region1; do ndctl create-namespace -r \$r --mode fsdax >/tmp/ns.json || exit 21; done
[ \$(ndctl list -N | grep -c '\"mode\":\"fsdax\"') = 2 ] || exit 22"
check_regions label cpu_cache
check "label: backings are region + label area" test "$(stat -c %s "$T/vm2/pmem1.img")" = $((512 * 1048576 + 131072))
# and the labelled ones: the labels the guest kernel wrote, and its fsdax
# info blocks, one namespace per image
for i in 0 1; do
	expect_check_ok "$T/vm2/pmem$i.img" -v
	expect_match "label: pmem$i.img: the guest's fsdax namespace judged ok" "$out" '^  namespace0\.0: ok \(fsdax'
done

GUEST_STATE=$T/vm3 guest_run --qemu-pmem 256M --persistence mem-ctrl 'ndctl list -R'
expect_eq "mem-ctrl persistence domain" "$(json_get "$gout" 'j[0]["persistence_domain"]')" memory_controller
expect_check_ok "$T/vm3/pmem0.img"

done_testing
