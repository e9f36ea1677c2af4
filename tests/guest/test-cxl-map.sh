#!/bin/sh
# vpmem map for CXL: two CXL images whose serials run against the order they
# are attached (a.img sn=0x200 first, b.img sn=0x100 second), each with a
# namespace named after it. In the guest, `vpmem map` over live sysfs joins
# each host memory/label file to its memN, nmem, region and namespace by
# serial; on the host, `vpmem map` joins the saved VM (and the printed QEMU
# command line) with the guest's `cxl list -M`. A wrong join shows as a
# namespace on the wrong file.
. "$(dirname "$0")/lib-guest.sh"
PY=$(python3 -c 'import sys; print(sys.executable)')
jget() { "$PY" -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
cd "$T" || exit 1

"$VPMEM" image create a.img --size 256M --cxl --serial 0x200 >/dev/null
"$VPMEM" image create b.img --size 256M --cxl --serial 0x100 >/dev/null
"$VPMEM" namespace create a.img --mode fsdax --size 64M --name on-a >/dev/null
"$VPMEM" namespace create b.img --mode sector --size 64M --name on-b >/dev/null
run_vpmem run --pmem-image a.img --pmem-image b.img --state-dir "$T/vm" --print
expect_eq "print" "$rc" 0
printf '%s\n' "$out" >q.txt

guest_run --pmem-image a.img --pmem-image b.img "
set -e
cat >/tmp/q <<'EOF'
$(cat q.txt)
EOF
echo CXL; cxl list -M
echo NDCTL; ndctl list -RN
echo MAP; vpmem map --qemu-cmdline /tmp/q --json"
expect_eq "boot" "$grc" 0
cxlj=$(printf '%s\n' "$gout" | sed -n '/^CXL$/,/^NDCTL$/p' | sed '1d;$d')
ndj=$(printf '%s\n' "$gout" | sed -n '/^NDCTL$/,/^MAP$/p' | sed '1d;$d')
mapj=$(printf '%s\n' "$gout" | sed -n '/^MAP$/,$p' | sed '1d')
printf '%s\n' "$cxlj" >cxl.json
printf '%s\n' "$mapj" >map-in-guest.json
[ -n "${KEEP_MAP:-}" ] && cp map-in-guest.json "$KEEP_MAP"
expect_eq "guest: two memdevs" "$(jget "$cxlj" 'len(j)')" 2
expect_eq "in the guest: no problems" "$(jget "$mapj" 'len(j["problems"])')" 0
# each file's row: its serial, a memN of that serial, the region holding the namespace named for it
for f in a b; do
	sn=$([ $f = a ] && echo 512 || echo 256)
	row="[r for r in j['devices'] if r['host']['path'].endswith('/$f.img')][0]"
	expect_eq "$f.img: matched" "$(jget "$mapj" "$row['state']")" matched
	expect_eq "$f.img: label file" "$(jget "$mapj" "$row['host']['lsa']")" "$T/$f.img.lsa"
	mem=$(jget "$mapj" "$row['guest']['dimm'].split('/')[0]")
	expect_eq "$f.img: memdev of serial $sn" "$(jget "$cxlj" "[m['serial'] for m in j if m['memdev'] == '$mem'][0]")" "$sn"
	reg=$(jget "$mapj" "$row['guest']['region']")
	expect_eq "$f.img: its region holds on-$f" \
		"$(jget "$ndj" "[n['name'] for r in (j['regions'] if isinstance(j, dict) else j) for n in r.get('namespaces', []) if r['dev'] == '$reg'][0]")" "on-$f"
done

# on the host: the saved VM and the printed command line, with cxl list -M
run_vpmem map --state-dir "$T/vm" --guest-json cxl.json --json
expect_eq "host: exit" "$rc" 0
for f in a b; do
	row="[r for r in j['devices'] if r['host']['path'].endswith('/$f.img')][0]"
	expect_eq "host: $f.img matched" "$(jget "$out" "$row['state']")" matched
	expect_eq "host: $f.img's memdev as in the guest" "$(jget "$out" "$row['guest']['dimm']")" \
		"$(jget "$mapj" "$row['guest']['dimm'].split('/')[0]")"
done
run_vpmem map --qemu-cmdline q.txt --guest-json cxl.json
expect_eq "host text: exit" "$rc" 0
expect_match "host text: a.img by serial" "$out" "a.img +sn=0x200 .*mem[0-9]"
expect_match "host text: b.img by serial" "$out" "b.img +sn=0x100 .*mem[0-9]"
# a guest without b's serial: said plainly
printf '%s\n' "$cxlj" | sed 's/"serial":256/"serial":999/' >cxl-bad.json
run_vpmem map --qemu-cmdline q.txt --guest-json cxl-bad.json
expect_eq "missing serial: exit 1" "$rc" 1
expect_match "missing serial: says which" "$out" "b.img' \(guest id 256\) has no"

done_testing
