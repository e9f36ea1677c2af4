#!/bin/sh
# CXL through a real libvirtd (libvirt 9.0 has no CXL elements: the devices go
# to QEMU as <qemu:commandline> arguments, the machine is q35, the 6.12
# workarounds as <cpu><feature policy='disable' name='hypervisor'/> and
# pcie_ports=compat on the kernel command line):
#  - run --libvirt --cxl-pmem 512M --cxl-devices 2: the guest has both memdevs
#    and both regions, of the cookies vpmem predicts; a write through the
#    second lands in its file, which run handed to libvirt's QEMU user;
#    vpmem map --libvirt-domain joins both files to the guest's memdevs;
#  - a CXL image libvirt's QEMU cannot open read-write is refused in one line
#    naming the file (libvirt does not hand QEMU <qemu:commandline> files),
#    nothing defined; once the user may, it boots with its namespace.
. "$(dirname "$0")/../lib-libvirt.sh"
libvirt_guest_test
kernel=${VPMEM_GUEST_KERNEL:-6.1}
domain_exists() { virsh -c qemu:///system dominfo "$1" >/dev/null 2>&1; }
# guest_exec (lib-guest.sh), not guest_run: no --state-dir, so that run keeps
# the backings where libvirt's QEMU reaches them ($VPMEM_LIBVIRT_DIR/NAME)

name=$LV_PREFIX-cxl
run_vpmem run --libvirt --name "$name" --cxl-pmem 512M --cxl-devices 2 --print --json
expect_eq "print: exit" "$rc" 0
plan=$out
xml=$(json_get "$plan" 'j["xml"]')
expect_match "print: q35" "$xml" 'machine="q35"'
expect_match "print: cxl=on through qemu:commandline" "$xml" '<qemu:arg value="cxl=on"/>'
expect_match "print: pxb-cxl clear of libvirt's slots" "$xml" 'pxb-cxl,bus_nr=12,bus=pcie.0,addr=0x10,id=cxl.1'
case "$kernel" in
6.1)
	expect_nomatch "6.1: no hypervisor feature removed" "$xml" 'name="hypervisor"'
	expect_nomatch "6.1: no pcie_ports=compat" "$xml" 'pcie_ports=compat' ;;
6.12)
	expect_match "6.12: CPU without the hypervisor bit" "$xml" '<feature policy="disable" name="hypervisor"/>'
	expect_match "6.12: pcie_ports=compat" "$xml" 'pcie_ports=compat</cmdline>' ;;
esac
ck1=$(json_get "$plan" 'j["cxl"]["devices"][1]["iset_id"]')
guest_exec --libvirt --name "$name" --cxl-pmem 512M --cxl-devices 2 "
set -e
cxl list -M
echo ===
ndctl list -R
echo ===
$(cxl_mark_region $ck1 vpmem-cxl-libvirt)"
expect_eq "boots through libvirtd" "$grc" 0
mems=$(printf '%s\n' "$gout" | sed '/^===$/,$d')
regs=$(printf '%s\n' "$gout" | sed -n '/^===$/,$p' | sed '1d;/^===$/,$d')
expect_eq "two memdevs" "$(json_get "$mems" 'len(j)')" 2
expect_eq "their serials" "$(json_get "$mems" 'sorted(m["serial"] for m in j)')" "[13045760, 13045761]"
expect_eq "two regions of the predicted cookies" "$(json_get "$regs" 'sorted(r["iset_id"] for r in j)')" \
	"$(json_get "$plan" 'sorted(int(d["iset_id"], 16) for d in j["cxl"]["devices"])')"
f1=$VPMEM_LIBVIRT_DIR/$name/cxl1.img
expect_eq "the second file holds the write" \
	"$(dd if="$f1" bs=4096 skip=1000 count=1 status=none | tr -d '\0')" vpmem-cxl-libvirt
expect_eq "run handed the files to libvirt's QEMU user" "$(stat -c %U "$f1" "$f1.lsa" | sort -u)" libvirt-qemu
check "domain is persistent" domain_exists "$name"
# map --libvirt-domain: the CXL devices read back from <qemu:commandline>
printf '%s\n' "$mems" >"$T/mems.json"
run_vpmem map --libvirt-domain "$name" --guest-json "$T/mems.json" --json
expect_eq "map --libvirt-domain: exit" "$rc" 0
expect_eq "map --libvirt-domain: both files matched by serial" \
	"$(json_get "$out" 'sorted((d["host"]["path"].rsplit("/", 1)[1], d["state"]) for d in j["devices"])')" \
	"[('cxl0.img', 'matched'), ('cxl1.img', 'matched')]"
run_vpmem vm rm --backings "$name"
expect_eq "vm rm" "$rc" 0

# a CXL image: libvirt does not hand QEMU the files named in <qemu:commandline>
name=$LV_PREFIX-cxlimg
"$VPMEM" image create "$T/a.img" --size 256M --cxl --serial 0x200 >/dev/null
"$VPMEM" namespace create "$T/a.img" --mode fsdax --size 64M --name on-a >/dev/null
chmod 644 "$T/a.img" "$T/a.img.lsa"
run_vpmem run -q --libvirt --name "$name" --pmem-image "$T/a.img" --guest-cmd true
expect_eq "image not writable by libvirt-qemu: refused" "$rc" 1
expect_match "refusal: one line naming the file and the fix" "$err" \
	"^vpmem: error: libvirt's QEMU \(user libvirt-qemu\) cannot open '$T/a.img' read-write, .*: chown libvirt-qemu '$T/a.img' '$T/a.img.lsa'"
expect_eq "refusal: one line" "$(printf '%s\n' "$err" | wc -l)" 1
check "refusal: no domain defined" sh -c "! virsh -c qemu:///system dominfo '$name' >/dev/null 2>&1"
chown libvirt-qemu "$T/a.img" "$T/a.img.lsa"
guest_exec --libvirt --name "$name" --pmem-image "$T/a.img" 'ndctl list -N'
expect_eq "image: boots through libvirtd" "$grc" 0
expect_eq "image: its namespace" "$(json_get "$gout" '[n["name"] for n in j]')" "['on-a']"
run_vpmem vm rm "$name"

done_testing
