#!/bin/sh
# vpmem map on saved host and guest descriptions: VMware (vmkfstools output,
# VMDK descriptors, text and embedded), QEMU command lines, libvirt XML;
# ndctl JSON in every shape; every mismatch class; garbage.
. "$(dirname "$0")/../lib.sh"
d=$(cd "$(dirname "$0")/../data/map" && pwd)
cd "$T" || exit 1
field() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# --- VMware, the seed's data
run_vpmem map --vmkfstools-output "$d/vmkfstools.txt" --guest-json "$d/guest-vmware-D.json" --json
expect_eq "vmkfstools: status" "$rc" 0
expect_eq "vmkfstools: _1.vmdk is nmem1" "$(field "$out" '[r["guest"]["dimm"] for r in j["devices"] if r["host"]["path"]=="pmem-guest-001_1.vmdk"][0]')" nmem1
expect_eq "vmkfstools: .vmdk is nmem0" "$(field "$out" '[r["guest"]["dimm"] for r in j["devices"] if r["host"]["path"]=="pmem-guest-001.vmdk"][0]')" nmem0
expect_eq "vmkfstools: ids" "$(field "$out" '",".join(r["host"]["id"] for r in j["devices"])')" "8902-206b080c,8902-a2ebf260"
run_vpmem map --vmdk "$d/pmem-guest-001.vmdk" --vmdk "$d/pmem-guest-001_1.vmdk" --guest-json "$d/guest-vmware-D.json"
expect_eq "vmdk descriptors: status" "$rc" 0
expect_match "vmdk table row" "$out" "pmem-guest-001_1.vmdk .* nmem1 +8902-a2ebf260"
# a hosted sparse extent with the descriptor embedded (KDMV header)
python3 - "$d/pmem-guest-001_1.vmdk" sparse.vmdk <<'PY'
import struct, sys
desc = open(sys.argv[1], "rb").read()
hdr = bytearray(512)
struct.pack_into("<4sIIQQQQ", hdr, 0, b"KDMV", 1, 3, 2097152, 128, 1, 20)
img = bytearray(hdr) + desc + bytes(20 * 512 - len(desc)) + bytes(4096)
open(sys.argv[2], "wb").write(img)
PY
run_vpmem map --vmdk sparse.vmdk --guest-json "$d/guest-vmware-D.json" --json
expect_eq "embedded descriptor: matched" "$(field "$out" 'j["devices"][0]["guest"]["dimm"]')" nmem1
expect_eq "embedded descriptor: the other DIMM is unmatched" "$(field "$out" 'j["unmatched_guest"][0]["id"]')" 8902-206b080c
expect_eq "unmatched guest DIMM makes status 1" "$rc" 1

# guest JSON shapes: single object, wrapped -DRN
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[0]))' "$d/guest-vmware-D.json" >one.json
run_vpmem map --vmdk "$d/pmem-guest-001_1.vmdk" --guest-json one.json
expect_eq "single-object guest JSON" "$rc" 0
printf '{"dimms":%s,"regions":[{"dev":"region0","mappings":[{"dimm":"nmem1"}],"namespaces":[{"dev":"namespace0.0","mode":"fsdax","blockdev":"pmem0"}]}]}' "$(cat "$d/guest-vmware-D.json")" >drn.json
run_vpmem map --vmkfstools-output "$d/vmkfstools.txt" --guest-json drn.json
expect_match "-DRN: namespaces and /dev nodes" "$out" 'nmem1 +8902-a2ebf260 +region0 +namespace0.0\(fsdax /dev/pmem0\)'

