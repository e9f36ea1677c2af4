#!/bin/sh
# BTT crash safety judged by the guest kernel: an import into a sector
# namespace cut after every single pwrite (tests/data/btt-crash/mkcuts.sh),
# all cut images attached as DIMMs in one boot. The kernel enables each BTT
# (its flog recovery runs), every sector reads old or new, and `ndctl
# check-namespace` passes on each. The verdicts are the expected output of
# the host test (tests/cli/test-btt-crash.sh); VPMEM_REGEN=1 rewrites them.
. "$(dirname "$0")/lib-guest.sh"
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data/btt-crash
cd "$T" || exit 1
total=$(sh "$data/mkcuts.sh" cuts)
args=
for n in $(seq 0 "$total"); do args="$args --pmem-image $T/cuts/cut$n.img"; done
# shellcheck disable=SC2086
guest_run --qemu-memory 1G --hotplug-slots 0 $args '
ndctl list -RDN >/tmp/j
echo "=== JSON"; cat /tmp/j; echo "=== SUMS"
for ns in $(awk -F\" "/\"dev\":\"namespace/ {print \$4}" /tmp/j); do
	blk=$(ndctl list -n $ns | awk -F\" "/\"blockdev\"/ {print \$4}")
	for k in $(seq 0 15); do
		echo "$ns $k $(dd if=/dev/$blk bs=4096 skip=$k count=1 2>/dev/null | sha256sum | cut -d" " -f1)"
	done
	ndctl disable-namespace $ns >/dev/null 2>&1
	ndctl check-namespace $ns >/tmp/c 2>&1
	echo "CHECK $ns rc=$?"
	cat /tmp/c >&2
done'
expect_eq "guest status" "$grc" 0
printf '%s\n' "$gout" | sed -n '/^=== JSON/,/^=== SUMS/p' | sed '1d;$d' >guest.json
printf '%s\n' "$gout" | sed -n '/^=== SUMS/,$p' | sed 1d >sums
python3 "$data/verdicts.py" cuts sums guest.json >verdicts
cat verdicts >&2
expect_eq "every cut image seen by the guest" "$(wc -l <verdicts)" "$((total + 1))"
expect_nomatch "every sector old or new in the guest" "$(cat verdicts)" "X"
expect_nomatch "ndctl check-namespace passes on every cut" "$(cat verdicts)" "check=FAIL"
expect_eq "ndctl checked every cut" "$(grep -c 'check=ok' verdicts)" "$((total + 1))"
expect_match "the first cut is all old" "$(head -n1 verdicts)" "^cut0 O+ check=ok"
expect_match "the full import is all new" "$(tail -n1 verdicts)" "^cut$total [N]+O* check=ok"
if [ "${VPMEM_REGEN:-0}" = 1 ]; then
	cp verdicts "$data/guest-verdicts.txt"
else
	expect_eq "the kernel's verdicts are the recorded ones" "$(cat verdicts)" "$(cat "$data/guest-verdicts.txt")"
fi
done_testing
