#!/bin/sh
# Tables (libsmartcols) and ndctl list/create-namespace parity, offline:
# columns line up by display width with non-ASCII names (list, namespace
# create, map, vm list), controls are escaped, --output/--noheadings/--raw/
# --width work; list -D/-R/-N/-u/-r/-n/-m/-d/-v print ndctl's JSON shapes;
# namespace create takes ndctl's letters and defaults; every --dry-run
# --json prints JSON. The same shapes are compared with the real ndctl in
# a guest by tests/guest/test-ndctl.sh.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1
export LC_ALL=C.UTF-8
jq_() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
aligned() { # DESCRIPTION NCOLS TEXT (the table; lines after it are not checked)
	if res=$(printf '%s\n' "$3" | grep -v '^problem: ' | python3 "$here/aligned.py" "$2"); then
		pass
	else
		fail "$1: $res"
	fi
}
mk() { "$VPMEM" "$@" >/dev/null || fail "vpmem $*"; }

# ---- images: every mode, names of every width (CJK two cells, "é" one, combining mark none)
mk image create a.img --size 512M --slot 0 --label-version 1.2
mk namespace create a.img -m raw -s 32M -n "plain"
mk namespace create a.img -m sector -s 32M -n "名前付き"
mk namespace create a.img -m fsdax -s 64M -n "café"
mk namespace create a.img -m devdax -s 32M -n "e$(printf '\314\201')t"
mk namespace create a.img -s 32M -n "ｗｉｄｅ"
mk image create 数据.img --size 128M --slot 1 --label-version 1.1
mk namespace create 数据.img -m fsdax -M mem -n "x"
mk image create ll.img --size 64M --no-labels --slot 2