# mismatches said plainly
sed 's/a2 eb f2 60/20 6b 08 0c/' "$d/vmkfstools.txt" >twins.txt
run_vpmem map --vmkfstools-output twins.txt --guest-json "$d/guest-vmware-D.json"
expect_eq "two candidates: status" "$rc" 1
expect_match "two candidates" "$out" "both map to guest id 8902-206b080c"
sed 's/8902-a2ebf260/8902-00000000/' "$d/guest-vmware-D.json" >other.json
run_vpmem map --vmkfstools-output "$d/vmkfstools.txt" --guest-json other.json
expect_match "host device without a guest DIMM" "$out" "'pmem-guest-001_1.vmdk' \(guest id 8902-a2ebf260\) has no DIMM in the guest"
expect_match "guest DIMM without a host device" "$out" "guest nmem1 \(id 8902-00000000\) matches no host device"
sed 's/8902-a2ebf260/8680-56341200/' "$d/guest-vmware-D.json" >qemuid.json
run_vpmem map --vmkfstools-output "$d/vmkfstools.txt" --guest-json qemuid.json
expect_match "vendor id of the wrong hypervisor" "$out" "has QEMU's vendor id, but the host description is VMware"

# --- QEMU: the command line vpmem run prints (shell words, ',,' escapes, quotes)
truncate -s 256M "a, b.img" c.img e.img
"$VPMEM" image create labelled.img --size 256M --slot 3 >/dev/null
"$VPMEM" namespace create labelled.img --mode raw --size 16M >/dev/null
"$VPMEM" run --state-dir "$T/vm" --print --qemu-nodes 2 --pmem-image "$T/a, b.img,slot=2" \
	--pmem-image "$T/c.img,node=1" --pmem-image "$T/e.img,slot=0" >cmdline.txt
printf '{"dimms":[{"dev":"nmem0","id":"8680-56341200","handle":1},{"dev":"nmem1","id":"8680-57341200","handle":2},{"dev":"nmem2","id":"8680-58341200","handle":3}]}' >q.json
run_vpmem map --qemu-cmdline cmdline.txt --guest-json q.json --json
expect_eq "qemu: status" "$rc" 0
expect_eq "qemu: slot 2 with a comma path is nmem2" "$(field "$out" '[r["guest"]["dimm"] for r in j["devices"] if r["host"]["path"].endswith("a, b.img")][0]')" nmem2
expect_eq "qemu: c.img took the free slot 1" "$(field "$out" '[(r["host"]["slot"], r["host"]["node"], r["guest"]["dimm"]) for r in j["devices"] if r["host"]["path"].endswith("c.img")][0]')" "(1, 1, 'nmem1')"
# NUL-separated, as /proc/PID/cmdline
printf 'qemu-system-x86_64\0-object\0memory-backend-file,id=m0,share=on,mem-path=/x/a,,b.img,size=256M\0-device\0nvdimm,memdev=m0\0-object\0memory-backend-file,id=m1,mem-path=/x/c.img,size=1G\0-device\0nvdimm,memdev=m1,slot=0\0' >proc-cmdline
run_vpmem map --qemu-cmdline proc-cmdline --guest-json q.json --json
expect_match "first-free slot rule, then a clash" "$out" 'slot 0 is given to two nvdimm devices'
printf 'qemu-system-x86_64\0-object\0{"qom-type":"memory-backend-file","id":"m0","mem-path":"/j/x.img","size":268435456}\0-device\0{"driver":"nvdimm","memdev":"m0","slot":1}\0' >json-cmdline
run_vpmem map --qemu-cmdline json-cmdline --guest-json q.json --json
expect_eq "JSON -object/-device syntax" "$(field "$out" 'j["devices"][0]["guest"]["dimm"]')" nmem1
# a labelled image plugged into another slot than its labels say
printf 'qemu-system-x86_64\0-object\0memory-backend-file,id=m0,mem-path=%s/labelled.img,size=256M\0-device\0nvdimm,memdev=m0,slot=0,label-size=128K\0' "$T" >lab-cmdline
run_vpmem map --qemu-cmdline lab-cmdline --guest-json q.json
expect_match "labels for another slot" "$out" "carries labels made for slot 3 but is plugged into slot 0"
run_vpmem map --qemu-cmdline cmdline.txt --guest-json "$d/guest-vmware-D.json"
expect_match "VMware ids for a QEMU host" "$out" "has VMware's vendor id, but the host description is QEMU"

