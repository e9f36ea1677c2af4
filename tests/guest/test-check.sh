#!/bin/sh
# vpmem check against the guest kernel: every image of the check damage
# suite (tests/cli/test-check.sh keeps them with CHECK_SAVE: the pristine
# images, each damaged one, each repaired one), each moved to a slot of its
# own (tests/data/check/reslot.py), all attached as DIMMs in one boot. The
# guest records what the kernel makes of each (ndctl list -RDNi), the first
# 256 KiB of every namespace, the whole of every namespace of the pristine
# and repaired images, `ndctl check-namespace` of every BTT; the
# verdict table (tests/data/check/verdicts.py) is the expected output
# tests/data/check/guest-verdicts-KERNEL.txt (VPMEM_REGEN=1 rewrites it).
# Judged: vpmem check says the same on the moved images as in the CLI
# suite; pristine and repaired images look to the kernel exactly as the
# pristine ones do, pass check-namespace and read the same data (every
# namespace of a repaired image, whole, as its pristine one); wherever
# the kernel or ndctl notices a problem, vpmem check has said so.
. "$(dirname "$0")/lib-guest.sh"
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data/check
kernel=${VPMEM_GUEST_KERNEL:-6.1}
cd "$T" || exit 1
mkdir imgs
PY=$(python3 -c 'import sys; print(sys.executable)')
CHECK_SAVE=$T/imgs sh "$here/../cli/test-check.sh" >cli.log 2>&1 || { tail -n 20 cli.log >&2; fail "the CLI damage suite"; }
expect_match "the damage suite kept its images" "$(wc -l <imgs/list)" '^ *[0-9]{2}$'

cookie() { # VERSION SLOT: the interleave-set cookie of a one-DIMM region in QEMU slot SLOT
	[ -f "ck-$1-$2" ] || {
		"$VPMEM" image create "ck.img" --size 64M --label-version "$1" --slot "$2" >/dev/null
		"$VPMEM" list --json ck.img | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["regions"][0]["iset_id"])' >"ck-$1-$2"
		rm -f ck.img
	}
	cat "ck-$1-$2"
}
slot=0 args= btt=
while read -r name base expected desc; do
	f=imgs/$name.img
	case $base in m12) v=1.2 lsz=256 ;; m11) v=1.1 lsz=128 ;; *) v= ;; esac
	if [ -n "$v" ] && [ "$slot" -gt 0 ]; then
		"$PY" "$data/reslot.py" "$f" $(($(stat -c %s "$f") - 131072)) "$lsz" "$(cookie "$v" 0)" "$(cookie "$v" "$slot")" >/dev/null
	fi
	host=$("$VPMEM" check "$f" 2>&1 | sed -n "1s|^$f: ||p")
	echo "$name $slot $base $expected ${host:-error} $desc" >>table
	args="$args --pmem-image $T/$f,slot=$slot"
	slot=$((slot + 1))
done <imgs/list
# ndctl check-namespace runs on the 4K-sector BTT of the pristine images and
# of every image whose damage is in a BTT (and its repaired copy), by its
# uuid, whatever the kernel made of it, and on the label-less BTT images'
# namespace; by the DIMM id of the slot (QEMU's NFIT serial
# 0x123456 + slot, as ndctl prints it)
for b in m12 m11; do
	btt="$btt $("$VPMEM" list --json "imgs/$b.img" | "$PY" -c 'import json,sys
print(" ".join(n["uuid"] for n in json.load(sys.stdin)["regions"][0]["namespaces"]
               if n["mode"] == "sector" and n["sector_size"] == 4096))')"
done
ids=$(awk '$1 ~ /^(m12|m11|ll-sector)$/ || / BTT / || $3 == "ll-sector" { print $2 }' table |
	while read -r s; do printf '8680-%02x341200 ' $((0x56 + s)); done)
