#!/bin/sh
# Offline CXL images (vpmem image create --cxl): namespaces made on the host
# (fsdax, sector) and data imported on the host are what the guest kernel
# sees after `vpmem run --pmem-image FILE` attaches the pair as a CXL type-3
# device; ext4 made in the guest mounts -o dax; `ndctl check-namespace`
# passes on the sector namespace; after the guest wrote the label area (a
# devdax namespace made in the guest), `vpmem list` of the image matches the
# guest's `ndctl list` and `vpmem check` says ok.
. "$(dirname "$0")/lib-guest.sh"
here=$(cd "$(dirname "$0")" && pwd)
# the interpreter itself, not a version manager's shell shim (seconds per call under load)
PY=$(python3 -c 'import sys; print(sys.executable)')
cd "$T" || exit 1

run_vpmem image create c.img --size 512M --cxl --serial 0x5eed
expect_eq "image create --cxl" "$rc" 0
check "memory file 512M" test "$(stat -c %s c.img)" = 536870912
check "label file 256K" test "$(stat -c %s c.img.lsa)" = 262144
run_vpmem namespace create c.img --mode fsdax --size 256M --name fs
expect_eq "fsdax namespace offline" "$rc" 0
run_vpmem namespace create c.img --mode sector --size 128M --name sec
expect_eq "sector namespace offline" "$rc" 0
head -c 1048576 /dev/urandom >data.bin
want=$(sha256sum <data.bin | cut -d' ' -f1)
run_vpmem namespace import c.img --name sec --from data.bin
expect_eq "import into the BTT" "$rc" 0
run_vpmem namespace import c.img --name fs --from data.bin
expect_eq "import into the fsdax data area" "$rc" 0
run_vpmem list --json c.img
expect_eq "list" "$rc" 0
printf '%s\n' "$out" >host-offline.json
cookie=$(json_get "$out" 'j["regions"][0]["iset_id"]')

run_vpmem run --pmem-image c.img --state-dir "$T/vm" --print --json
expect_eq "print" "$rc" 0
expect_match "attached as CXL with the image's serial" "$(json_get "$out" '" ".join(j["argv"])')" \
	'cxl-type3,bus=rp0,memdev=cxl-mem0,lsa=cxl-lsa0,id=cxl-pmem0,sn=0x5eed'

# the guest's listing, with the nvdimm's id: the device serial in decimal, as
# `cxl list -M` prints it (ndctl list -D prints none for a CXL nvdimm; the
# memdev's sysfs serial is hex, drivers/cxl/core/memdev.c serial_show)
guest_run --pmem-image c.img '
set -e
ndctl list -DRN -v >/tmp/l.json
id=$(($(cat /sys/bus/cxl/devices/mem0/serial)))
sed "s/\"dev\":\"nmem0\"/\"dev\":\"nmem0\",\"id\":\"$id\"/" /tmp/l.json
[ -e /sys/bus/nd/devices/nmem0/cxl/id ] && echo "NMEMID $(cat /sys/bus/nd/devices/nmem0/cxl/id)"
echo "BTT $(head -c 1048576 /dev/pmem0.1s | sha256sum | cut -d" " -f1)"
echo "FSDAX $(head -c 1048576 /dev/pmem0 | sha256sum | cut -d" " -f1)"
ndctl disable-namespace namespace0.1 >/dev/null
ndctl check-namespace namespace0.1 >/dev/null 2>&1 && echo "CHECK ok"
ndctl enable-namespace namespace0.1 >/dev/null
mkfs.ext4 -q -F -b 4096 /dev/pmem0
mount -o dax /dev/pmem0 /mnt
grep -q " /mnt .*dax" /proc/mounts && echo "DAX mounted"
umount /mnt
ndctl create-namespace -r region0 -m devdax -s 64M -n made-in-guest >/dev/null
ndctl list -DRN -v >/tmp/l.json
sed "s/\"dev\":\"nmem0\"/\"dev\":\"nmem0\",\"id\":\"$id\"/" /tmp/l.json'
expect_eq "boot" "$grc" 0
printf '%s\n' "$gout" | sed -n '1,/^\(NMEMID\|BTT\) /p' | sed '$d' >guest1.json
# newer kernels (not 6.1) also give the CXL nvdimm the serial as nmemX/cxl/id
case "$gout" in
*NMEMID*) expect_match "nmem0/cxl/id is the serial" "$gout" "NMEMID $((0x5eed))" ;;
esac
printf '%s\n' "$gout" | sed -n '/^DAX mounted/,$p' | sed '1d' >guest2.json
expect_eq "guest region cookie as vpmem predicts" "$("$PY" -c 'import json;print(json.load(open("guest1.json"))["regions"][0]["iset_id"])')" "$cookie"
res=$("$PY" "$here/compare.py" guest1.json host-offline.json)
expect_eq "the guest sees the namespaces made offline" "$?" 0
expect_match "both compared" "$res" 'compared 2 namespaces'
expect_match "BTT data imported offline read by the guest" "$gout" "BTT $want"
expect_match "fsdax data imported offline read by the guest" "$gout" "FSDAX $want"
expect_match "ndctl check-namespace passes on the sector namespace" "$gout" 'CHECK ok'
expect_match "ext4 made in the guest mounts -o dax" "$gout" 'DAX mounted'

run_vpmem list --json c.img
printf '%s\n' "$out" >host-after.json
res=$("$PY" "$here/compare.py" guest2.json host-after.json)
expect_eq "vpmem list after the guest wrote matches ndctl list" "$?" 0
expect_match "three compared" "$res" 'compared 3 namespaces'
expect_match "the guest's namespace in vpmem list" "$out" '"name":"made-in-guest"'
run_vpmem check c.img
expect_eq "check ok after the guest" "$rc" 0

done_testing