# --- libvirt: the same machine maps the same way
"$VPMEM" run --state-dir "$T/vm" --libvirt-xml --qemu-nodes 2 --pmem-image "$T/a, b.img,slot=2" \
	--pmem-image "$T/c.img,node=1" --pmem-image "$T/e.img,slot=0" >dom.xml
run_vpmem map --libvirt-xml dom.xml --guest-json q.json --json
expect_eq "libvirt: status" "$rc" 0
expect_eq "libvirt maps like the command line" "$(field "$out" 'sorted((r["host"]["path"], r["guest"]["dimm"]) for r in j["devices"])')" \
	"$(run_vpmem map --qemu-cmdline cmdline.txt --guest-json q.json --json; field "$out" 'sorted((r["host"]["path"], r["guest"]["dimm"]) for r in j["devices"])')"

# --- sysfs of a guest, captured
S=$T/sys
mkdir -p "$S/sys/bus/nd/devices/nmem0/nfit" "$S/sys/bus/nd/devices/region0" "$S/sys/bus/nd/devices/namespace0.0" "$S/sys/bus/nd/devices/pfn0.1/block/pmem0"
echo 8680-58341200 >"$S/sys/bus/nd/devices/nmem0/nfit/id"
echo 0x3 >"$S/sys/bus/nd/devices/nmem0/nfit/handle"
echo nmem0,0,268435456,0 >"$S/sys/bus/nd/devices/region0/mapping0"
echo 268435456 >"$S/sys/bus/nd/devices/namespace0.0/size"
echo fsdax >"$S/sys/bus/nd/devices/namespace0.0/mode"
echo namespace0.0 >"$S/sys/bus/nd/devices/pfn0.1/namespace"
run_vpmem map --qemu-cmdline cmdline.txt --sysroot "$S" --json
expect_eq "sysfs: slot 2 is nmem0 there" "$(field "$out" '[r["guest"]["namespaces"][0]["devnode"] for r in j["devices"] if r["state"]=="matched"][0]')" pmem0

# --- a live process: /proc/PID/cmdline
# (its stdio away from the test runner's pipes, so a leftover sleep holds nothing open)
sh -c 'sleep 10' sh -object memory-backend-file,id=m0,mem-path=/live/x.img,size=256M -device nvdimm,memdev=m0,slot=1 \
	</dev/null >/dev/null 2>&1 &
live=$!
sleep 0.3
run_vpmem map --qemu-pid $live --guest-json q.json --json
kill $live 2>/dev/null
wait $live 2>/dev/null
expect_eq "--qemu-pid reads the live command line" "$(field "$out" '[(r["host"]["path"], r["guest"]["dimm"]) for r in j["devices"]][0]')" "('/live/x.img', 'nmem1')"
run_vpmem map --qemu-pid 999999999 --guest-json q.json
expect_match "--qemu-pid of no process" "$err" "cannot read '/proc/999999999/cmdline'"

# --- garbage and usage
printf 'not a vmkfstools output\n' >junk.txt
run_vpmem map --vmkfstools-output junk.txt --guest-json q.json
expect_match "garbage vmkfstools" "$err" "no 'UUID is"
run_vpmem map --vmdk junk.txt --guest-json q.json
expect_match "garbage vmdk" "$err" 'no ddb.uuid'
printf '{nope' >bad.json
run_vpmem map --vmdk "$d/pmem-guest-001.vmdk" --guest-json bad.json
expect_match "garbage guest JSON" "$err" 'not JSON'
printf '<domain><devices/></domain>' >empty.xml
run_vpmem map --libvirt-xml empty.xml --guest-json q.json
expect_match "domain without nvdimms" "$err" 'has no <memory'
printf '<domain><devices>' >broken.xml
run_vpmem map --libvirt-xml broken.xml --guest-json q.json
expect_match "broken XML" "$err" 'not well-formed'
run_vpmem map --guest-json q.json
expect_eq "no host description" "$rc" 2
run_vpmem map --qemu-cmdline cmdline.txt --libvirt-xml dom.xml --guest-json q.json
expect_eq "two host descriptions" "$rc" 2
run_vpmem map --vm nosuch --guest-json q.json
expect_match "unknown VM" "$err" 'no VM spec'

done_testing
