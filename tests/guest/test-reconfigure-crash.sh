#!/bin/sh
# A reconfigure (raw -> fsdax, an ext4 in it) cut after every single write
# (tests/data/reconfigure/mkcuts.sh), judged by the guest kernel: all cut
# images attached as DIMMs in one boot; in each the kernel shows the old raw
# namespace or the new fsdax one with the file system's bytes intact, or no
# namespace at all (the label is freed while the data moves: no block
# device, nothing to mount). Then the host runs the command again on every
# cut and a second boot finds each one fsdax with the bytes intact.
# 21 DIMMs under TCG on a loaded host: a boot may take more than 5 minutes
GUEST_TIMEOUT=${GUEST_TIMEOUT:-600}
. "$(dirname "$0")/lib-guest.sh"
data=$(cd "$(dirname "$0")/../data/reconfigure" && pwd)
cd "$T" || exit 1
total=$(sh "$data/mkcuts.sh" cuts)
fsz=$(stat -c %s cuts/fs.ext4)
want=$(sha256sum cuts/fs.ext4 | cut -d' ' -f1)
# the guest boots copies of the cut images without their side files (run
# refuses an image whose conversion is pending: that is the point of them)
mkdir boot
args=
for n in $(seq 0 "$total"); do
	cp --sparse=always "cuts/cut$n.img" "boot/cut$n.img"
	args="$args --pmem-image $T/boot/cut$n.img"
done
# shellcheck disable=SC2016
script='
ndctl list -RDN >/tmp/j
echo "=== JSON"; cat /tmp/j; echo "=== SUMS"
for ns in $(awk -F\" "/\"dev\":\"namespace/ {print \$4}" /tmp/j); do
	ndctl list -n $ns >/tmp/n
	blk=$(awk -F\" "/\"blockdev\"/ {print \$4}" /tmp/n)
	mode=$(awk -F\" "/\"mode\"/ {print \$4}" /tmp/n)
	[ -n "$blk" ] || continue
	fsck=-; [ "${FSCK:-0}" = 1 ] && { e2fsck -fn /dev/$blk >/dev/null 2>&1 && fsck=ok || fsck=FAIL; }   # FSCK=1: slow under TCG
	echo "$ns $mode $(head -c '"$fsz"' /dev/$blk | sha256sum | cut -d" " -f1) $fsck"
done'
verdicts() { # GUEST_OUTPUT -> one line per cut: cutN MODE|none DATA(ok/X) FSCK
	printf '%s\n' "$1" | sed -n '/^=== JSON/,/^=== SUMS/p' | sed '1d;$d' >guest.json
	printf '%s\n' "$1" | sed -n '/^=== SUMS/,$p' | sed 1d >sums
	python3 - guest.json sums "$want" "$total" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
ids = {x["dev"]: x["id"] for x in doc["dimms"]}
seen = {}
key_of = {}
for r in doc["regions"]:
    slot = int(ids[r["mappings"][0]["dimm"]][5:7], 16) - 0x56
    seen[slot] = "none"
    for n in r.get("namespaces", []):
        key_of[n["dev"]] = slot
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) == 4 and f[0] in key_of:
        seen[key_of[f[0]]] = "%s %s fsck=%s" % (f[1], "ok" if f[2] == sys.argv[3] else "X", f[3])
for s in range(int(sys.argv[4]) + 1):
    print("cut%d %s" % (s, seen.get(s, "missing")))
PY
}
# shellcheck disable=SC2086
guest_run --qemu-memory 1G --hotplug-slots 0 --append no_timer_check $args "$script"
expect_eq "boot 1: guest status" "$grc" 0
verdicts "$gout" >v1
cat v1 >&2
expect_eq "boot 1: every cut seen" "$(grep -c . v1)" "$((total + 1))"
expect_nomatch "boot 1: every namespace the kernel shows holds the file system" "$(cat v1)" " X |missing"
expect_eq "boot 1: each cut is old, hidden or new" "$(grep -Ecv '^cut[0-9]+ (raw ok|fsdax ok|none)' v1)" 0
expect_match "boot 1: the first cut is the old raw namespace" "$(head -n1 v1)" "^cut0 raw ok"
expect_match "boot 1: the last cut is the new fsdax one" "$(tail -n1 v1)" "^cut$total fsdax ok"
expect_match "boot 1: some cuts show no namespace" "$(cat v1)" " none$"
# the host's reading of every cut is the kernel's
for n in $(seq 0 "$total"); do
	m=$("$VPMEM" --json list "cuts/cut$n.img" | python3 -c 'import json,sys
print(next((n["mode"] for r in json.load(sys.stdin)["regions"] for n in r.get("namespaces", []) if n.get("name") == "d"), "none"))')
	echo "cut$n $m"
done >host
expect_eq "the host sees what the kernel sees at every cut" "$(cat host)" "$(cut -d' ' -f1,2 v1)"

# run the command again on every cut: each finishes
bad=0
for n in $(seq 0 "$total"); do
	f=cuts/cut$n.img
	if [ -f "$f.vpmem-reconfigure" ] || ! grep -q "^cut$n fsdax" host; then
		"$VPMEM" namespace reconfigure "$f" --name d --mode fsdax --keep-data >/dev/null 2>&1 || bad=$((bad + 1))
	fi
	[ -z "$(ls "$f".vpmem-reconfigure* 2>/dev/null)" ] || bad=$((bad + 1))
done
expect_eq "every cut finished by running again" "$bad" 0
for n in $(seq 0 "$total"); do cp --sparse=always "cuts/cut$n.img" "boot/cut$n.img"; done
# shellcheck disable=SC2086
guest_run --qemu-memory 1G --hotplug-slots 0 --append no_timer_check $args "$script"
expect_eq "boot 2: guest status" "$grc" 0
verdicts "$gout" >v2
cat v2 >&2
expect_eq "boot 2: every cut is fsdax with the file system's bytes" "$(grep -c 'fsdax ok fsck=-' v2)" "$((total + 1))"
done_testing
