#!/bin/sh
# CXL images (FILE + FILE.lsa, doc/cxl.md), offline: image create --cxl and
# its refusals; namespace create/destroy/import/export, list and apply on the
# pair (labels in the label file, the CXL cookie of the serial, zero type
# GUID); the serial from the labels when the xattr is gone; run --pmem-image
# attaching the pair as a cxl-type3 device with that serial; vpmem check on
# the pair with a damage suite (label file and memory file) and --repair,
# cut after every write.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
cd "$T" || exit 1
PY=$(python3 -c 'import sys; print(sys.executable)')
dmg() { "$PY" "$HERE/damage.py" "$@"; }
jget() { "$PY" -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
export_sum() { "$VPMEM" namespace export "$1" --dev "$2" --to - 2>/dev/null | sha256sum | cut -d' ' -f1; }

# ---- image create --cxl ----
run_vpmem image create c.img --size 512M --cxl --serial 0x5eed --json
expect_eq "create: exit" "$rc" 0
expect_eq "create: memory file size" "$(stat -c %s c.img)" 536870912
expect_eq "create: label file 256K" "$(stat -c %s c.img.lsa)" 262144
expect_eq "create: memory file sparse" "$(stat -c %b c.img)" 0
expect_eq "create: json serial" "$(jget "$out" 'j["serial"]')" 0x5eed
# fletcher64 of {dpa 0, serial 0x5eed}: lo = 0x5eed, hi = 2 * 0x5eed
expect_eq "create: json cookie" "$(jget "$out" 'j["iset_id"]')" 0xbdda00005eed
expect_eq "create: index 0 signature" "$(head -c 15 c.img.lsa)" NAMESPACE_INDEX
expect_eq "create: index v1.2 (minor)" "$(dmg get c.img.lsa 62 '<H')" 2
run_vpmem image create c.img --size 512M --cxl
expect_eq "create: existing refused" "$rc" 1
expect_match "create: existing says so" "$err" "error: image: 'c.img' exists"
run_vpmem image create d.img --size 300M --cxl
expect_eq "create: 300M refused" "$rc" 1
expect_match "create: 256M unit" "$err" "whole number of 256M"
check "create: nothing left after a refusal" test ! -e d.img -a ! -e d.img.lsa
run_vpmem image create d.img --size 256M --cxl --serial 0
expect_eq "create: serial 0 refused" "$rc" 2
run_vpmem image create d.img --size 256M --serial 5
expect_eq "create: --serial without --cxl" "$rc" 2
run_vpmem image create d.img --size 256M --cxl --slot 3
expect_eq "create: --cxl with --slot" "$rc" 2
touch d.img.lsa
run_vpmem image create d.img --size 256M --cxl
expect_eq "create: existing label file refused" "$rc" 1
expect_match "create: names the label file" "$err" "'d.img.lsa' exists"
check "create: no memory file made" test ! -e d.img
rm -f d.img.lsa

# ---- namespaces, list ----
run_vpmem namespace create c.img --mode fsdax --size 128M --name fs
expect_eq "ns fsdax" "$rc" 0
run_vpmem namespace create c.img --mode sector --size 128M --name sec
expect_eq "ns sector" "$rc" 0
run_vpmem namespace create c.img --mode devdax --size 64M --name dd
expect_eq "ns devdax" "$rc" 0
expect_eq "memory file unchanged in size" "$(stat -c %s c.img)" 536870912
expect_eq "label file unchanged in size" "$(stat -c %s c.img.lsa)" 262144
run_vpmem list --json c.img
expect_eq "list: exit" "$rc" 0
expect_eq "list: three namespaces" "$(jget "$out" 'len(j["regions"][0]["namespaces"])')" 3
expect_eq "list: region = the memory file" "$(jget "$out" 'j["regions"][0]["size"]')" 536870912
expect_eq "list: cookie of the serial" "$(jget "$out" 'hex(j["regions"][0]["iset_id"])')" 0xbdda00005eed
expect_eq "list: dimm id is the serial in decimal (cxl list -M)" "$(jget "$out" 'j["dimms"][0]["id"]')" 24301
expect_eq "list: provider" "$(jget "$out" 'j["dimms"][0]["provider"]')" CXL
run_vpmem list c.img
expect_match "list: text names the serial" "$out" "CXL serial 0x5eed \(labels\)"
# labels in the label file: cookie, zero type GUID (slot 0 at 512: index blocks 256 each)
expect_eq "label cookie" "$(dmg get c.img.lsa $((512 + 88)) '<Q')" $((0xbdda00005eed))
expect_eq "label type GUID zero" "$(dmg get c.img.lsa $((512 + 128)) '<Q')$(dmg get c.img.lsa $((512 + 136)) '<Q')" 00
# the serial survives losing the xattr: the labels carry it
"$PY" -c 'import os; os.removexattr("c.img", "user.vpmem.cxl.serial")'
run_vpmem list c.img
expect_match "serial from the labels without the xattr" "$out" "CXL serial 0x5eed \(labels\)"
head -c 3000000 /dev/urandom >d.bin
want=$(sha256sum <d.bin | cut -d' ' -f1)
run_vpmem namespace import c.img --name sec --from d.bin
expect_eq "import into the BTT" "$rc" 0
expect_eq "export from the BTT" "$(export_sum c.img namespace0.1 | head -c 64)" \
	"$("$VPMEM" namespace export c.img --dev namespace0.1 --to - 2>/dev/null | sha256sum | cut -d' ' -f1)"
"$VPMEM" namespace export c.img --name sec --to out.bin >/dev/null
expect_eq "export: data back" "$(head -c 3000000 out.bin | sha256sum | cut -d' ' -f1)" "$want"
run_vpmem namespace destroy c.img --name dd
expect_eq "destroy" "$rc" 0
run_vpmem list --json c.img
expect_eq "two namespaces after destroy" "$(jget "$out" 'len(j["regions"][0]["namespaces"])')" 2
run_vpmem namespace create c.img --mode raw --label-size 128K
expect_eq "--label-size on a CXL image refused" "$rc" 1
expect_match "--label-size: says where the label area is" "$err" "CXL image: its label area is 'c.img.lsa'"

# ---- a label file with no index: no namespace (a CXL nvdimm always labels) ----
"$VPMEM" image create z.img --size 256M --cxl >/dev/null
dd if=/dev/zero of=z.img.lsa bs=64K count=4 conv=notrunc status=none
run_vpmem list --json z.img
expect_eq "no index: no namespace" "$(jget "$out" 'len(j["regions"][0].get("namespaces", []))')" 0
run_vpmem namespace create z.img --mode fsdax
expect_eq "no index: create refused" "$rc" 1
expect_match "no index: says why" "$err" "no valid index block"

# ---- run --pmem-image: attached as CXL with the image's serial ----
"$VPMEM" image create e.img --size 256M --cxl --serial 0x77 >/dev/null
run_vpmem run --pmem-image c.img --pmem-image e.img --state-dir "$T/vm" --print --json
expect_eq "run --print: exit" "$rc" 0
argv=$(jget "$out" '" ".join(j["argv"])')
expect_match "run: c.img at sn=0x5eed" "$argv" "mem-path=$T/c.img,size=536870912 .*sn=0x5eed"
expect_match "run: its label file" "$argv" "mem-path=$T/c.img.lsa,size=262144"
expect_match "run: e.img at sn=0x77" "$argv" "id=cxl-pmem1,sn=0x77"
expect_match "run: e.img behind the second host bridge" "$argv" "pxb-cxl,bus_nr=16,bus=pcie.0,id=cxl.2 "
expect_match "run: e.img on that bridge's first root port" "$argv" "cxl-type3,bus=rp2,memdev=cxl-mem1,"
expect_match "run: a spare root port per bridge" "$argv" "id=rp3,"
expect_match "run: a window per device, one -M" "$argv" \
	"-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=536870912,cxl-fmw.1.targets.0=cxl.2,cxl-fmw.1.size=268435456"
expect_eq "run: json host bridges" "$(jget "$out" 'j["cxl"]["host_bridges"]')" 2
"$VPMEM" image create f.img --size 256M --cxl --serial 0x77 >/dev/null
run_vpmem run --pmem-image e.img --pmem-image f.img --state-dir "$T/vm" --print
expect_eq "run: two images of one serial refused" "$rc" 1
expect_match "run: says which" "$err" "'.*e.img' and '.*f.img' are both for serial 0x77"
run_vpmem run --pmem-image e.img,slot=1 --state-dir "$T/vm" --print
expect_eq "run: slot= on a CXL image refused" "$rc" 1
"$VPMEM" image create n.img --size 64M >/dev/null
run_vpmem run --pmem-image e.img --pmem-image n.img --state-dir "$T/vm" --print
expect_eq "run: CXL image with a vNVDIMM refused" "$rc" 1

# ---- check: no false alarms ----
run_vpmem check c.img e.img z.img
expect_eq "check: vpmem-made CXL images ok" "$rc" 0
expect_eq "check: three ok" "$(printf '%s\n' "$out" | grep -c ': ok$')" 3
cp c.img g.img; cp c.img.lsa g.img.lsa
SUMB=$(export_sum g.img namespace0.1)
L() { echo $((512 + $1 * 256)); }
g() { cp g.img c2.img; cp g.img.lsa c2.img.lsa; }
judge() { # DESCRIPTION VERDICT PATTERN
	run_vpmem check c2.img
	expect_eq "$1: exit" "$rc" 1
	expect_match "$1: verdict" "$out" "^c2.img: $2\$"
	expect_match "$1: finding" "$out" "$3"
}
mend() {
	cp c2.img before.img; cp c2.img.lsa before.lsa
	run_vpmem check --repair --dry-run c2.img
	check "$1: --dry-run changes nothing" cmp -s c2.img.lsa before.lsa
	expect_match "$1: --dry-run names the label file" "$out" "would write .* at label file 0x"
	run_vpmem check --repair c2.img
	expect_eq "$1: --repair exit" "$rc" 0
	check "$1: memory file untouched" cmp -s c2.img before.img
	run_vpmem check c2.img
	expect_eq "$1: ok after --repair" "$rc" 0
}
# ---- check: the label file ----
# the index that is not current (damaging the current one brings back the
# older namespace set, as the kernel would see it)
old=$("$PY" -c 'import struct,sys; d=open(sys.argv[1],"rb").read(512); a,b=(struct.unpack_from("<I",d,o)[0]&3 for o in (20,276)); print(0 if {1:2,2:3,3:1}.get(a)==b else 1)' g.img.lsa)
g; dmg flip c2.img.lsa $((old * 256 + 64)); judge "index $old checksum" repairable "index $old at label file 0x$(printf %x $((old * 256 + 64))): .*bad checksum"; mend "index $old"
g; dmg zero c2.img.lsa $((old * 256)) 16; judge "index $old signature" repairable "index $old at label file 0x?$(printf %x $((old * 256))): .*no index signature"; mend "index $old signature"
g; dmg flip c2.img.lsa 64; dmg flip c2.img.lsa $((256 + 64)); judge "both index blocks" damaged "no valid index block"
g; dmg flip c2.img.lsa $(($(L 1) + 20)); judge "label checksum" damaged "label slot 1 .*checksum"
# (two labels, one vote each: the lower slot's serial is the region's)
g; dmg put c2.img.lsa $(($(L 1) + 88)) '<Q' $((0xee00000077)); dmg csum c2.img.lsa "$(L 1)" 256 248
judge "label cookie of another serial" damaged "label slot 1 .*cookie 0xee00000077 is the one of serial 0x77, the region's is 0xbdda00005eed"
g; dmg put c2.img.lsa $(($(L 0) + 128)) '<Q' 1; dmg csum c2.img.lsa "$(L 0)" 256 248
judge "label type GUID" damaged "label slot 0 .*type GUID is not zero"
run_vpmem list c2.img
expect_match "label type GUID: list shows the region without namespaces, as the guest" "$out" "the guest kernel fails the whole region"
expect_nomatch "label type GUID: no namespace listed" "$out" "namespace0\."

g; dmg put c2.img.lsa $(($(L 1) + 104)) '<Q' $((1 << 40)); dmg csum c2.img.lsa "$(L 1)" 256 248
judge "label dpa outside the memory file" damaged "label slot 1 .*not inside"
# ---- check: the memory file (BTT of sec at 128M) ----
A=$((0x8000000))
INFO2=$((A + $(dmg get g.img $((A + 112)) '<Q')))
g; dmg zero c2.img "$A" 4096; judge "BTT info zeroed" repairable "namespace1 .*backup .* is valid"
cp c2.img before.img
run_vpmem check --repair c2.img
expect_eq "BTT info from backup: --repair" "$rc" 0
expect_eq "BTT info from backup: data intact" "$(export_sum c2.img namespace0.1)" "$SUMB"
g; dmg flip c2.img $((INFO2 + 100)); judge "BTT backup info" repairable "btt arena 0 .*backup info block differs"
# ---- check --repair cut after every write, across both files ----
g; dmg flip c2.img.lsa $((old * 256 + 64)); dmg zero c2.img "$A" 4096
cp c2.img crash.img; cp c2.img.lsa crash.img.lsa
run_vpmem check --repair --dry-run c2.img
nw=$(printf '%s\n' "$out" | grep -c 'would write')
expect_eq "crash: two repair writes (one per file)" "$nw" 2
k=0
while [ "$k" -lt "$nw" ]; do
	cp crash.img c2.img; cp crash.img.lsa c2.img.lsa
	VPMEM_TEST_CRASH_AFTER_WRITES=$k "$VPMEM" check --repair c2.img >/dev/null 2>&1
	run_vpmem check c2.img
	expect_match "crash after $k: still readable" "$out" "^c2.img: (repairable|ok)$"
	run_vpmem check --repair c2.img
	expect_eq "crash after $k: a rerun finishes" "$rc" 0
	expect_eq "crash after $k: data intact" "$(export_sum c2.img namespace0.1)" "$SUMB"
	k=$((k + 1))
done

# ---- apply a layout to a CXL image ----
"$VPMEM" image create a.img --size 256M --cxl >/dev/null
cat >l.json <<EOF
{"namespaces": [{"name": "one", "mode": "fsdax", "size": "64M"}, {"name": "two", "mode": "sector", "size": "64M"}]}
EOF
run_vpmem apply l.json --image a.img
expect_eq "apply on a CXL image" "$rc" 0
run_vpmem list --json a.img
expect_eq "apply: two namespaces" "$(jget "$out" 'len(j["regions"][0]["namespaces"])')" 2
run_vpmem check a.img
expect_eq "apply: check ok" "$rc" 0
run_vpmem layout --image a.img
expect_eq "layout of a CXL image" "$rc" 0
expect_match "layout: both namespaces" "$out" '"name":"two"'

# ---- image create --cxl --layout: the layout inside before the pair appears ----
run_vpmem image create b.img --size 256M --cxl --serial 0x99 --layout l.json --dry-run
expect_eq "create --layout --dry-run: exit" "$rc" 0
expect_match "create --layout --dry-run: says the layout" "$out" "then apply the layout 'l.json' \(2 namespaces\)"
check "create --layout --dry-run: nothing made" test ! -e b.img -a ! -e b.img.lsa
run_vpmem image create b.img --size 256M --cxl --serial 0x99 --layout l.json --dry-run --json
expect_eq "create --layout --dry-run --json: the pair and the layout's plan" \
	"$(jget "$out" '(j["cxl"], j["serial"], [s["name"] for s in j["layout"]["plan"]], j["layout"]["writes"][-1]["what"])')" \
	"(True, '0x99', ['one', 'two'], 'label index 1 (commit: every new namespace)')"
check "create --layout --dry-run --json: nothing made" test ! -e b.img -a ! -e b.img.lsa
run_vpmem image create b.img --size 256M --cxl --serial 0x99 --layout l.json
expect_eq "create --cxl --layout: exit" "$rc" 0
run_vpmem list --json b.img
expect_eq "create --layout: two namespaces" "$(jget "$out" '[n["name"] for n in j["regions"][0]["namespaces"]]')" "['one', 'two']"
expect_eq "create --layout: labels carry the serial's cookie" "$(jget "$out" 'hex(j["regions"][0]["iset_id"])')" 0x13200000099
expect_eq "create --layout: serial recorded" "$("$PY" -c 'import os; print(os.getxattr("b.img", "user.vpmem.cxl.serial").decode())')" 0x99
expect_eq "create --layout: no slot xattr on a CXL image" "$("$PY" -c 'import os; print("user.vpmem.slot" in os.listxattr("b.img"))')" False
run_vpmem check b.img
expect_eq "create --layout: check ok" "$rc" 0
printf '{"namespaces": [{"name": "huge", "mode": "fsdax", "size": "1G"}]}\n' >big.json
run_vpmem image create h.img --size 256M --cxl --layout big.json
expect_eq "create --layout that does not fit: exit 1" "$rc" 1
check "create --layout that does not fit: neither file left" test ! -e h.img -a ! -e h.img.lsa
expect_eq "create --layout that does not fit: no temporary left" "$(ls -A | grep -c vpmem-)" 0
run_vpmem image create h.img --size 256M --cxl --slot 2
expect_eq "create --cxl --slot: refused" "$rc" 2
expect_match "create --cxl --slot: says why" "$err" "--cxl takes no --no-labels, --slot or --label-version"

# ---- namespace reconfigure: refused on a CXL image, in one line, nothing changed ----
cp b.img.lsa before.lsa
run_vpmem namespace reconfigure b.img --name one --mode sector
expect_eq "reconfigure on a CXL image: refused" "$rc" 1
expect_eq "reconfigure on a CXL image: one line" "$(printf '%s\n' "$err" | wc -l)" 1
expect_match "reconfigure on a CXL image: says so" "$err" "'b.img' is a CXL image: reconfigure does not handle CXL images yet"
check "reconfigure on a CXL image: label file unchanged" cmp -s b.img.lsa before.lsa
check "reconfigure on a CXL image: no record left" test ! -e b.img.vpmem-reconfigure

# ---- your own guest: what it must run at boot (vpmem help run, vpmem cxl) ----
run_vpmem help run
help_run=$(printf '%s\n' "$out" | tr -s ' \n' '  ')
expect_match "help run: the per-boot command" "$help_run" "cxl create-region -m -d decoder0\.N -w 1 memN -t pmem"
expect_match "help run: names boot-script" "$help_run" "'vpmem cxl boot-script'"
expect_match "help run: names boot-unit" "$help_run" "'vpmem cxl boot-unit'"
run_vpmem cxl boot-script
expect_eq "boot-script: exit" "$rc" 0
printf '%s\n' "$out" >boot.sh
check "boot-script: sh parses it" sh -n boot.sh
expect_match "boot-script: creates the regions" "$out" 'cxl create-region -m -d "?\$?[a-z_]*'
# the unit runs the file the help installs the script as
run_vpmem help cxl
script_path=$(printf '%s\n' "$out" | sed -n 's/^ *vpmem cxl boot-script >\(.*\)$/\1/p')
unit_path=$(printf '%s\n' "$out" | sed -n 's/^ *vpmem cxl boot-unit >\(.*\)$/\1/p')
expect_match "help cxl: where the script goes" "$script_path" '^/.+\.sh$'
expect_match "help cxl: where the unit goes" "$unit_path" '^/etc/systemd/system/[a-z-]+\.service$'
run_vpmem cxl boot-unit
expect_eq "boot-unit: exit" "$rc" 0
expect_eq "boot-unit: nothing on stderr" "$err" ""
expect_eq "boot-unit: [Unit], [Service], [Install]" "$(printf '%s\n' "$out" | grep '^\[' | tr '\n' ' ')" "[Unit] [Service] [Install] "
expect_eq "boot-unit: runs the installed boot-script" "$(printf '%s\n' "$out" | grep '^ExecStart=')" "ExecStart=/bin/sh $script_path"
expect_match "boot-unit: a oneshot" "$out" '^Type=oneshot$'
expect_match "boot-unit: enabled at boot" "$out" '^WantedBy=[a-z-]+\.target$'
expect_match "boot-unit: before local file systems" "$out" '^Before=local-fs-pre\.target$'
unit=${unit_path##*/}
printf '%s\n' "$out" >"$unit"
if command -v systemd-analyze >/dev/null; then
	verr=$(systemd-analyze verify "$T/$unit" 2>&1)
	expect_eq "boot-unit: systemd-analyze verify" "$?:$verr" "0:"
else
	echo "systemd-analyze not installed: the unit's syntax is checked by the lines above only" >&2
fi

done_testing
