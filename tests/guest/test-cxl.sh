#!/bin/sh
# CXL type-3 PMem (vpmem run --cxl-pmem): the default guest creates the region at
# boot, of the size and interleave-set cookie vpmem predicts; a fsdax namespace
# with ext4 mounted -o dax keeps a file across a cold boot (new QEMU); the
# kernel workarounds are applied only on the kernel that needs them.
. "$(dirname "$0")/lib-guest.sh"
kernel=${VPMEM_GUEST_KERNEL:-6.1}

run_vpmem run --cxl-pmem 512M --state-dir "$T/vm" --print --json
expect_eq "print status" "$rc" 0
plan=$out
size=$(json_get "$plan" 'j["cxl"]["devices"][0]["region_size"]')
iset=$(json_get "$plan" 'int(j["cxl"]["devices"][0]["iset_id"], 16)')
expect_eq "predicted region size" "$size" 536870912
expect_eq "pinned serial" "$(json_get "$plan" 'j["cxl"]["devices"][0]["serial"]')" 0xc71000
expect_eq "one spare root port" "$(json_get "$plan" 'j["cxl"]["root_ports"]')" 2
argv=$(json_get "$plan" '" ".join(j["argv"])')
case "$kernel" in
6.1)
	expect_eq "6.1: no workarounds" "$(json_get "$plan" 'len(j["cxl"]["workarounds"])')" 0
	expect_nomatch "6.1: cpu keeps the hypervisor bit" "$argv" '-hypervisor'
	expect_nomatch "6.1: no pcie_ports=compat" "$argv" 'pcie_ports=compat' ;;
6.12)
	expect_match "6.12: -cpu max,-hypervisor" "$argv" '-cpu max,-hypervisor '
	expect_match "6.12: pcie_ports=compat" "$argv" 'pcie_ports=compat' ;;
esac
check "--print creates nothing" test ! -e "$T/vm"

guest_run --cxl-pmem 512M 'ndctl list -R'
expect_eq "boot status" "$grc" 0
expect_eq "region size as predicted" "$(json_get "$gout" 'j[0]["size"]')" "$size"
expect_eq "region cookie as predicted" "$(json_get "$gout" 'j[0]["iset_id"]')" "$iset"
check "memory file sparse at the exact size" test "$(stat -c %s "$T/vm/cxl0.img")" = 536870912
check "label file at 256K" test "$(stat -c %s "$T/vm/cxl0.img.lsa")" = 262144

guest_run --cxl-pmem 512M '
set -e
ndctl create-namespace -m fsdax >/dev/null
mkfs.ext4 -q -F -b 4096 /dev/pmem0
mount -o dax /dev/pmem0 /mnt
grep -q " /mnt .*dax" /proc/mounts
echo vpmem-cxl-marker >/mnt/file
sync
umount /mnt
echo made'
expect_eq "namespace made" "$gout" made

# a new QEMU (cold boot): the region is re-created, the namespace comes back
# from the label area, the file with it
guest_run --cxl-pmem 512M '
set -e
ndctl list -N | grep -q "\"mode\":\"fsdax\""
mount -o dax /dev/pmem0 /mnt
cat /mnt/file'
expect_eq "file back after a cold boot" "$gout" vpmem-cxl-marker
# no false alarms: the kernel's labels (in cxl0.img.lsa, which vpmem check
# reads beside the memory file) and its fsdax info block, after ext4 was
# made, written and mounted again
expect_check_ok "$T/vm/cxl0.img" -v
expect_match "vpmem check: the fsdax namespace judged ok" "$out" '^  namespace0\.0: ok \(fsdax'

# two devices (--cxl-devices 2): a host bridge and window each (a QEMU 7.2
# bridge has one HDM decoder: behind one bridge the second region cannot be
# made), a region each at boot, of the predicted cookies; a write through
# the second device's namespace lands in the second memory file
run_vpmem run --cxl-pmem 512M --cxl-devices 2 --state-dir "$T/vm2" --print --json
plan2=$out
expect_eq "two: two host bridges" "$(json_get "$plan2" 'j["cxl"]["host_bridges"]')" 2
ck1=$(json_get "$plan2" 'j["cxl"]["devices"][1]["iset_id"]')
guest_run --cxl-pmem 512M --cxl-devices 2 --state-dir "$T/vm2" "
set -e
ndctl list -R
echo ===
$(cxl_mark_region $ck1 vpmem-cxl-second)
echo \$m \$b"
expect_eq "two: boot" "$grc" 0
regs=$(printf '%s\n' "$gout" | sed '/^===$/,$d')
expect_eq "two: two regions" "$(json_get "$regs" 'len(j)')" 2
for i in 0 1; do
	expect_eq "two: device $i's region cookie" \
		"$(json_get "$regs" "sorted(r['iset_id'] for r in j)[$i]")" \
		"$(json_get "$plan2" "sorted(int(d['iset_id'], 16) for d in j['cxl']['devices'])[$i]")"
done
expect_match "two: the second memory file holds the write" \
	"$(dd if="$T/vm2/cxl1.img" bs=4096 skip=1000 count=1 status=none | tr -d '\0')" "^vpmem-cxl-second"
# and both devices' images (the second's raw namespace the guest wrote, its
# label carrying the second serial's cookie) are ok
for i in 0 1; do
	expect_check_ok "$T/vm2/cxl$i.img"
done

done_testing
