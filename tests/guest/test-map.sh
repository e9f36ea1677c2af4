#!/bin/sh
# vpmem map against the real guest: three vNVDIMMs of equal size in shuffled
# slots over two NUMA nodes. The guest writes a distinct marker through each of
# its DIMMs; the host file that vpmem map names for each DIMM must hold that
# DIMM's marker. vpmem map also runs inside the guest, on live sysfs. Then one
# device is removed, the guest re-enumerates, and the mapping of the other two
# is still right; the libvirt XML of the same machine maps identically.
. "$(dirname "$0")/lib-guest.sh"
cd "$T" || exit 1
truncate -s 256M a.img b.img c.img
imgs="--pmem-image $T/a.img,slot=2,node=1 --pmem-image $T/b.img,slot=0,node=0 --pmem-image $T/c.img,slot=1,node=1"

# shellcheck disable=SC2086
"$VPMEM" run --qemu-nodes 2 --state-dir "$T/vm" $imgs --print >cmdline.txt
mark='for n in /sys/bus/nd/devices/nmem*; do
	nm=$(basename $n); id=$(cat $n/nfit/id)
	for r in /sys/bus/nd/devices/region*; do
		case "$(cat $r/mapping0)" in $nm,*) dev=$(ls /sys/bus/nd/devices/namespace${r##*region}.0/block) ;; esac
	done
	MODE
done'
write=$(printf '%s' "$mark" | sed 's|MODE|printf "marker-$id" \| dd of=/dev/$dev bs=4096 conv=sync 2>/dev/null|')
read=$(printf '%s' "$mark" | sed 's|MODE|echo "$nm $(head -c 20 /dev/$dev)"|')
# shellcheck disable=SC2086
guest_run --qemu-nodes 2 $imgs "
$write
sync
cat >/tmp/cmdline <<'CMDLINE'
$(cat cmdline.txt)
CMDLINE
echo '---inguest'
vpmem map --qemu-cmdline /tmp/cmdline --json
echo '---json'
ndctl list -DRN"
expect_eq "first boot" "$grc" 0
printf '%s\n' "$gout" | sed -n '/^---json/,$p' | sed 1d >guest1.json
printf '%s\n' "$gout" | sed -n '/^---inguest/,/^---json/p' | sed '1d;$d' >inguest.json

check_markers() { # $1 = map JSON, $2 = what
	python3 - "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
ok = 0
for r in m["devices"]:
    data = open(r["host"]["path"], "rb").read(32)
    want = ("marker-" + r["guest"]["id"]).encode()
    if data.startswith(want):
        ok += 1
    else:
        print("WRONG", r["host"]["path"], r["guest"]["dimm"], data[:20])
print("markers-ok", ok, "problems", len(m["problems"]))
PY
}
run_vpmem map --state-dir "$T/vm" --guest-json guest1.json --json
expect_eq "map (saved spec) status" "$rc" 0
printf '%s\n' "$out" >map1.json
expect_eq "every backing holds the marker of the DIMM it maps to" "$(check_markers map1.json)" "markers-ok 3 problems 0"
expect_eq "slot 0 (b.img) is the guest's id 8680-56341200" \
	"$(python3 -c 'import json; m=json.load(open("map1.json")); print([r["guest"]["id"] for r in m["devices"] if r["host"]["path"].endswith("/b.img")][0])')" 8680-56341200
expect_eq "in-guest map on live sysfs agrees" \
	"$(python3 -c 'import json,sys; f=lambda p: sorted((r["host"]["path"], r["guest"]["dimm"]) for r in json.load(open(p))["devices"]); print(f("map1.json") == f("inguest.json"))')" True
run_vpmem map --qemu-cmdline cmdline.txt --guest-json guest1.json --json
expect_eq "the printed command line maps the same" "$(printf '%s' "$out" | python3 -c 'import json,sys; print(sorted((r["host"]["path"], r["guest"]["dimm"]) for r in json.load(sys.stdin)["devices"]))')" \
	"$(python3 -c 'import json; print(sorted((r["host"]["path"], r["guest"]["dimm"]) for r in json.load(open("map1.json"))["devices"]))')"
# shellcheck disable=SC2086
"$VPMEM" run --qemu-nodes 2 --state-dir "$T/vm" $imgs --libvirt-xml >dom.xml
run_vpmem map --libvirt-xml dom.xml --guest-json guest1.json --json
printf '%s\n' "$out" >map-libvirt.json
expect_eq "the libvirt XML maps identically" \
	"$(python3 -c 'import json,sys; f=lambda p: sorted((r["host"]["path"], r["guest"]["dimm"]) for r in json.load(open(p))["devices"]); print(f("map1.json") == f("map-libvirt.json"))')" True

# remove b.img (slot 0); the guest renumbers its DIMMs; slots stay
imgs2="--pmem-image $T/a.img,slot=2,node=1 --pmem-image $T/c.img,slot=1,node=1"
# shellcheck disable=SC2086
GUEST_STATE=$T/vm2 guest_run --qemu-nodes 2 $imgs2 "
$read
echo '---json'
ndctl list -DRN"
expect_eq "second boot" "$grc" 0
printf '%s\n' "$gout" | sed -n '/^---json/,$p' | sed 1d >guest2.json
run_vpmem map --state-dir "$T/vm2" --guest-json guest2.json --json
expect_eq "map after removal status" "$rc" 0
printf '%s\n' "$out" >map2.json
expect_eq "two devices, markers right" "$(check_markers map2.json)" "markers-ok 2 problems 0"
# what the guest read through each DIMM is what the mapped host file holds
res=$(python3 - map2.json <<PY
import json, sys
m = json.load(open(sys.argv[1]))
seen = dict(l.split(" ", 1) for l in """$(printf '%s\n' "$gout" | sed -n '1,/^---json/p' | sed '$d')""".splitlines() if l.startswith("nmem"))
for r in m["devices"]:
    host = open(r["host"]["path"], "rb").read(20).rstrip(b"\0").decode()
    print(r["guest"]["dimm"], "ok" if seen[r["guest"]["dimm"]].strip("\0") == host else "WRONG")
PY
)
expect_eq "guest reads through nmemN what vpmem map says nmemN is" "$(echo $res | tr ' ' '\n' | grep -c '^ok$')" 2

done_testing
