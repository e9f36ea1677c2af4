#!/bin/sh
# vpmem check: no false alarms (every golden image the guest kernel wrote,
# every image vpmem makes, in every mode, after data went through the BTT),
# then a damage suite: one corruption per checked field (flip, zero, out of
# range; checksums recomputed where the field itself is the point), each
# found with the right verdict and structure; --repair mends the repairable
# ones with the namespace data unchanged and refuses the rest; --dry-run
# changes nothing; usage errors.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
cd "$T" || exit 1
GOLDEN=$HERE/../golden
# the interpreter itself, not a version manager's shell shim (seconds per call under load)
PY=$(python3 -c 'import sys; print(sys.executable)')
dmg() { "$PY" "$HERE/damage.py" "$@"; }
sum() { sha256sum "$1" | cut -d' ' -f1; }
export_sum() { # IMAGE DEV
	"$VPMEM" namespace export "$1" --dev "$2" --to - 2>/dev/null | sha256sum | cut -d' ' -f1
}

# ---- no false alarms ----
for g in "$GOLDEN"/*.img.xz; do
	xz -dc "$g" | dd of="$(basename "$g" .xz)" bs=64K conv=sparse status=none
done
run_vpmem check ./*.img
expect_eq "golden images: exit" "$rc" 0
expect_nomatch "golden images: all ok" "$out" ": (repairable|damaged)"
rm -f ./*.img

"$VPMEM" image create m12.img --size 208M --label-version 1.2 >/dev/null
for m in "fsdax --map mem" "fsdax" "sector --sector-size 512" "sector" "raw" "devdax"; do
	# shellcheck disable=SC2086
	"$VPMEM" namespace create m12.img --mode $m --size 32M >/dev/null || fail "create $m"
done
"$VPMEM" image create m11.img --size 136M --label-version 1.1 >/dev/null
for m in fsdax sector raw devdax; do
	"$VPMEM" namespace create m11.img --mode $m --size 32M >/dev/null || fail "create v1.1 $m"
done
for m in fsdax sector devdax raw; do
	"$VPMEM" image create "ll-$m.img" --size 64M --no-labels >/dev/null
	"$VPMEM" namespace create "ll-$m.img" --mode $m >/dev/null || fail "create label-less $m"
done
head -c 1000000 /dev/urandom >d.bin
for i in 1 2; do # twice: the flog rotates, the map gets normal entries
	"$VPMEM" namespace import m12.img --dev namespace0.3 --from d.bin >/dev/null
	"$VPMEM" namespace import ll-sector.img --dev namespace0.0 --from d.bin >/dev/null
	"$VPMEM" namespace import m11.img --dev namespace0.1 --from d.bin >/dev/null
done
"$VPMEM" namespace import m12.img --dev namespace0.1 --from d.bin >/dev/null
"$VPMEM" image create empty.img --size 64M >/dev/null
run_vpmem check m12.img m11.img ll-fsdax.img ll-sector.img ll-devdax.img ll-raw.img empty.img
expect_eq "vpmem-made images, every mode: exit" "$rc" 0
expect_eq "vpmem-made images: 7 ok" "$(printf '%s\n' "$out" | grep -c ': ok$')" 7
# what the other ways of making namespaces leave: a layout applied at create
# time, and a namespace reconfigured through every mode keeping its data
"$VPMEM" image create lay.img --size 512M --label-size 128K --layout "$HERE/../data/layout/example.json" >/dev/null ||
	fail "image create --layout"
run_vpmem check lay.img
expect_eq "image made from a layout: ok" "$rc" 0
"$VPMEM" image create rc.img --size 136M --label-version 1.2 >/dev/null
"$VPMEM" namespace create rc.img --mode raw --size 64M --name d >/dev/null
"$VPMEM" namespace import rc.img --name d --from d.bin >/dev/null
for step in fsdax "sector --sector-size 4096" "sector --sector-size 512" devdax "fsdax --map mem" raw; do
	# shellcheck disable=SC2086
	"$VPMEM" namespace reconfigure rc.img --name d --mode $step --keep-data >/dev/null 2>&1 || fail "reconfigure -> $step"
	run_vpmem check rc.img
	expect_eq "reconfigured -> $step: ok" "$rc" 0
	expect_nomatch "reconfigured -> $step: no finding" "$out" "^  (warning|repairable|damaged) "
done
run_vpmem check --json -v m12.img
expect_match "json: verdict" "$out" '"verdict":"ok"'
expect_match "json: six namespaces" "$(printf '%s\n' "$out" | grep -c '"dev":"namespace0')" '^6$'
expect_match "json: BTT walked" "$out" '"btt_blocks":[1-9]'

S12=$(stat -c %s m12.img) B12=$((S12 - 131072)) # 128K label area at the end
S11=$(stat -c %s m11.img) B11=$((S11 - 131072))
IX1=$((B12 + 256))                 # v1.2 128K: isz 256, index 1 at 256, labels at 512
L12() { echo $((B12 + 512 + $1 * 256)); }
L11() { echo $((B11 + 512 + $1 * 128)); }
SUM3=$(export_sum m12.img namespace0.3)
SUM1=$(export_sum m12.img namespace0.1)
SUMLL=$(export_sum ll-sector.img namespace0.0)

# CHECK_SAVE=DIR (tests/guest/test-check.sh): keep the pristine images, every
# damaged c.img judged below and every repaired one, for the guest kernel to
# judge the same bytes; DIR/list has "NAME BASE VERDICT DESCRIPTION" lines
# (NAME.img; a repaired image is NAMEr.img with verdict "repaired").
base() { cp "$1.img" c.img; BASE=$1; }
nsave=0
save() { # DESCRIPTION VERDICT
	[ -n "${CHECK_SAVE:-}" ] || return 0
	nsave=$((nsave + 1)) saved=$(printf 'd%02d' "$nsave")
	cp c.img "$CHECK_SAVE/$saved.img"
	printf '%s %s %s %s\n' "$saved" "$BASE" "$2" "$1" >>"$CHECK_SAVE/list"
}
save_repaired() { # DESCRIPTION
	[ -n "${CHECK_SAVE:-}" ] || return 0
	cp c.img "$CHECK_SAVE/${saved}r.img"
	printf '%s %s %s %s\n' "${saved}r" "$BASE" repaired "$1" >>"$CHECK_SAVE/list"
}
if [ -n "${CHECK_SAVE:-}" ]; then
	for b in m12 m11 ll-fsdax ll-sector ll-devdax; do
		cp "$b.img" "$CHECK_SAVE/$b.img"
		printf '%s %s ok pristine\n' "$b" "$b" >>"$CHECK_SAVE/list"
	done
fi

# judge DESCRIPTION VERDICT PATTERN: c.img (damaged) gets VERDICT and a finding matching PATTERN
judge() {
	save "$1" "$2"
	run_vpmem check c.img
	expect_eq "$1: exit" "$rc" 1
	expect_match "$1: verdict" "$out" "^c.img: $2\$"
	expect_match "$1: finding" "$out" "$3"
}
# warn DESCRIPTION PATTERN: c.img (changed where the kernel does not mind) is ok, with a warning matching PATTERN
warn() {
	save "$1" ok
	run_vpmem check c.img
	expect_eq "$1: exit 0" "$rc" 0
	expect_match "$1: verdict" "$out" "^c.img: ok\$"
	expect_match "$1: a warning" "$out" "^  warning +$2"
	run_vpmem check --json c.img
	expect_match "$1: json severity" "$out" '"severity":"warning"'
	run_vpmem list c.img
	expect_nomatch "$1: list has no hint" "$out" "hint:"
}
# mend DESCRIPTION: --repair makes c.img ok, the data of the namespaces is unchanged
mend() {
	cp c.img before.img
	run_vpmem check --repair --dry-run c.img
	check "$1: --dry-run changes nothing" cmp -s c.img before.img
	expect_match "$1: --dry-run says what" "$out" "would write"
	run_vpmem check --repair c.img
	expect_eq "$1: --repair exit" "$rc" 0
	expect_match "$1: --repair says ok" "$out" "^c.img: ok\$"
	run_vpmem check c.img
	expect_eq "$1: ok after --repair" "$rc" 0
	save_repaired "$1"
}
# refuse DESCRIPTION: --repair leaves c.img as it was and says why
refuse() {
	cp c.img before.img
	run_vpmem check --repair c.img
	expect_eq "$1: --repair exit" "$rc" 1
	expect_match "$1: --repair says why" "$out" "not repaired: .*\(.+\)"
	check "$1: --repair changed nothing" cmp -s c.img before.img
}
labelcsum() { dmg csum c.img "$(L12 "$1")" 256 248; }
m12() { base m12; }

# ---- index blocks ----
m12; dmg flip c.img $((IX1 + 64)); judge "index 1 checksum flipped" repairable "index 1 at .*bad checksum"; mend "index 1 checksum"
m12; dmg zero c.img "$B12" 16; judge "index 0 signature zeroed" repairable "index 0 at .*no index signature"; mend "index 0 signature"
m12; dmg put c.img $((IX1 + 20)) '<I' 0; dmg csum c.img "$IX1" 256 64
judge "index 1 seq 0" repairable "index 1 at .*sequence number 0"; mend "index 1 seq"
m12; dmg put c.img $((IX1 + 24)) '<Q' 4096; dmg csum c.img "$IX1" 256 64
judge "index 1 myoff out of range" repairable "index 1 .*bad myoff"; mend "index 1 myoff"
m12; dmg put c.img $((B12 + 40)) '<Q' 0; dmg csum c.img "$B12" 256 64
judge "index 0 otheroff zero" repairable "index 0 .*bad otheroff"; mend "index 0 otheroff"
m12; dmg put c.img $((IX1 + 48)) '<Q' 999; dmg csum c.img "$IX1" 256 64
judge "index 1 labeloff" repairable "index 1 .*bad labeloff"; mend "index 1 labeloff"
m12; dmg put c.img $((IX1 + 56)) '<I' 99999; dmg csum c.img "$IX1" 256 64
judge "index 1 nslot out of range" repairable "index 1 .*nslot"; mend "index 1 nslot"
m12; dmg flip c.img $((B12 + 64)); dmg flip c.img $((IX1 + 64))
judge "both index blocks" damaged "label area .*no valid index block"; refuse "both index blocks"
# the free bitmap: slot 6 (empty) marked in use in the current index (0, seq 3)
m12; dmg put c.img $((B12 + 72)) '<B' 0x80; dmg csum c.img "$B12" 256 64
judge "free bitmap: empty slot in use" repairable "label slot 6 .*holds no label"; mend "free bitmap"
run_vpmem list c.img
expect_match "free bitmap repaired: the six namespaces remain" "$(printf '%s\n' "$out" | grep -c 'namespace0\.')" '^6$'

# ---- labels (v1.2: checksum recomputed so the field itself is judged) ----
m12; dmg flip c.img $(($(L12 1) + 20)); judge "label checksum" damaged "label slot 1 .*checksum"; refuse "label checksum"
m12; dmg put c.img $(($(L12 2) + 120)) '<I' 7; labelcsum 2
judge "label slot field" repairable "label slot 2 .*names slot 7"; mend "label slot field"
m12; dmg put c.img $(($(L12 0) + 84)) '<H' 2; labelcsum 0; judge "label nlabel" damaged "label slot 0 .*nlabel 2"
m12; dmg put c.img $(($(L12 0) + 86)) '<H' 1; labelcsum 0; judge "label position" damaged "label slot 0 .*position 1"
m12; dmg flip c.img $(($(L12 4) + 88)); labelcsum 4; judge "label cookie" damaged "label slot 4 .*cookie"
m12; dmg put c.img $(($(L12 4) + 104)) '<Q' $((1 << 40)); labelcsum 4; judge "label dpa out of region" damaged "label slot 4 .*not inside"
m12; dmg zero c.img $(($(L12 4) + 112)) 8; labelcsum 4; judge "label rawsize zero" damaged "label slot 4 .*not inside"
m12; dmg put c.img $(($(L12 4) + 104)) '<Q' $((0x8000000 - 0x1000000)); labelcsum 4
judge "label extents overlap" damaged "label slot 4 .*overlaps"; refuse "overlap"
expect_match "overlap: says which and how to choose" "$out" "slot 3.*keep one"
m12; dmg copy c.img "$(L12 0)" "$(L12 4)" 16; labelcsum 4; judge "duplicate uuid" damaged "share uuid"
# what the kernel uses as it is (doc/check.md): a warning, the verdict stays ok
# (two in one image: the guest test attaches every saved image in one boot, 64 at most)
m12; dmg put c.img $(($(L12 4) + 16)) '<B' 0xff; dmg flip c.img $(($(L12 4) + 144)); labelcsum 4
warn "label name not UTF-8, unknown abstraction GUID (raw namespace)" "label slot 4 .*not valid UTF-8"
run_vpmem check c.img
expect_match "unknown abstraction GUID (raw namespace): a warning" "$out" "^  warning +label slot 4 .*unknown abstraction GUID"
run_vpmem list --json -v c.img
expect_match "unknown abstraction GUID: list keeps the namespace, as the kernel does" \
	"$(printf '%s\n' "$out" | grep -c '"dev":"namespace0')" '^6$'
expect_match "unknown abstraction GUID: its claim class is unknown" "$out" '"claim_class":"unknown"'
m12; dmg put c.img $(($(L12 4) + 16)) '<Q' 0x4141414141414141
for o in 8 16 24 32 40 48 56; do dmg put c.img $(($(L12 4) + 16 + o)) '<Q' 0x4141414141414141; done
labelcsum 4; warn "label name not terminated" "label slot 4 .*not NUL-terminated"
# v1.1 labels have no checksum: the fields are judged directly
base m11; dmg put c.img $(($(L11 2) + 88)) '<Q' 0x1234; judge "v1.1 label cookie" damaged "label slot 2 .*cookie"
base m11; dmg put c.img $(($(L11 2) + 120)) '<I' 9; judge "v1.1 label slot" repairable "label slot 2 .*names slot 9"; mend "v1.1 label slot"

# ---- fsdax / devdax info blocks ----
m12; dmg flip c.img $((0x2000000 + 4096)); judge "fsdax signature (labelled pfn)" damaged "namespace1 info block"; refuse "fsdax signature"
m12; dmg flip c.img $((0x2000000 + 4096 + 4088)); judge "fsdax checksum" damaged "namespace1 info block"
m12; dmg flip c.img $((0x2000000 + 4096 + 32)); dmg csum c.img $((0x2000000 + 4096)) 4096 4088
judge "fsdax parent uuid" damaged "namespace1 info block"
m12; dmg put c.img $((0xa000000 + 4096 + 56)) '<Q' $((1 << 40)); dmg csum c.img $((0xa000000 + 4096)) 4096 4088
judge "devdax dataoff out of range" damaged "namespace5 info block"
# the version: nd_pfn_validate reads no major, and a minor below 1, 2, 4
# makes it ignore start_pad/end_trunc, align (derived from dataoff), the page
# sizes. A major of 0xffff (fsdax ns1) and minor 1 (fsdax ns0) change nothing
# here: the guest enables both as before. A devdax minor below 2 leaves
# pfn_sb->align 0 for __dax_pmem_probe: alloc_dax_region fails, the namespace
# stays disabled (dmesg: dax0.1 probe failed with error -12). The
# kernel's verdict: one boot of m12 with these three changes and one of m12,
# `ndctl list -N` compared, Linux 6.1 and 6.12 (2026-12-02). Not saved for
# tests/guest/test-check.sh, which attaches 64 images, its most.
m12; dmg put c.img $((0x2000000 + 4096 + 52)) '<H' 0xffff; dmg csum c.img $((0x2000000 + 4096)) 4096 4088
dmg put c.img $((4096 + 54)) '<H' 1; dmg csum c.img 4096 4096 4088
run_vpmem check c.img
expect_eq "fsdax version major 0xffff, minor 1: ok, as the kernel" "$rc" 0
expect_nomatch "fsdax version major 0xffff, minor 1: no finding" "$out" "^  (warning|repairable|damaged) "
dmg put c.img $((0xa000000 + 4096 + 54)) '<H' 0; dmg csum c.img $((0xa000000 + 4096)) 4096 4088
run_vpmem check c.img
expect_eq "devdax version 1.0: exit" "$rc" 1
expect_match "devdax version 1.0: damaged" "$out" "^c.img: damaged\$"
expect_match "devdax version 1.0: device-dax refuses it" "$out" "namespace5 info block at 0xa001000: dax info block: version 1.0 has no align field"
expect_match "devdax version 1.0: only namespace5" "$(printf '%s\n' "$out" | grep -c '^  namespace0\.[0-9]*: ok ')" '^5$'
m12; dmg put c.img $((0xa000000 + 4096 + 84)) '<I' 12345; dmg csum c.img $((0xa000000 + 4096)) 4096 4088
judge "devdax align" damaged "namespace5 info block"
base ll-fsdax; dmg flip c.img $((4096 + 4088)); judge "label-less fsdax checksum" damaged "rejected"
base ll-devdax; dmg put c.img $((4096 + 56)) '<Q' 0; dmg csum c.img 4096 4096 4088
judge "label-less devdax dataoff zero" damaged "rejected"

# ---- BTT (ns3: BTT 2.0 at 0x6000000, data written twice; label-less 1.1 at 4096) ----
A3=$((0x6000000))
INFO2=$((A3 + $(dmg get m12.img $((A3 + 112)) '<Q')))
MAP3=$((A3 + $(dmg get m12.img $((A3 + 96)) '<Q')))
LOG3=$((A3 + $(dmg get m12.img $((A3 + 104)) '<Q')))
NLBA3=$(dmg get m12.img $((A3 + 60)) '<I')
m12; dmg zero c.img "$A3" 4096; judge "BTT info zeroed" repairable "namespace3 .*backup .* is valid"; mend "BTT info from backup"
expect_eq "BTT info from backup: data intact" "$(export_sum c.img namespace0.3)" "$SUM3"
m12; dmg flip c.img $((A3 + 4088)); judge "BTT info checksum" repairable "namespace3 .*corrupt"; mend "BTT info checksum"
m12; dmg put c.img $((A3 + 72)) '<I' 7; dmg csum c.img "$A3" 4096 4088
judge "BTT nfree" repairable "namespace3 .*backup"; mend "BTT nfree"
m12; dmg flip c.img $((INFO2 + 100)); judge "BTT backup info" repairable "btt arena 0 .*backup info block differs"; mend "BTT backup"
expect_eq "BTT backup: data intact" "$(export_sum c.img namespace0.3)" "$SUM3"
m12; dmg zero c.img "$A3" 4096; dmg zero c.img "$INFO2" 4096; judge "BTT info and backup" damaged "no valid backup"; refuse "BTT both"
m12; dmg put c.img $((MAP3 + 8)) '<I' $((0xC0000000 | 0x3fffff)); judge "BTT map out of range" damaged "map entry 2 points at block"
refuse "BTT map out of range"
m12; B0=$(dmg get m12.img "$MAP3" '<I'); dmg put c.img $((MAP3 + 4)) '<I' "$B0"
judge "BTT block mapped twice" damaged "referenced by two map entries"; refuse "BTT double map"
m12; dmg put c.img $((MAP3 + 4 * (NLBA3 - 1))) '<I' $((0xC0000000 | 5)); judge "BTT block lost" damaged "referenced by two|referenced by nothing"
m12; dmg put c.img $((LOG3 + 12)) '<I' 7; judge "BTT flog seq out of range" damaged "flog lane 0"
m12; dmg put c.img $((LOG3 + 12)) '<I' "$(dmg get m12.img $((LOG3 + 28)) '<I')"; judge "BTT flog seq equal" damaged "flog lane 0"
m12; dmg put c.img $((LOG3 + 4)) '<I' $((0x7ffffff)); judge "BTT flog old_map out of range" damaged "flog lane 0"
m12; lba=$(dmg unroll c.img "$A3"); judge "BTT interrupted write" repairable "interrupted write of sector $lba"
expect_eq "interrupted write: the sector reads new already (as the kernel reads it)" "$(export_sum c.img namespace0.3)" "$SUM3"
mend "BTT interrupted write"
expect_eq "interrupted write: data intact after --repair" "$(export_sum c.img namespace0.3)" "$SUM3"
base ll-sector; dmg zero c.img 4096 4096; judge "label-less BTT info zeroed" repairable "missing; its backup"; mend "label-less BTT"
expect_eq "label-less BTT from backup: data intact" "$(export_sum c.img namespace0.0)" "$SUMLL"
# an unknown abstraction GUID where an info block is: the kernel shows it raw
m12; dmg flip c.img $(($(L12 3) + 144)); labelcsum 3; dmg flip c.img $(($(L12 1) + 144)); labelcsum 1
judge "unknown abstraction GUID (BTT and fsdax namespaces)" damaged "label slot 3 .*holding a BTT info block"
expect_match "unknown abstraction GUID (fsdax namespace): damaged" "$out" "damaged +label slot 1 .*holding a fsdax \(NVDIMM_PFN_INFO\) info block"
expect_eq "unknown abstraction GUID (fsdax namespace): said once, by the label" \
	"$(printf '%s\n' "$out" | grep -c 'fsdax (NVDIMM_PFN_INFO) info block')" 1
refuse "unknown abstraction GUID over info blocks"
# everything repairable at once, and something not: repairs what it can, refuses the rest
m12; dmg flip c.img $((IX1 + 64)); dmg flip c.img $((INFO2 + 100)); dmg flip c.img $(($(L12 4) + 20))
run_vpmem check --repair c.img
expect_eq "mixed: exit 1 (damage remains)" "$rc" 1
expect_match "mixed: repaired the index" "$out" "repaired: label index 1"
expect_match "mixed: repaired the BTT backup" "$out" "repaired: BTT info block backup"
expect_match "mixed: refused the label" "$out" "not repaired: label slot 4"
expect_eq "mixed: fsdax data intact" "$(export_sum c.img namespace0.1)" "$SUM1"
expect_eq "mixed: sector data intact" "$(export_sum c.img namespace0.3)" "$SUM3"

# the guest test needs the images only
if [ -n "${CHECK_SAVE:-}" ]; then done_testing; exit; fi

# ---- crash: --repair cut after every write; each cut image is no worse, a rerun finishes ----
m12; dmg flip c.img $((IX1 + 64)); dmg flip c.img $((INFO2 + 100)); dmg unroll c.img "$A3" >/dev/null
cp c.img crash0.img
run_vpmem check --repair --dry-run c.img
nw=$(printf '%s\n' "$out" | grep -c 'would write')
expect_eq "crash: three repair writes planned" "$nw" 3
k=0
while [ "$k" -lt "$nw" ]; do
	cp crash0.img c.img
	VPMEM_TEST_CRASH_AFTER_WRITES=$k "$VPMEM" check --repair c.img >/dev/null 2>&1
	expect_eq "crash after $k writes: the process died there" "$?" 99
	run_vpmem check c.img
	expect_match "crash after $k writes: repairable, never damaged" "$out" "^c.img: (repairable|ok)\$"
	expect_eq "crash after $k writes: data reads the same" "$(export_sum c.img namespace0.3)" "$SUM3"
	run_vpmem check --repair c.img
	expect_match "crash after $k writes: a rerun finishes" "$out" "^c.img: ok\$"
	k=$((k + 1))
done

# ---- list and run point at vpmem check (and say nothing on a sound image) ----
run_vpmem list m12.img
expect_nomatch "list of a sound image: no hint" "$out" "hint:"
run_vpmem run --print --pmem-image m12.img
expect_nomatch "run of a sound image: no warning" "$err" "warning"
m12; dmg flip c.img $((IX1 + 64))
run_vpmem list c.img
expect_match "list of a repairable image: the hint" "$out" "^region0: hint: repairable: 1 finding \(first: index 1 at 0x[0-9a-f]+: bad checksum.*\); run 'vpmem check c.img' \(--repair mends it\)\$"
run_vpmem list --json c.img
expect_match "list --json: the hint" "$out" '"hint":"repairable: '
m12; dmg put c.img $((LOG3 + 12)) '<I' 7
run_vpmem list c.img
expect_match "list of a damaged BTT (the labels are sound): the hint" "$out" "^region0: hint: damaged: 1 finding \(first: namespace3 info block at 0x[0-9a-f]+: BTT arena 0: flog lane 0 is corrupt .*\); run 'vpmem check c.img'\$"
run_vpmem run --print --pmem-image c.img
expect_eq "run of a damaged image: still prints the machine" "$rc" 0
expect_match "run of a damaged image: one warning naming vpmem check" "$err" "^vpmem: warning: 'c.img' is damaged: .*run 'vpmem check c.img'\$"

# list and run read the headers only (vpmem_check_headers): damage inside a
# BTT map is for vpmem check to find, so list stays as fast on a large BTT
m12; dmg put c.img $((MAP3 + 8)) '<I' $((0xC0000000 | 0x3fffff))
run_vpmem list c.img
expect_nomatch "list of a damaged BTT map: no map walk, no hint" "$out" "hint:"
run_vpmem check c.img
expect_match "check of the same image walks the map" "$out" "map entry 2 points at block"

# ---- usage ----
run_vpmem check
expect_eq "no FILE: usage" "$rc" 2
run_vpmem check --dry-run m12.img
expect_match "--dry-run alone" "$err" "needs --repair"
run_vpmem check nosuch.img
expect_eq "missing file: exit" "$rc" 1
expect_match "missing file: one line" "$err" "^vpmem: error: check: cannot open 'nosuch.img': No such file or directory\$"
done_testing
