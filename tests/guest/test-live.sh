#!/bin/sh
# vpmem apply --live in the default guest, through libndctl: the issue's
# four-namespace layout on a labelled vNVDIMM region, a one-namespace fsdax +
# ext4 layout on a label-less vNVDIMM and on a memmap= (e820) region. Each
# apply reaches the layout, a second apply does nothing, layout --live round
# trips, the filesystems are mounted -o dax; vpmem doctor tells NVDIMM from
# DRAM. Afterwards the labelled backing file lists offline as the layout and
# vpmem check calls both backing files ok.
. "$(dirname "$0")/lib-guest.sh"
here=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1

"$VPMEM" image create lab.img --size 512M --label-size 128K --slot 0 >/dev/null || fail "image create lab"
"$VPMEM" image create ll.img --size 256M --no-labels --slot 1 >/dev/null || fail "image create ll"
cat >l4.json <<'J'
{"dimm": "nmem0", "namespaces": [
  {"name": "db",    "mode": "fsdax",  "size": "96M", "map": "dev", "filesystem": "ext4", "mount": "/mnt/db"},
  {"name": "cache", "mode": "devdax", "size": "64M", "align": "2M"},
  {"name": "log",   "mode": "sector", "size": "48M", "sector_size": 4096},
  {"name": "rest",  "mode": "raw"}
]}
J
cp l4.json l4-offline.json
cat >one.json <<'J'
{"namespaces": [{"mode": "fsdax", "filesystem": "ext4", "mount": "/mnt/one"}]}
J
guest_run --qemu-memory 2G --append 'memmap=256M!1G' --pmem-image "$T/lab.img" --pmem-image "$T/ll.img" "
cat >/tmp/l4.json <<'J'
$(cat l4.json)
J
cat >/tmp/one.json <<'J'
$(cat one.json)
J
sed 's|/mnt/one|/mnt/ll|' /tmp/one.json >/tmp/ll.json
sed 's|/mnt/one|/mnt/mm|' /tmp/one.json >/tmp/mm.json
ll=\$(ndctl list -R -d nmem1 | sed -n 's/.*\"dev\":\"\(region[0-9]*\)\".*/\1/p' | head -n1)
mm=\$(ndctl list -R -b e820 | sed -n 's/.*\"dev\":\"\(region[0-9]*\)\".*/\1/p' | head -n1)
echo \"regions: label-less \$ll memmap \$mm\"
echo ---l4-first; vpmem apply /tmp/l4.json --live; echo rc=\$?
echo ---l4-second; vpmem apply /tmp/l4.json --live; echo rc=\$?
echo ---l4-json; vpmem apply /tmp/l4.json --live --dry-run --json; echo rc=\$?
echo ---nova; vpmem layout --live --region region0 --nova; echo rc=\$?
echo ---l4-roundtrip; vpmem layout --live --region region0 >/tmp/rt.json; cat /tmp/rt.json; vpmem apply /tmp/rt.json --live --region region0; echo rc=\$?
echo ---ll-four; vpmem apply /tmp/l4.json --live --region \$ll 2>&1; echo rc=\$?
echo ---ll-first; vpmem apply /tmp/ll.json --live --region \$ll; echo rc=\$?
echo ---ll-second; vpmem apply /tmp/ll.json --live --region \$ll; echo rc=\$?
echo ---mm-first; vpmem apply /tmp/mm.json --live --region \$mm; echo rc=\$?
echo ---mm-second; vpmem apply /tmp/mm.json --live --region \$mm; echo rc=\$?
echo ---mounts; grep -E ' /mnt/(db|ll|mm) ' /proc/mounts
echo ---doctor
for d in db ll mm; do dd if=/dev/zero of=/mnt/\$d/f bs=1M count=32 2>/dev/null; vpmem doctor /mnt/\$d/f | head -n1; done
echo ---ndctl; ndctl list -N -r region0
echo ---goal; ndctl list -RD >/tmp/rd.json; vpmem goal check --mode appdirect-notinterleaved --ndctl /tmp/rd.json; echo rc=\$?
vpmem goal check --mode appdirect --ndctl /tmp/rd.json; echo rc=\$?
for d in db ll mm; do umount /mnt/\$d; done
sync
"
expect_eq "guest status" "$grc" 0
sect() { printf '%s\n' "$gout" | sed -n "/^---$1\$/,/^---/p"; }
expect_match "regions found" "$gout" '^regions: label-less region[0-9]+ memmap region[0-9]+$'
expect_match "l4 first: creates" "$(sect l4-first)" 'create +db .*\(\+ mkfs\)'
expect_match "l4 first: rc" "$(sect l4-first)" '^rc=0$'
expect_match "l4 first: four namespaces" "$(sect l4-first | grep -cE '^namespace[0-9]+\.[0-9]+ .* (db|cache|log|rest)$')" '^4$'
expect_match "l4 second: nothing to do" "$(sect l4-second)" '^nothing to do$'
expect_match "l4 second: rc" "$(sect l4-second)" '^rc=0$'
sect l4-json | sed '1d;/^rc=/,$d' >l4.json.out
expect_eq "live --dry-run --json: nothing to do, as values" "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
print(j["region"], j["dry_run"], j["nothing_to_do"], j["dram"], " ".join(s["step"] + ":" + s["namespace"]["name"] for s in j["plan"]))' l4.json.out)" \
	"region0 True True False keep:db keep:cache keep:log keep:rest"