# ---- list: the table lines up
run_vpmem list -N --output DEV,NAME,MODE,DEVICE,UUID a.img 数据.img
expect_eq "list -N: status" "$rc" 0
aligned "list -N: columns line up by display width" 5 "$out"
expect_match "list -N: wide name shown" "$out" "名前付き +sector"
run_vpmem list --output DEV,FILE,LABELS,SIZE a.img 数据.img ll.img
aligned "list: the region rows line up (FILE with CJK)" 3 "$(printf '%s\n' "$out" | grep -v '^[├└]')"
run_vpmem list --output +RAW_UUID a.img
expect_match "list: + adds to the defaults" "$(printf '%s\n' "$out" | head -n1)" "^DEV +FILE +SIZE +LABELS +MODE .* NAME +RAW_UUID$"
run_vpmem list a.img
expect_match "list: default columns" "$(printf '%s\n' "$out" | head -n1)" "^DEV +FILE +SIZE +LABELS +MODE +MAP +SECTOR +ALIGN +DEVICE +UUID +NAME$"
expect_match "list: namespaces below their region" "$out" "└─namespace0.4 "
expect_match "list: fsdax row" "$out" "namespace0.2 +62.00 MiB +fsdax +dev +512 +2M +/dev/pmem0.2 +[0-9a-f-]{36} +café$"
run_vpmem list -v a.img
expect_match "list -v: verbose columns in text" "$(printf '%s\n' "$out" | head -n1)" " SLOT .*RAW_UUID +DPA +RAW_SIZE +LSLOT +CLAIM +DATAOFF +INFO$"
expect_match "list -v: pfn info" "$out" "namespace0.2 .* pfn +0x200000 +1.4$"
run_vpmem list --noheadings --output DEV a.img
expect_eq "--noheadings" "$(printf '%s\n' "$out" | head -n1)" "region0"
run_vpmem list --raw -N --output DEV,SIZE,NAME a.img
expect_match "--raw: blanks escaped, no tree" "$out" "^namespace0.0 32.00\\\\x20MiB plain$"
run_vpmem list --raw a.img
expect_nomatch "--raw with regions: no tree drawn (lsblk -r)" "$out" '\\xe2|─'
run_vpmem list --output DEV,BOGUS a.img
expect_eq "--output unknown: usage error" "$rc" 2
expect_eq "--output unknown: one line" "$err" "vpmem: error: list: --output: unknown column 'BOGUS' (see 'vpmem help list')"
# a long cell is truncated by the library to the width given
long="$T/$(printf 'd%.0s' $(seq 1 120)).img"
cp ll.img "$long"
run_vpmem list --width 70 --output DEV,FILE,SIZE,NAME "$long" a.img
w=$(printf '%s\n' "$out" | python3 -c 'import sys,unicodedata as u
print(max(sum(2 if u.east_asian_width(c) in "WF" else 0 if u.combining(c) else 1 for c in l.rstrip("\n")) for l in sys.stdin))')
expect_eq "--width 70: no line wider" "$([ "$w" -le 70 ] && echo ok)" ok
expect_nomatch "--width 70: the long path is cut" "$out" "$long"

# ---- controls: never raw on the terminal
mk image create c.img --size 64M
mk namespace create c.img -m raw -s 16M -n "$(printf 'a\033[2Jb\nc')"
run_vpmem list c.img
expect_eq "ESC never raw" "$(printf '%s' "$out" | tr -d -c '\033' | wc -c)" 0
expect_match "ESC and newline escaped" "$out" 'a\\x1b\[2Jb\\x0ac$'
expect_eq "the row stays one line" "$(printf '%s\n' "$out" | wc -l)" 3

# ---- namespace create: ndctl's letters and defaults, table or JSON
mk image create n.img --size 256M
run_vpmem namespace create n.img -s 32M -n "名"
expect_eq "create without -m" "$rc" 0
expect_match "create: default mode fsdax, map dev, align 2M" "$out" "namespace0.0 +30.00 MiB +fsdax +dev +512 +2M "
run_vpmem namespace create n.img -s 32M -n "名前" --output DEV,NAME,MODE,MAP,DEVICE,UUID
aligned "create: the table lines up" 6 "$out"
run_vpmem namespace create n.img -m sector -l 512 -s 32M --json
expect_eq "create -l 512" "$(jq_ "$out" 'j["sector_size"]')" 512
run_vpmem namespace create n.img -m devdax -M mem -a 4K -s 32M -r region0 -t pmem --json
expect_eq "create -M mem -a 4K" "$(jq_ "$out" '(j["map"], j["align"])')" "('mem', 4096)"
run_vpmem namespace create n.img -u 6a1b8a5e-0c47-4f61-9d6e-1d2a8c3e4f50 -s 32M --json
expect_eq "create -u UUID (the label's)" "$(jq_ "$out" 'j["raw_uuid"]')" 6a1b8a5e-0c47-4f61-9d6e-1d2a8c3e4f50
before=$(sha256sum <n.img)
run_vpmem namespace create n.img -r region1
expect_eq "create -r region1: usage error" "$rc" 2
run_vpmem namespace create n.img -m sector -s 32M --dry-run --json
expect_eq "create --dry-run --json: JSON" "$(jq_ "$out" '(j["dry_run"], j["namespace"]["mode"], len(j["writes"]) > 3, j["writes"][-1]["fsync"])')" "(True, 'sector', True, True)"
run_vpmem namespace destroy n.img --all --dry-run --json
expect_eq "destroy --dry-run --json: JSON" "$(jq_ "$out" '(j["dry_run"], j["destroy"])')" "(True, 5)"
run_vpmem namespace export n.img --dev namespace0.0 --to x.bin --dry-run --json
expect_eq "export --dry-run --json: JSON" "$(jq_ "$out" '(j["op"], j["dev"], j["mode"])')" "('export', 'namespace0.0', 'fsdax')"
printf 'data' >in.bin
run_vpmem namespace import n.img --dev namespace0.2 --from in.bin --dry-run --json
expect_eq "import --dry-run --json: JSON" "$(jq_ "$out" '(j["op"], j["mode"], j["block_size"])')" "('import', 'sector', 512)"
run_vpmem namespace reconfigure n.img --dev namespace0.0 --mode sector --keep-data --dry-run --json
expect_eq "reconfigure --dry-run --json: JSON" \
	"$(jq_ "$out" '(j["dry_run"], j["was"], j["namespace"]["mode"], j["keep_data"], j["staging"], len(j["destroy"]) > 0, j["create"][-1]["fsync"])')" \
	"(True, 'fsdax', 'sector', True, 'n.img.vpmem-reconfigure.data', True, True)"
run_vpmem image create cx.img --size 256M --cxl --serial 0x99 --dry-run --json
expect_eq "image create --cxl --dry-run --json: JSON" \
	"$(jq_ "$out" '(j["dry_run"], j["cxl"], j["label_file"], j["label_version"], j["serial"], j["iset_id"], [w["offset"] for w in j["writes"]])')" \
	"(True, True, 'cx.img.lsa', '1.2', '0x99', '0x13200000099', [256, 0])"
expect_nomatch "image create --cxl --dry-run: no file" "$(ls)" "^cx\.img"
expect_eq "dry runs change nothing" "$(sha256sum <n.img)" "$before"
expect_nomatch "dry runs make no file" "$(ls)" "x.bin|vpmem-reconfigure"

# ---- list --json: ndctl list's shapes (ndctl/list.c list_display, util/json.c)
j() { "$VPMEM" list --json "$@" a.img 数据.img ll.img; }
expect_eq "-N: an array of namespaces" "$(jq_ "$(j -N)" '(type(j).__name__, len(j), sorted(j[0]))')" \
	"('list', 7, ['blockdev', 'dev', 'mode', 'name', 'sector_size', 'size', 'uuid'])"
expect_eq "-N: ndctl's keys, no raw_uuid or file" "$(jq_ "$(j -N)" 'sorted(j[2])')" \
	"['align', 'blockdev', 'dev', 'map', 'mode', 'name', 'sector_size', 'size', 'uuid']"
expect_eq "-R: regions without mappings or namespaces" "$(jq_ "$(j -R)" '(len(j), sorted(j[0]))')" \
	"(3, ['align', 'available_size', 'dev', 'iset_id', 'max_available_extent', 'size', 'type'])"
expect_eq "-R: the label-less region has no iset_id" "$(jq_ "$(j -R)" '"iset_id" in j[2]')" False
expect_eq "-D: DIMMs" "$(jq_ "$(j -D)" '[(d["dev"], d["id"], d["handle"], d["phys_id"]) for d in j]')" \
	"[('nmem0', '8680-56341200', 1, 0), ('nmem1', '8680-57341200', 2, 0), ('nmem2', '8680-58341200', 3, 0)]"
expect_eq "-RN: {regions} with namespaces nested" "$(jq_ "$(j -RN)" '(list(j), [len(r["namespaces"]) for r in j["regions"]])')" "(['regions'], [5, 1, 1])"
expect_eq "-DN: {dimms, namespaces}" "$(jq_ "$(j -DN)" 'list(j)')" "['dimms', 'namespaces']"
expect_eq "-DR: mappings with -D" "$(jq_ "$(j -DR)" '(list(j), j["regions"][1]["mappings"])')" \
	"(['dimms', 'regions'], [{'dimm': 'nmem1', 'offset': 0, 'length': 134086656, 'position': 0}])"
expect_eq "-DRN" "$(jq_ "$(j -DRN)" '(list(j), list(j["regions"][0])[-1])')" "(['dimms', 'regions'], 'namespaces')"
expect_eq "-Nu: human sizes" "$(jq_ "$(j -Nu)" '[n["size"] for n in j][:3]')" \
	"['32.00 MiB (33.55 MB)', '30.94 MiB (32.44 MB)', '62.00 MiB (65.01 MB)']"
expect_eq "-Du: hex ids" "$(jq_ "$(j -Du)" '(j[1]["handle"], j[1]["phys_id"])')" "('0x2', '0')"
expect_eq "-Ru: region sizes and iset_id" "$(jq_ "$(j -Ru)" '(j[0]["align"], j[0]["iset_id"][:2], j[2]["available_size"])')" "('16.00 MiB (16.78 MB)', '0x', 0)"
expect_eq "-u, one element: the object" "$(jq_ "$(j -u -m sector)" '(type(j).__name__, j["dev"])')" "('dict', 'namespace0.1')"
expect_eq "one element without -u: an array" "$(jq_ "$(j -m sector)" 'type(j).__name__')" list
expect_eq "-r alone: regions" "$(jq_ "$(j -r region1)" '[r["dev"] for r in j]')" "['region1']"
expect_eq "-r NUMBER" "$(jq_ "$(j -r 2)" '[r["dev"] for r in j]')" "['region2']"
expect_eq "-d alone: DIMMs" "$(jq_ "$(j -d nmem2)" '[d["dev"] for d in j]')" "['nmem2']"
expect_eq "-n alone: namespaces" "$(jq_ "$(j -n namespace0.3)" '[(n["dev"], n["chardev"]) for n in j]')" "[('namespace0.3', 'dax0.3')]"
expect_eq "-n X.Y" "$(jq_ "$(j -n 1.0)" '[n["dev"] for n in j]')" "['namespace1.0']"
expect_eq "-m alias memory" "$(jq_ "$(j -m memory)" '[n["dev"] for n in j]')" "['namespace0.2', 'namespace0.4', 'namespace1.0']"
expect_eq "-r 1 -N" "$(jq_ "$(j -r 1 -N)" '[n["dev"] for n in j]')" "['namespace1.0']"
expect_eq "-R -n: regions holding it" "$(jq_ "$(j -R -n 1.0)" '[r["dev"] for r in j]')" "['region1']"
expect_eq "-D -r: DIMMs of the region" "$(jq_ "$(j -D -r region0)" '[d["dev"] for d in j]')" "['nmem0']"
expect_eq "-Nv: namespaces with vpmem's details" "$(jq_ "$(j -Nv)" '("raw_uuid" in j[2], "dpa" in j[2])')" "(True, True)"
expect_eq "-Rv: regions with namespaces" "$(jq_ "$(j -Rv)" '(list(j), "namespaces" in j["regions"][0])')" "(['regions'], True)"
expect_eq "-Dv: {dimms, namespaces} (ndctl -v adds namespaces)" "$(jq_ "$(j -Dv)" '(list(j), j["dimms"][0]["file"])')" "(['dimms', 'namespaces'], 'a.img')"
# ndctl's quirk: the namespaces array left from the last region decides the
# shape; a region without a match has no "namespaces" key
expect_eq "-RN -m sector: last region without a match: an array" "$(jq_ "$(j -RN -m sector)" '(type(j).__name__, ["namespaces" in r for r in j])')" "('list', [True, False, False])"
expect_eq "nothing matched: nothing printed" "$(j -N -r region7)" ""
run_vpmem list -m bogus a.img
expect_eq "-m bogus: usage error" "$rc" 2
expect_eq "-m bogus: one line" "$err" "vpmem: error: list: invalid mode 'bogus' (use raw, sector, fsdax or devdax) (see 'vpmem help list')"
run_vpmem list --json a.img
expect_eq "no selector: vpmem's document as before" "$(jq_ "$out" '(list(j), j["regions"][0]["file"], "mappings" in j["regions"][0])')" "(['dimms', 'regions'], 'a.img', True)"
run_vpmem list -N -m fsdax --output DEV,MODE a.img
expect_eq "text follows the filters" "$(printf '%s\n' "$out" | tail -n +2 | tr -s ' ' | tr '\n' ';')" "namespace0.2 fsdax;namespace0.4 fsdax;"
run_vpmem list -D --output DEV,ID,SLOT 数据.img
expect_eq "text -D: DIMM rows" "$(printf '%s\n' "$out" | tail -n1 | tr -s ' ')" "nmem0 8680-57341200 1"

# ---- map: HOST with non-ASCII paths, the "…" of a cut UUID
truncate -s 256M "$T/ünï.img" "$T/数据盘.img" "$T/plain.img"
"$VPMEM" run --state-dir "$T/vm" --print --pmem-image "$T/ünï.img,slot=0" --pmem-image "$T/数据盘.img,slot=1" \
	--pmem-image "$T/plain.img,slot=2" >cmdline.txt
printf '{"dimms":[{"dev":"nmem0","id":"8680-56341200","handle":1},{"dev":"nmem1","id":"8680-57341200","handle":2},{"dev":"nmem2","id":"8680-58341200","handle":3}]}' >q.json
run_vpmem map --qemu-cmdline cmdline.txt --guest-json q.json
expect_eq "map: status" "$rc" 0
aligned "map: columns line up with non-ASCII paths" 6 "$out"
md=$(cd "$here/../data/map" && pwd)
run_vpmem map --vmkfstools-output "$md/vmkfstools.txt" --guest-json "$md/guest-vmware-D.json"
# (the UUID's bytes are blank-separated: joined by "_", as wide, for the check)
aligned "map: columns line up after the … of a cut UUID" 6 \
	"$(printf '%s\n' "$out" | sed 's/\(…[0-9a-f]*\) \([0-9a-f]*\) \([0-9a-f]*\) \([0-9a-f]*\)/\1_\2_\3_\4/')"
expect_match "map: the cut UUID" "$out" "…[0-9a-f]{2} ?[0-9a-f]"
run_vpmem map --qemu-cmdline cmdline.txt --guest-json q.json --output GUEST,STATE,HOST --noheadings
expect_eq "map --output --noheadings" "$(printf '%s\n' "$out" | head -n1 | tr -s ' ')" "nmem0 matched $T/ünï.img"

# ---- vm list: saved VMs (as run writes them), one with a non-ASCII name
for v in ü名 plain; do
	mkdir -p "$XDG_STATE_HOME/vpmem/vm/$v"
	cat >"$XDG_STATE_HOME/vpmem/vm/$v/spec.json" <<JSON
{ "name": "$v", "launcher": "qemu", "virtio_pmem": false,
  "dimms": [ { "path": "$T/vm-$v.img", "slot": 0, "node": 0, "size": 67108864,
               "label_size": 0, "region_size": 67108864, "addr": 4294967296, "created": true } ],
  "options": [ "--qemu-pmem", "64M" ], "argv": [ "qemu-system-x86_64" ] }
JSON
done
run_vpmem vm list
if [ "$(printf '%s\n' "$out" | wc -l)" -ge 3 ]; then
	aligned "vm list: columns line up" 5 "$out"
else
	fail "vm list: no saved VMs to list: $out $err"
fi
run_vpmem vm list --output NAME --noheadings --raw
expect_match "vm list --raw: non-ASCII escaped as lsblk -r does" "$out" '^\\xc3\\xbc\\xe5\\x90\\x8d$'

done_testing
