#!/bin/sh
# Regenerate the checked-in seed corpora in tests/fuzz/corpus/ from the
# project's test data, golden images and vpmem-made images and machines.
# Run from the source root with VPMEM=build/src/vpmem; review, then commit.
set -eu
: "${VPMEM:?}"
here=$(cd "$(dirname "$0")" && pwd)
C=$here/corpus
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for t in labels pfn btt e820 grub size qemu libvirt ndctl-json vmdk vmkfstools mountinfo; do
	mkdir -p "$C/$t"
done
for g in "$here"/../golden/*.img.xz; do
	xz -dc "$g" | dd of="$T/$(basename "$g" .xz)" bs=64K conv=sparse status=none
done
"$VPMEM" image create "$T/v12ns.img" --size $((32 * 1048576 + 131072)) --label-version 1.2 >/dev/null
"$VPMEM" namespace create "$T/v12ns.img" --mode sector --size 16M --name s >/dev/null
"$VPMEM" namespace create "$T/v12ns.img" --mode devdax --size 16M >/dev/null
python3 "$here/make-corpus.py" "$C" "$T"/*.img
cp "$here"/../data/e820/*.txt "$T/"
for f in "$T"/*.txt; do printf '\001' | cat - "$f" >"$C/e820/$(basename "$f" .txt)"; done
for f in "$here"/../data/grub/*.grub; do cp "$f" "$C/grub/$(basename "$f" .grub)"; done
i=0
for s in 4G 512MiB 0x1000 4096 1536M 16E 0 1.5G 10GB 7k; do
	printf '%s' "$s" >"$C/size/s$i"; i=$((i + 1))
done
"$VPMEM" run --qemu-pmem 512M --qemu-nodes 2 --label-size 128K --state-dir "$T/vm" --print \
	>"$C/qemu/print-2nodes" 2>/dev/null || true
"$VPMEM" run --virtio-pmem --qemu-pmem 256M --state-dir "$T/vm2" --print >"$C/qemu/print-virtio" 2>/dev/null || true
printf 'qemu-system-x86_64\0-object\0memory-backend-file,id=m0,mem-path=/x,,y.img,size=1G,share=on\0-device\0nvdimm,memdev=m0,id=nv0,slot=1\0' \
	>"$C/qemu/proc-cmdline"
printf '%s\n' "qemu -object '{\"qom-type\":\"memory-backend-file\",\"id\":\"m0\",\"mem-path\":\"/a.img\"}' -device '{\"driver\":\"nvdimm\",\"memdev\":\"m0\"}'" \
	>"$C/qemu/json"
"$VPMEM" run --qemu-pmem 512M --qemu-nodes 2 --label-size 128K --state-dir "$T/vm3" --libvirt-xml \
	>"$C/libvirt/nvdimm-2nodes.xml" 2>/dev/null || true
"$VPMEM" run --virtio-pmem --qemu-pmem 256M --state-dir "$T/vm4" --libvirt-xml >"$C/libvirt/virtio.xml" 2>/dev/null || true
cp "$here"/../data/map/*.json "$here"/../golden/boot1.json "$C/ndctl-json/"
printf '{"dimms":2}' >"$C/ndctl-json/dimms-number"
cp "$here"/../data/map/*.vmdk "$C/vmdk/"
cp "$here"/../data/map/vmkfstools.txt "$C/vmkfstools/"
# mountinfo: a captured one, device 8:1 (the 4-byte device prefix), and a dax mount
printf "\010\000\001\000%s\n" "22 28 0:21 / /sys rw,nosuid shared:7 - sysfs sysfs rw" "28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw" "40 28 259:1 / /mnt/my\\040pmem rw shared:9 - xfs /dev/pmem1 rw,attr2,dax=always" >"$C/mountinfo/self"
printf '\003\001\000\000%s\n' '36 35 259:0 / /mnt/pmem rw,relatime shared:1 - ext4 /dev/pmem0 rw,dax=always' \
	>"$C/mountinfo/dax"