expect_match "live --dry-run --json: rc" "$(sect l4-json)" '^rc=0$'
expect_match "nova from the live region" "$(sect nova)" '^pmem_namespaces = 64MB:cache$'
expect_match "round trip: nothing to do" "$(sect l4-roundtrip)" '^nothing to do$'
expect_match "round trip: filesystem reported" "$(sect l4-roundtrip | tr -d ' \n')" '"name":"db","mode":"fsdax","size":"96M","map":"dev","align":"2M","filesystem":"ext4"'
expect_match "label-less: four refused" "$(sect ll-four)" 'a label-less region holds exactly one namespace, spanning it; the layout asks for 4'
expect_match "label-less: applied" "$(sect ll-first)" '^rc=0$'
expect_match "label-less second: nothing to do" "$(sect ll-second)" '^nothing to do$'
expect_match "memmap: DRAM said" "$(sect mm-first)" 'memmap=, DRAM: lost at power-off'
expect_match "memmap: applied" "$(sect mm-first)" '^rc=0$'
expect_match "memmap second: nothing to do" "$(sect mm-second)" '^nothing to do$'
for d in db ll mm; do
	expect_match "/mnt/$d mounted -o dax" "$(sect mounts)" " /mnt/$d ext4 .*dax"
done
expect_match "doctor: NVDIMM guaranteed" "$(sect doctor)" '^/mnt/db/f: guaranteed'
expect_match "doctor: label-less NVDIMM guaranteed" "$(sect doctor)" '^/mnt/ll/f: guaranteed'
expect_match "doctor: memmap= is DRAM, not guaranteed" "$(sect doctor)" '^/mnt/mm/f: not guaranteed'
expect_match "goal check left the memmap region out" "$(sect goal)" 'kernel: 2 pmem regions on 1 NUMA node: as the goal asks'
expect_match "goal check on the guest's regions: one per DIMM" "$(sect goal)" 'goal in effect'
expect_match "goal check: AppDirect is not what QEMU makes" "$(sect goal)" 'AppDirect gives one per socket'
# no false alarms: the images the guest kernel wrote (labels and info
# blocks by libndctl, ext4 by mkfs and the mounts) are ok for vpmem check
for i in lab.img ll.img; do
	run_vpmem check "$i"
	expect_eq "$i as the guest left it: vpmem check exit" "$rc" 0
	expect_nomatch "$i as the guest left it: vpmem check finds nothing" "$out" "^  (warning|repairable|damaged) "
done
run_vpmem check -v lab.img
expect_match "lab.img: vpmem check judged the four namespaces" "$(printf '%s\n' "$out" | grep -c '^  namespace0\.[0-9]*: ok ')" '^4$'
# the labelled backing file lists offline as the layout
run_vpmem apply l4-offline.json --image lab.img
expect_match "offline: the image is at the layout" "$out" '^nothing to do$'
expect_eq "offline apply status" "$rc" 0

done_testing
