#!/bin/sh
# vpmem apply --image / vpmem layout / image create --layout on real files:
# the plan, identity by name, --force, ambiguous namespaces never touched, a
# second apply writes nothing (byte-for-byte), round trip apply(layout(x)),
# filesystems made with the real mkfs (checked with e2fsck), label-less
# images, a crash after every write, Nova's pmem_namespaces and its refusals.
. "$(dirname "$0")/../lib.sh"
data=$(cd "$(dirname "$0")/../data/layout" && pwd)
cd "$T" || exit 1
# content hash that skips holes (reading 512M of zeros each time is slow):
# size, then every data extent's offset and bytes; equal files hash equal
sum() { python3 -c 'import hashlib,os,sys
f=os.open(sys.argv[1],os.O_RDONLY); n=os.fstat(f).st_size; h=hashlib.sha256(str(n).encode()); p=0
while p<n:
    try: d=os.lseek(f,p,os.SEEK_DATA)
    except OSError: break
    e=os.lseek(f,d,os.SEEK_HOLE); h.update(str(d).encode()); h.update(os.pread(f,e-d,d)); p=e
print(h.hexdigest())' "$1"; }
uuids() { "$VPMEM" list --json "$1" | python3 -c 'import json,sys; j=json.load(sys.stdin)
print(" ".join(sorted("%s=%s" % (n.get("name", "-"), n.get("raw_uuid", n.get("uuid"))) for r in j["regions"] for n in r["namespaces"])))'; }
names() { "$VPMEM" list --json -v "$1" | python3 -c 'import json,sys; j=json.load(sys.stdin)
print(" ".join("%s:%s:%d" % (n.get("name", "-"), n["mode"], n.get("raw_size", n["size"])) for r in j["regions"] for n in r["namespaces"]))'; }

"$VPMEM" image create a.img --size 512M --label-size 128K >/dev/null
before=$(sum a.img)
# bad layouts: one line, status 1, image untouched
printf '{"namespaces":[{"name":"a","mode":"fsdax","size":"16M","algin":"2M"}]}' >bad1.json
printf '{"namespaces":[{"name":"a","mode":"fast"}]}' >bad2.json
printf '{"namespaces":[{"name":"a","mode":"raw","size":"16M"},{"name":"a","mode":"raw","size":"16M"}]}' >bad3.json
printf '{"namespaces":[{"name":"a","mode":"raw"},{"name":"b","mode":"raw"}]}' >bad4.json
printf '{"namespaces":[{"name":"a","mode":"sector","map":"dev"}]}' >bad5.json
printf '{"namespaces":[{"name":"a","mode":"devdax","filesystem":"ext4"}]}' >bad6.json
printf '{"namespaces":[{"name":"a","mode":"raw"}' >bad7.json
printf '{"namespace":[]}' >bad8.json
printf '{"namespaces":[{"name":"a","mode":"raw","size":"-1"}]}' >bad9.json
printf '{"namespaces":[{"name":"a","mode":"fsdax","size":"100M"}]}' >bad10.json
printf '{"namespaces":[{"name":"a","mode":"fsdax","size":"1G"}]}' >bad11.json
printf '{"namespaces":[{"mode":"fsdax","size":"16M"}]}' >bad12.json
printf '{"namespaces":[]} x' >bad13.json
for b in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
	run_vpmem apply bad$b.json --image a.img
	expect_eq "bad$b.json: status" "$rc" 1
	expect_eq "bad$b.json: one line" "$(printf '%s\n' "$err" | wc -l)" 1
	expect_match "bad$b.json: error line" "$err" '^vpmem: error: apply: '
	expect_eq "bad$b.json: image unchanged" "$(sum a.img)" "$before"
done
expect_match "unknown field named" "$(cd "$T" && "$VPMEM" apply bad1.json --image a.img 2>&1)" "namespaces\[0\] \(a\): unknown field 'algin'"
expect_match "size not a multiple of 16M" "$("$VPMEM" apply bad10.json --image a.img 2>&1)" 'not a multiple of the region alignment'
expect_match "unnamed in a labelled region" "$("$VPMEM" apply bad12.json --image a.img 2>&1)" 'needs a "name"'
run_vpmem apply "$data/example-nofs.json" --image nosuch.img
expect_match "missing image" "$err" "^vpmem: error: apply: cannot open 'nosuch.img': No such file or directory$"
run_vpmem apply nosuch.json --image a.img
expect_match "missing layout" "$err" "^vpmem: error: apply: cannot read 'nosuch.json': No such file or directory$"
run_vpmem apply "$data/example-nofs.json"
expect_eq "no target: usage" "$rc" 2

# dry run: the plan and the writes, nothing written
run_vpmem apply "$data/example-nofs.json" --image a.img --dry-run
expect_eq "dry run status" "$rc" 0
expect_match "dry run plans four creates" "$(echo $out)" 'create db .* create cache .* create log .* create rest raw \(rest\)'
expect_match "dry run lists the writes" "$out" 'label index [01] \(commit: every new namespace\)'
expect_eq "dry run writes nothing" "$(sum a.img)" "$before"

# --dry-run --json: the plan as values (python3 parses it), nothing written
js() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/.out" "$1"; }
run_vpmem apply "$data/example-nofs.json" --image a.img --dry-run --json
expect_eq "apply --dry-run --json: status" "$rc" 0
expect_eq "apply --dry-run --json: parses, dry_run" "$(js 'j["dry_run"]')" True
expect_eq "apply --dry-run --json: the steps" "$(js '" ".join(s["step"] + ":" + s["name"] for s in j["plan"])')" \
	"create:db create:cache create:log create:rest"
expect_eq "apply --dry-run --json: layout entries as values" "$(js 'j["plan"][2]["layout"]["sector_size"]')" 4096
expect_eq "apply --dry-run --json: region" "$(js 'j["region"]["size"], j["region"]["labelled"], j["region"]["label_version"]')" \
	"(536739840, True, '1.1')"
nw_text=$("$VPMEM" apply "$data/example-nofs.json" --image a.img --dry-run | sed -n "s/^plan for .*: \([0-9]*\) write(s)$/\1/p")
expect_eq "apply --dry-run --json: the same writes as the text plan" "$(js 'len(j["writes"])')" "$nw_text"
expect_match "apply --dry-run --json: the commit last, with its barrier" "$(js 'j["writes"][-1]["what"], j["writes"][-1]["fsync"]')" \
	"^\('label index [01] \(commit: every new namespace\)', True\)$"
expect_eq "apply --dry-run --json: counts" "$(js 'j["blocked"], j["changes"], j["nothing_to_do"]')" "(0, 4, False)"
expect_eq "apply --dry-run --json writes nothing" "$(sum a.img)" "$before"
run_vpmem --json apply "$data/example-nofs.json" --image a.img --dry-run
expect_eq "vpmem --json apply --dry-run: JSON too" "$(js 'j["dry_run"], len(j["plan"])')" "(True, 4)"
# image create --dry-run --json: the label writes, and the layout's plan made
# in memory (no file), with no barriers of their own (the file has no name
# until it is complete: one fsync before the link)
run_vpmem image create dry.img --size 512M --layout "$data/example-nofs.json" --dry-run --json
expect_eq "image create --dry-run --json: status" "$rc" 0
check "image create --dry-run --json: no file" test ! -e dry.img
check "image create --dry-run --json: no temporary" test "$(ls -A | grep -c '\.vpmem-')" -eq 0
expect_eq "image create --dry-run --json: the image" \
	"$(js 'j["file"], j["dry_run"], j["size"], j["label_size"], j["region_size"], j["label_version"], j["slot"]')" \
	"('dry.img', True, 536870912, 131072, 536739840, '1.1', 0)"
expect_eq "image create --dry-run --json: two index writes" "$(js 'len(j["writes"])')" 2
expect_eq "image create --dry-run --json: the layout planned" "$(js '" ".join(s["step"] + ":" + s["name"] for s in j["layout"]["plan"])')" \
	"create:db create:cache create:log create:rest"
expect_eq "image create --dry-run --json: the layout's writes" "$(js 'len(j["layout"]["writes"])')" "$nw_text"
expect_eq "image create --dry-run --json: no barrier before the link" \
	"$(js 'sum(w["fsync"] for w in j["writes"] + j["layout"]["writes"])')" 0
run_vpmem image create dry.img --size 512M --dry-run --json
expect_eq "image create --dry-run --json without a layout" "$(js '"layout" in j, len(j["writes"])')" "(False, 2)"
run_vpmem image create dry.img --size 512M --layout "$data/example-nofs.json" --dry-run
expect_match "image create --dry-run (text) plans the layout too" "$(echo $out)" \
	"then apply the layout .*create db .*create rest raw \(rest\) plan for 'dry.img': $nw_text write"
check "image create --dry-run: no file" test ! -e dry.img

# apply: every namespace as named; "rest" takes the rest (496M - 208M)
run_vpmem apply "$data/example-nofs.json" --image a.img
expect_eq "apply status" "$rc" 0
expect_eq "namespaces as named" "$(names a.img)" "db:fsdax:100663296 cache:devdax:67108864 log:sector:50331648 rest:raw:301989888"
run_vpmem list --json a.img
expect_match "sector size 4096" "$out" '"sector_size":4096'
after=$(sum a.img)
touch -d '2001-01-01' a.img
run_vpmem apply "$data/example-nofs.json" --image a.img
expect_eq "second apply status" "$rc" 0
expect_match "second apply: nothing to do" "$out" '^nothing to do$'
expect_eq "second apply: byte-for-byte unchanged" "$(sum a.img)" "$after"
expect_eq "second apply: not even the mtime" "$(stat -c %Y a.img)" "$(date -d 2001-01-01 +%s)"
run_vpmem apply "$data/example-nofs.json" --image a.img --dry-run --json
expect_eq "applied, --dry-run --json: nothing to do" "$(js 'j["nothing_to_do"], j["changes"], len(j["writes"])')" "(True, 0, 0)"
expect_eq "applied, --dry-run --json: kept, with the namespace in ndctl's shape" \
	"$(js '" ".join("%s:%s:%s" % (s["step"], s["namespace"]["name"], s["namespace"]["mode"]) for s in j["plan"])')" \
	"keep:db:fsdax keep:cache:devdax keep:log:sector keep:rest:raw"
expect_eq "applied, --json: still unchanged" "$(sum a.img)" "$after"

# round trip: apply(layout(x)) is a no-op
run_vpmem layout --image a.img
expect_eq "layout status" "$rc" 0
printf '%s\n' "$out" >rt.json
expect_match "layout has explicit sizes" "$(tr -d ' \n' <rt.json)" '"name":"rest","mode":"raw","size":"288M"'
run_vpmem apply rt.json --image a.img
expect_match "apply(layout(x)): nothing to do" "$out" '^nothing to do$'
expect_eq "apply(layout(x)): unchanged" "$(sum a.img)" "$after"

# a changed layout: one dropped (kept without --force, destroyed with), one added
u0=$(uuids a.img)
cat >changed.json <<'J'
{"namespaces": [
  {"name": "db",    "mode": "fsdax",  "size": "96M", "map": "dev"},
  {"name": "cache", "mode": "devdax", "size": "64M", "align": "2M"},
  {"name": "rest",  "mode": "raw"},
  {"name": "new",   "mode": "devdax", "size": "32M"}
]}
J
run_vpmem apply changed.json --image a.img
expect_eq "changed, full region, no --force: fails" "$rc" 1
expect_match "the dropped one is kept" "$out" 'extra +log .*kept \(--force destroys it\)'
expect_match "no room for the new one" "$err" 'new: no free extent of 32M'
expect_eq "changed without --force: unchanged" "$(sum a.img)" "$after"
run_vpmem apply changed.json --image a.img --force
expect_eq "changed --force status" "$rc" 0
expect_match "log destroyed" "$out" 'destroy +log'
expect_eq "changed: namespaces" "$(names a.img)" "db:fsdax:100663296 cache:devdax:67108864 new:devdax:33554432 rest:raw:301989888"
u1=$(uuids a.img)
for n in db cache rest; do
	expect_eq "changed layout keeps $n's uuid" "$(echo "$u1" | tr ' ' '\n' | grep "^$n=")" "$(echo "$u0" | tr ' ' '\n' | grep "^$n=")"
done
s1=$(sum a.img)
run_vpmem apply changed.json --image a.img --force
expect_match "changed twice: nothing to do" "$out" '^nothing to do$'
expect_eq "changed twice: unchanged" "$(sum a.img)" "$s1"

# a namespace that differs: blocked, then re-made with --force (only it)
sed 's/"new",   "mode": "devdax", "size": "32M"/"new", "mode": "devdax", "size": "32M", "align": "4K"/' changed.json >differs.json
run_vpmem apply differs.json --image a.img --dry-run --json
expect_eq "differs, --json: status" "$rc" 1
expect_eq "differs, --json: the plan says why" "$(js 'j["blocked"], [s["reason"] for s in j["plan"] if s["step"] == "blocked"][0]')" \
	"(1, 'is devdax 32M map dev align 2M, the layout says devdax 32M map dev align 4K; left alone (--force re-makes it; its data goes)')"
expect_eq "differs, --json: one error line" "$(printf '%s\n' "$err" | wc -l)" 1
run_vpmem apply differs.json --image a.img
expect_eq "differs: blocked" "$rc" 1
expect_match "differs: the reason" "$out" 'blocked +new .*is devdax 32M map dev align 2M, the layout says devdax 32M map dev align 4K'
expect_eq "differs: unchanged" "$(sum a.img)" "$s1"
cp --sparse=always a.img j.img
run_vpmem apply differs.json --image j.img --force --json
expect_eq "differs --force --json" "$rc" 0
expect_eq "--json apply: done, not a dry run" "$(js 'j["dry_run"], [s["step"] for s in j["plan"] if s["name"] == "new"][0]')" "(False, 're-make')"
expect_eq "--json apply: the namespaces after" "$(js '" ".join(n["name"] for n in j["namespaces"])')" "db cache new rest"
expect_match "--json apply: the writes done" "$(js 'len(j["writes"])')" '^[1-9][0-9]*$'
run_vpmem apply differs.json --image a.img --force
expect_eq "differs --force" "$rc" 0
expect_match "differs: re-made" "$out" 're-make +new'
u2=$(uuids a.img)
expect_eq "re-make keeps the others' uuids" "$(echo "$u2" | tr ' ' '\n' | grep -v '^new=')" "$(echo "$u1" | tr ' ' '\n' | grep -v '^new=')"
expect_nomatch "re-made one is new" "$u2" "$(echo "$u1" | tr ' ' '\n' | grep '^new=')"

# ambiguous identities are never touched, not even with --force
"$VPMEM" image create amb.img --size 256M >/dev/null
"$VPMEM" namespace create amb.img --mode raw --size 16M --name dup >/dev/null
"$VPMEM" namespace create amb.img --mode raw --size 16M --name dup >/dev/null
"$VPMEM" namespace create amb.img --mode raw --size 16M >/dev/null
sa=$(sum amb.img)
printf '{"namespaces":[{"name":"dup","mode":"raw","size":"16M"}]}' >dup.json
run_vpmem apply dup.json --image amb.img --force
expect_eq "naming an ambiguous name: blocked" "$rc" 1
expect_match "ambiguous: the reason" "$out" "2 namespaces are named 'dup': identity ambiguous, none is touched"
expect_eq "ambiguous: unchanged" "$(sum amb.img)" "$sa"
printf '{"namespaces":[{"name":"x","mode":"raw","size":"16M"}]}' >x.json
run_vpmem apply x.json --image amb.img --force
expect_eq "not naming them, --force: applies" "$rc" 0
expect_eq "ambiguous and unnamed ones untouched" "$(echo $out | grep -o 'untouched' | wc -l)" 3
expect_eq "all four there" "$(names amb.img)" "dup:raw:16777216 dup:raw:16777216 -:raw:16777216 x:raw:16777216"

# label-less images: one namespace, mode (and filesystem) only
"$VPMEM" image create ll.img --size 128M --no-labels >/dev/null
sl=$(sum ll.img)
run_vpmem apply "$data/example-nofs.json" --image ll.img
expect_match "label-less: four refused with the reason" "$err" 'a label-less region holds exactly one namespace, spanning it; the layout asks for 4'
printf '{"namespaces":[{"name":"a","mode":"fsdax"}]}' >ll-named.json
run_vpmem apply ll-named.json --image ll.img
expect_match "label-less: names refused" "$err" 'cannot store a namespace name'
expect_eq "label-less refusals: unchanged" "$(sum ll.img)" "$sl"
printf '{"namespaces":[{"mode":"devdax","align":"4K"}]}' >ll.json
run_vpmem apply ll.json --image ll.img
expect_eq "label-less apply" "$rc" 0
run_vpmem list --json ll.img
expect_match "label-less: devdax" "$out" '"mode":"devdax"'
sl=$(sum ll.img)
run_vpmem apply ll.json --image ll.img
expect_match "label-less twice: nothing to do" "$out" '^nothing to do$'
expect_eq "label-less twice: unchanged" "$(sum ll.img)" "$sl"
"$VPMEM" layout --image ll.img >ll-rt.json
run_vpmem apply ll-rt.json --image ll.img
expect_match "label-less round trip" "$out" '^nothing to do$'
printf '{"namespaces":[{"mode":"sector"}]}' >ll2.json
run_vpmem apply ll2.json --image ll.img
expect_eq "label-less other mode: blocked" "$rc" 1
run_vpmem apply ll2.json --image ll.img --force
expect_eq "label-less other mode --force" "$rc" 0
run_vpmem list --json ll.img
expect_match "label-less: now sector" "$out" '"mode":"sector"'

# filesystems: the real mkfs.ext4, checked with the real e2fsck
"$VPMEM" image create f.img --size 512M --layout "$data/example.json" >/dev/null
expect_eq "image create --layout" "$?" 0
off=$("$VPMEM" list --json -v f.img | python3 -c 'import json,sys; j=json.load(sys.stdin)
n=[n for n in j["regions"][0]["namespaces"] if n.get("name")=="db"][0]; print((n["dpa"]+n["dataoff"])//1048576, n["size"]//1048576)')
dd if=f.img of=db.ext4 bs=1M skip=${off% *} count=${off#* } status=none
check "e2fsck -fn on the ext4 made offline" e2fsck -fn db.ext4
expect_match "4K blocks (DAX)" "$(dumpe2fs -h db.ext4 2>/dev/null | grep '^Block size')" '4096$'
# the data path reads back what the layout wrote through it: byte 0 of /dev/pmemN
"$VPMEM" namespace export f.img --name db --to db-export.ext4 >/dev/null
check "the filesystem is what namespace export reads" cmp -s db-export.ext4 db.ext4
run_vpmem layout --image f.img
expect_match "layout reports the filesystem" "$(echo $out | tr -d ' ')" '"name":"db","mode":"fsdax","size":"96M","map":"dev","align":"2M","filesystem":"ext4"'
sf=$(sum f.img)
run_vpmem apply "$data/example.json" --image f.img
expect_match "with ext4, twice: nothing to do" "$out" '^nothing to do$'
expect_eq "with ext4, twice: unchanged" "$(sum f.img)" "$sf"
# the filesystem missing on a kept namespace: reported, --force makes it
"$VPMEM" image create g.img --size 512M --layout "$data/example-nofs.json" >/dev/null
sg=$(sum g.img)
run_vpmem apply "$data/example.json" --image g.img
expect_eq "filesystem missing: blocked" "$rc" 1
expect_match "filesystem missing: the reason" "$out" 'holds no filesystem, the layout says ext4; left alone \(--force makes it'
expect_eq "filesystem missing: unchanged" "$(sum g.img)" "$sg"
run_vpmem apply "$data/example.json" --image g.img --force
expect_match "--force makes it" "$out" 'mkfs +db'
run_vpmem layout --image g.img
expect_match "now ext4" "$out" '"filesystem":"ext4"'
# the wrong filesystem (xfs on a 320M label-less fsdax namespace)
"$VPMEM" image create x.img --size 384M --no-labels >/dev/null
printf '{"namespaces":[{"mode":"fsdax","filesystem":"xfs"}]}' >xfs.json
printf '{"namespaces":[{"mode":"fsdax","filesystem":"ext4"}]}' >ext4.json
run_vpmem apply xfs.json --image x.img
expect_eq "xfs made" "$rc" 0
run_vpmem layout --image x.img
expect_match "layout says xfs" "$out" '"filesystem":"xfs"'
run_vpmem apply ext4.json --image x.img
expect_match "another filesystem: blocked" "$out" 'holds xfs, the layout says ext4'
run_vpmem apply ext4.json --image x.img --force
expect_eq "another filesystem --force" "$rc" 0
run_vpmem layout --image x.img
expect_match "now ext4 there" "$out" '"filesystem":"ext4"'
# too small for xfs: mkfs's own reason, nothing written
"$VPMEM" image create s.img --size 64M --no-labels >/dev/null
ss=$(sum s.img)
run_vpmem apply xfs.json --image s.img
expect_match "mkfs.xfs refusal reported" "$err" 'mkfs.xfs failed'
expect_eq "mkfs failure: one line" "$(printf '%s\n' "$err" | wc -l)" 1
expect_eq "mkfs failure: unchanged" "$(sum s.img)" "$ss"

# image create --layout that does not fit: no file, no temporary left
run_vpmem image create h.img --size 128M --layout "$data/example.json"
expect_eq "layout too big for the image" "$rc" 1
check "no image made" test ! -e h.img
check "no temporary left" test "$(ls -A | grep -c '\.vpmem-')" -eq 0

# image create --layout writes into a file that has no name yet: no barrier
# until the one fsync before link(), and a crash after any write leaves no
# image at all (only the temporary, never the name)
nwc=$(run_vpmem image create cut0.img --size 512M --layout "$data/example.json" --dry-run --json; js 'len(j["layout"]["writes"])')
check "image create --layout: its plan has writes" test "${nwc:-0}" -gt 10
for i in 1 $((nwc / 2)) $((nwc - 1)); do
	VPMEM_TEST_CRASH_AFTER_WRITES=$i "$VPMEM" image create cutc.img --size 512M --layout "$data/example.json" >/dev/null 2>&1
	expect_eq "image create --layout cut after write $i" "$?" 99
	check "image create --layout cut after write $i: no image" test ! -e cutc.img
	rm -f .cutc.img.vpmem-*
done
if command -v strace >/dev/null; then
	strace -f -qq -e trace=fsync,fdatasync -o sync.trace "$VPMEM" image create synced.img --size 512M \
		--layout "$data/example-nofs.json" >/dev/null
	expect_eq "image create --layout: two syncs (the file, then its directory)" \
		"$(grep -cE 'fsync|fdatasync' sync.trace)" 2
	"$VPMEM" image create synced2.img --size 512M >/dev/null
	strace -f -qq -e trace=fsync,fdatasync -o sync2.trace "$VPMEM" apply "$data/example-nofs.json" --image synced2.img >/dev/null
	expect_eq "apply on a named image: its barriers (data, commit)" "$(grep -cE 'fsync|fdatasync' sync2.trace)" 2
	check "image create --layout: the same image as image create + apply" cmp -s \
		"$("$VPMEM" layout --image synced.img | tr -d ' \n' >l1.txt; echo l1.txt)" \
		"$("$VPMEM" layout --image synced2.img | tr -d ' \n' >l2.txt; echo l2.txt)"
fi

# a crash after every write leaves the old state or a step further; apply resumes
"$VPMEM" image create base.img --size 512M >/dev/null
"$VPMEM" apply "$data/example.json" --image base.img --dry-run >plan.txt
nw=$(sed -n "s/^plan for .*: \([0-9]*\) write(s)$/\1/p" plan.txt)
check "the plan has writes" test "${nw:-0}" -gt 10
i=1
while [ "$i" -lt "$nw" ]; do
	cp --sparse=always base.img cut.img
	VPMEM_TEST_CRASH_AFTER_WRITES=$i "$VPMEM" apply "$data/example.json" --image cut.img >/dev/null 2>"$T/cut.err"
	crc=$?
	expect_eq "cut after write $i" "$crc" 99
	[ "$crc" = 99 ] || cat "$T/cut.err" >&2
	run_vpmem list --json cut.img
	expect_nomatch "cut after write $i: decodes cleanly" "$out" '"problems"'
	run_vpmem apply "$data/example.json" --image cut.img
	expect_eq "cut after write $i: apply resumes" "$rc" 0
	[ "$rc" = 0 ] || echo "$err" >&2
	expect_eq "cut after write $i: the layout reached" "$(names cut.img)" "db:fsdax:100663296 cache:devdax:67108864 log:sector:50331648 rest:raw:301989888"
	i=$((i + 1))
done
run_vpmem layout --image cut.img
expect_match "after the cuts: ext4 there" "$out" '"filesystem":"ext4"'


# Nova: pmem_namespaces for the named devdax namespaces
run_vpmem layout "$data/example.json" --nova
expect_eq "nova status" "$rc" 0
expect_match "nova line" "$out" '^pmem_namespaces = 64MB:cache$'
expect_match "flavor example" "$out" '^openstack flavor set --property hw:pmem=64MB FLAVOR$'
expect_match "non-devdax left out with the reason" "$err" "'db' is fsdax: Nova uses devdax namespaces only"
cat >nova.json <<'J'
{"nova_label": "LARGE", "namespaces": [
  {"name": "ns0", "mode": "devdax", "size": "6G", "map": "mem"},
  {"name": "ns1", "mode": "devdax", "size": "6G", "map": "mem"},
  {"name": "ns3", "mode": "devdax", "size": "30G", "map": "mem"}]}
J
run_vpmem layout nova.json --nova
expect_match "one label" "$out" '^pmem_namespaces = LARGE:ns0\|ns1\|ns3$'
expect_match "unequal sizes warn" "$err" 'label LARGE holds namespaces of different sizes \(6G and 30G\)'
sed 's/"nova_label": "LARGE", //' nova.json >nova2.json
run_vpmem layout nova2.json --nova
expect_match "labels from sizes" "$out" '^pmem_namespaces = 6GB:ns0\|ns1,30GB:ns3$'
expect_match "flavor with both labels" "$out" 'hw:pmem=6GB,30GB FLAVOR$'
expect_eq "equal sizes: no warning" "$err" ""
for bad in '{"name":"a|b","mode":"devdax","size":"16M"}' '{"name":"a,b","mode":"devdax","size":"16M"}' \
	'{"name":"a:b","mode":"devdax","size":"16M"}' '{"mode":"devdax","size":"16M"}' '{"name":"a","mode":"fsdax","size":"16M"}'; do
	printf '{"namespaces":[%s]}' "$bad" >nb.json
	run_vpmem layout nb.json --nova
	expect_eq "nova refuses $bad" "$rc" 1
	expect_eq "nova refuses $bad: one line" "$(printf '%s\n' "$err" | grep -c error)" 1
done
run_vpmem layout --image a.img --nova
expect_match "nova from an image" "$out" '^pmem_namespaces = 64MB:cache,32MB:new$'
run_vpmem layout x.json
expect_eq "LAYOUT without --nova: usage" "$rc" 2

# --live on a machine without NVDIMMs (this host, unless ndctl sees regions): one line
if [ -z "$(ndctl list -R 2>/dev/null)" ]; then
	run_vpmem apply "$data/example-nofs.json" --live
	expect_eq "live without regions: one line" "$err" "vpmem: error: apply: this machine has no pmem region (ndctl list -R shows none)"
	run_vpmem layout --live
	expect_eq "layout --live without regions" "$rc" 1
fi
run_vpmem apply "$data/example-nofs.json" --live --slot 1
expect_eq "--slot with --live: usage" "$rc" 2

# libndctl/libdaxctl are loaded on first use (lib/host/ndctl.h), not linked:
# neither they nor libkmod (behind libndctl) are NEEDED by vpmem or
# libvpmem, an offline command never loads them, a live one does
# (vpmem links libvpmem's objects statically, src/meson.build: the shared
# libvpmem, for C programs, is the one beside it in the build tree)
lib=$(dirname "$VPMEM")/../lib/libvpmem.so
needed=$(readelf -d "$VPMEM" "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
expect_nomatch "vpmem does not load libvpmem.so" "$(ldd "$VPMEM")" 'libvpmem'
expect_match "NEEDED entries read" "$needed" 'libjson-c'
expect_nomatch "libndctl/libdaxctl/libkmod not NEEDED" "$needed" 'libndctl|libdaxctl|libkmod'
expect_nomatch "ldd: no libndctl/libdaxctl/libkmod" "$(ldd "$VPMEM")" 'libndctl|libdaxctl|libkmod'
loaded=$(LD_DEBUG=files "$VPMEM" list a.img 2>&1 >/dev/null | grep -o 'file=[^ ]*' | sort -u | tr '\n' ' ')
expect_nomatch "vpmem list loads no libndctl/libkmod" "$loaded" 'libndctl|libdaxctl|libkmod'
# the same for libmount (lib/host/mount.c) and the codec libraries
# (lib/util/unpack.c): neither NEEDED nor loaded by an offline command
expect_nomatch "libmount and codecs not NEEDED" "$needed" 'libmount|libz\.|liblzma|libzstd|liblz4'
expect_nomatch "vpmem list loads no libmount, no codec" "$loaded" 'libmount|libblkid|libselinux|libz\.|liblzma|libzstd|liblz4'
loaded=$(LD_DEBUG=files "$VPMEM" image create lazy.img --size 512M --layout "$data/example-nofs.json" 2>&1 >/dev/null |
	grep -o 'file=[^ ]*' | sort -u | tr '\n' ' ')
expect_nomatch "image create --layout loads only what it uses" "$loaded" 'libmount|libz\.|liblzma|libzstd|liblz4|libndctl|libxml'
loaded=$(LD_DEBUG=files "$VPMEM" doctor a.img 2>&1 >/dev/null | grep -o 'file=[^ ]*' | sort -u | tr '\n' ' ')
expect_match "doctor loads libmount when it reads mountinfo" "$loaded" 'libmount\.so\.1'
loaded=$(LD_DEBUG=files "$VPMEM" layout --live 2>&1 >/dev/null | grep -o 'file=[^ ]*' | sort -u | tr '\n' ' ')
expect_match "layout --live loads libndctl" "$loaded" 'libndctl\.so\.6'
expect_match "layout --live loads libdaxctl" "$loaded" 'libdaxctl\.so\.1'
# libndctl missing (an empty file bound over it in a private mount
# namespace; root only): one line naming the package, status 1
so=$(readlink -f /usr/lib/x86_64-linux-gnu/libndctl.so.6 2>/dev/null)
if [ "$(id -u)" = 0 ] && [ -f "$so" ] && unshare -m true 2>/dev/null; then
	: >empty.so
	err=$(unshare -m sh -c 'mount --bind "$1" "$2" && exec "$3" layout --live' sh "$T/empty.so" "$so" "$VPMEM" 2>&1 >/dev/null)
	rc=$?
	expect_eq "libndctl missing: one line" "$err" "vpmem: error: layout: libndctl.so.6 is not installed (apt-get install libndctl6)"
	expect_eq "libndctl missing: status" "$rc" 1
fi

done_testing
