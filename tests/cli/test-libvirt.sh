#!/bin/sh
# vpmem run --libvirt-xml: the same machine as a libvirt domain, valid against
# libvirt's own schema (virt-xml-validate from libvirt-clients).
. "$(dirname "$0")/../lib.sh"
command -v virt-xml-validate >/dev/null || { echo "virt-xml-validate missing (apt-get install libvirt-clients)" >&2; exit 1; }

xp() { python3 -c 'import sys, xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); print(" ".join((e.text or "").strip() if len(sys.argv) < 5 else e.get(sys.argv[4]) for e in r.findall(sys.argv[2])))' "$@"; }

for nodes in 1 2 4; do
	run_vpmem run --qemu-nodes "$nodes" --qemu-cores 4 --qemu-memory 1G --qemu-pmem 2G --label-size 128K \
		--persistence mem-ctrl --state-dir "$T/vm, $nodes" --libvirt-xml
	expect_eq "$nodes nodes: status" "$rc" 0
	printf '%s\n' "$out" >"$T/d$nodes.xml"
	check "$nodes nodes: valid libvirt domain" virt-xml-validate "$T/d$nodes.xml" domain
	expect_eq "$nodes nodes: one nvdimm per node" "$(xp "$T/d$nodes.xml" "./devices/memory[@model='nvdimm']" x model | wc -w)" "$nodes"
	expect_eq "$nodes nodes: maxMemory slots" "$(xp "$T/d$nodes.xml" ./maxMemory x slots)" $((nodes + 2))
	expect_eq "$nodes nodes: dimm slots" "$(xp "$T/d$nodes.xml" ./devices/memory/address x slot)" "$(seq -s ' ' 0 $((nodes - 1)))"
	# libvirt keeps only 2M multiples: the 128K label area becomes 2M, the region stays 2G/nodes
	expect_eq "$nodes nodes: label size KiB" "$(xp "$T/d$nodes.xml" ./devices/memory/target/label/size | cut -d' ' -f1)" 2048
	expect_eq "$nodes nodes: one numa cell per node" "$(xp "$T/d$nodes.xml" ./cpu/numa/cell x id | wc -w)" "$nodes"
	expect_eq "$nodes nodes: target node on every dimm" "$(xp "$T/d$nodes.xml" ./devices/memory/target/node | wc -w)" "$nodes"
	expect_eq "$nodes nodes: path with comma and space" "$(xp "$T/d$nodes.xml" ./devices/memory/source/path | cut -d' ' -f1-2)" "$T/vm, $nodes/pmem0.img"
	expect_eq "$nodes nodes: access shared" "$(xp "$T/d$nodes.xml" ./devices/memory x access | tr ' ' '\n' | sort -u)" shared
done
expect_eq "2 nodes: numa cells" "$(xp "$T/d2.xml" ./cpu/numa/cell x cpus)" "0-1 2-3"
expect_eq "2 nodes: target nodes" "$(xp "$T/d2.xml" ./devices/memory/target/node)" "0 1"
expect_eq "4 nodes: bases" "$(xp "$T/d4.xml" ./devices/memory/address x base)" "0x100000000 0x140000000 0x180000000 0x1c0000000"
expect_eq "target size = region + label" "$(xp "$T/d1.xml" ./devices/memory/target/size)" $((2 * 1048576 + 2048))
run_vpmem run --qemu-pmem 2G --label-size 128K --state-dir "$T/j" --libvirt --print --json
expect_eq "--libvirt --print --json: status" "$rc" 0
expect_eq "json: region stays whole" "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin)["dimms"][0]; print(d["region_size"], d["size"], d["label_size"])')" "2147483648 2149580800 2097152"
expect_eq "json: carries the xml" "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["xml"].startswith("<domain"))')" True
expect_eq "json: says the accelerator" "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accel"] in ("tcg","kvm"))')" True
expect_match "stderr names the backing that does not exist yet" "$err" "pmem0.img' does not exist yet"
check "nothing created by --print" test ! -e "$T/j"
run_vpmem run --qemu-pmem 64M --pmem-image "$T/odd.img" --state-dir "$T/o" --libvirt-xml
expect_eq "odd image: refused" "$rc" 1
truncate -s 65M "$T/odd.img"
run_vpmem run --pmem-image "$T/odd.img" --state-dir "$T/o" --libvirt-xml
expect_eq "image not a 2M multiple: refused" "$rc" 1
expect_match "image not a 2M multiple: says why" "$err" "is not a multiple of 2M: libvirt would round"


run_vpmem run --virtio-pmem --qemu-pmem 512M --state-dir "$T/v" --libvirt-xml
expect_eq "virtio: status" "$rc" 0
printf '%s\n' "$out" >"$T/v.xml"
check "virtio: valid libvirt domain" virt-xml-validate "$T/v.xml" domain
expect_eq "virtio: model" "$(xp "$T/v.xml" ./devices/memory x model)" virtio-pmem
check "nothing created by --libvirt-xml" test ! -e "$T/v"

run_vpmem run --qemu-pmem 512M --state-dir "$T/c" --libvirt-xml --create
expect_eq "--create: status" "$rc" 0
expect_eq "--create: the backing exists at the planned size" "$(stat -c %s "$T/c/pmem0.img" 2>/dev/null)" $((512 << 20))
run_vpmem run --qemu-pmem 512M --create
expect_eq "--create without --print" "$rc" 2

done_testing