llids=$(awk '$3 == "ll-sector" { print $2 }' table | while read -r s; do printf '8680-%02x341200 ' $((0x56 + s)); done)
# the whole of every namespace of the pristine and repaired images is
# checksummed too (the first 256 KiB above is for every image; --repair must
# keep all the data, not only the start)
fullids=$(awk '$4 == "ok" && $1 == $3 || $4 == "repaired" { print $2 }' table |
	while read -r s; do printf '8680-%02x341200 ' $((0x56 + s)); done)
while read -r name slot base expected host desc; do
	want=$expected
	[ "$expected" = repaired ] && want=ok
	expect_eq "$name ($desc): vpmem check on the moved image" "$host" "$want"
done <table

# shellcheck disable=SC2086
GUEST_TIMEOUT=1500
guest_run --qemu-memory 1G --hotplug-slots 0 $args "
ndctl list -RDNi >/tmp/j
echo '=== JSON'; cat /tmp/j; echo '=== DATA'
awk -F'\"' '/\"dev\":\"nmem/ {dm = \$4} /\"id\":\"/ && dm != \"\" {id[dm] = \$4}
	/\"dev\":\"region/ {dm = \"\"; r = substr(\$4, 7)} /\"dimm\":\"nmem/ {rd[r] = \$4}
	/\"dev\":\"namespace/ {c = \$4; split(substr(c, 10), p, \".\"); nr[c] = p[1]}
	/\"mode\":/ {m[c] = \$4} /\"blockdev\":/ {b[c] = \$4}
	/\"uuid\":|\"raw_uuid\":/ {u[c] = u[c] \" \" \$4}
	END {for (k in m) print k, m[k], (k in b) ? b[k] : \"-\", id[rd[nr[k]]], u[k]}' /tmp/j >/tmp/ns
while read -r ns mode blk id uuids; do
	[ \"\$blk\" = - ] || echo \"\$ns \$(dd if=/dev/\$blk bs=64K count=4 2>/dev/null | sha256sum | cut -d' ' -f1)\"
done </tmp/ns
echo '=== FULL'
while read -r ns mode blk id uuids; do
	[ \"\$blk\" = - ] && continue
	case ' $fullids ' in *\" \$id \"*) ;; *) continue ;; esac
	echo \"FULL \$id \$(md5sum </dev/\$blk | cut -d' ' -f1) \$(blockdev --getsize64 /dev/\$blk) \${uuids:--}\"
done </tmp/ns
echo '=== CHECK'
while read -r ns mode blk id uuids; do
	case ' $ids ' in *\" \$id \"*) ;; *) continue ;; esac
	hit=
	case ' $llids ' in *\" \$id \"*) hit=y ;; esac
	for u in \$uuids; do case ' $btt ' in *\" \$u \"*) hit=y ;; esac; done
	[ -n \"\$hit\" ] || continue
	ndctl disable-namespace \$ns >/dev/null 2>&1
	ndctl check-namespace \$ns >/tmp/c 2>&1
	echo \"CHECK \$ns rc=\$? \$(head -c 200 /tmp/c | tr '\n' ' ')\"
done </tmp/ns
echo '=== DMESG'
dmesg | grep -E 'nd_|btt|pfn|pmem|nvdimm|namespace|dax' | sed 's/^\[[ 0-9.]*\] //' | sort | uniq -c | sort -rn | head -n 80"
expect_eq "guest status" "$grc" 0
printf '%s\n' "$gout" | sed -n '/^=== JSON/,/^=== DATA/p' | sed '1d;$d' >guest.json
printf '%s\n' "$gout" | sed -n '/^=== DATA/,/^=== FULL/p' | sed '1d;$d' >sums
printf '%s\n' "$gout" | sed -n '/^=== FULL/,/^=== CHECK/p' | sed '1d;$d' >full
printf '%s\n' "$gout" | sed -n '/^=== CHECK/,/^=== DMESG/p' | sed '1d;$d' >checks
printf '%s\n' "$gout" | sed -n '/^=== DMESG/,$p' | sed 1d >dmesg
"$PY" "$data/verdicts.py" table guest.json sums checks >verdicts
cat verdicts >&2
cat dmesg >&2
expect_eq "a verdict for every image" "$(wc -l <verdicts)" "$(wc -l <table)"
expect_match "check-namespace ran" "$(cat checks)" "CHECK namespace"
expect_match "the guest reached the end" "$gout" "=== DMESG"
while read -r name host kern nd dat _; do
	desc=$(grep "^$name " table | cut -d' ' -f6-)
	case $(grep "^$name " table | cut -d' ' -f4) in
	ok)
		expect_match "$name ($desc): ndctl check-namespace passes" "$nd" "^ndctl=(ok|-)\$" ;;
	repaired)
		# the kernel sees at least what it saw before the repair (a repair
		# never costs a namespace), ndctl passes, the data reads the same
		before=$(awk -v n="${name%r}" '$1 == n { print $3 }' verdicts)
		for c in $(printf '%s\n' "${kern#kernel=}" | tr ';' ' '); do
			[ "$c" = same ] && continue
			expect_match "$name ($desc): '$c' was there before the repair" "$before" "(=|;)$c(;|\$)"
		done
		expect_match "$name ($desc): ndctl check-namespace passes" "$nd" "^ndctl=(ok|-)\$"
		expect_eq "$name ($desc): the data reads the same" "$dat" "data=same" ;;
	*)
		# wherever the kernel or ndctl notices, vpmem check has said so
		if [ "$kern" != kernel=same ] || [ "${nd#ndctl=FAIL}" != "$nd" ] || [ "${dat#data=differs}" != "$dat" ]; then
			expect_match "$name ($desc): the kernel noticed, so did vpmem check" "$host" "^host=(repairable|damaged)\$"
		fi ;;
	esac
done <verdicts
# --repair kept all the data: every namespace the guest sees on a repaired
# image reads, from its first byte to its last, as the same namespace
# (uuid) of the pristine image does (md5sum of the block device)
"$PY" - table full >fullcmp <<'PY'
import sys
table = [l.split(None, 5) for l in open(sys.argv[1]) if l.strip()]
slot_of = {t[0]: int(t[1]) for t in table}
full = {}
for l in open(sys.argv[2]):
    f = l.split(None, 4)
    if len(f) == 5 and f[0] == "FULL":
        full.setdefault(int(f[1][5:7], 16) - 0x56, {})[f[4].strip()] = (f[2], f[3])
for name, slot, base, exp, _host, desc in table:
    if exp != "repaired":
        continue
    mine, pristine = full.get(int(slot), {}), full.get(slot_of[base], {})
    diff = [k for k in mine if pristine.get(k) != mine[k]]
    print(name, "full=%s" % (("differs(%s)" % ",".join(diff)) if diff else "same"),
          len(mine), sum(int(s) for _, s in mine.values()))
PY
cat fullcmp >&2
expect_eq "every repaired image compared whole" "$(wc -l <fullcmp)" "$(awk '$4 == "repaired"' table | wc -l)"
while read -r name res n bytes; do
	desc=$(grep "^$name " table | cut -d' ' -f6-)
	expect_eq "$name ($desc): every namespace's data the same, whole ($n namespaces, $bytes bytes)" "$res" full=same
	expect_match "$name ($desc): namespaces compared whole" "$n" '^[1-9]'
done <fullcmp
# the repairs the kernel itself needed: it refused the BTT before, uses it after
expect_match "BTT info restored: the kernel refused the BTT" "$(grep '^d[0-9]* .*# BTT info zeroed' verdicts)" "kernel=ns3:-"
expect_match "BTT info restored: the kernel uses it after --repair" "$(grep '^d[0-9]*r .*# BTT info from backup' verdicts)" "kernel=same ndctl=ok"
if [ "${VPMEM_REGEN:-0}" = 1 ]; then
	cp verdicts "$data/guest-verdicts-$kernel.txt"
else
	expect_eq "the kernel's verdicts are the recorded ones" "$(cat verdicts)" "$(cat "$data/guest-verdicts-$kernel.txt" 2>&1)"
fi
done_testing
