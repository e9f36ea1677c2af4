#!/bin/sh
# The host reads every BTT crash-cut image (tests/data/btt-crash/mkcuts.sh:
# an import cut after each single pwrite) exactly as the guest kernel did:
# sector by sector old or new, matching the verdicts the kernel gave in
# tests/guest/test-btt-crash.sh (recorded in guest-verdicts.txt, where
# ndctl check-namespace also passed on every cut).
. "$(dirname "$0")/../lib.sh"
data=$(cd "$(dirname "$0")/../data/btt-crash" && pwd)
cd "$T" || exit 1
total=$(sh "$data/mkcuts.sh" cuts)
expect_eq "as many cuts as the kernel judged" "$((total + 1))" "$(wc -l <"$data/guest-verdicts.txt")"
: >sums
for n in $(seq 0 "$total"); do
	"$VPMEM" namespace export "cuts/cut$n.img" --dev namespace0.0 --to - 2>/dev/null | head -c $((16 * 4096)) >s.bin
	for k in $(seq 0 15); do
		echo "cut$n $k $(dd if=s.bin bs=4096 skip=$k count=1 2>/dev/null | sha256sum | cut -d' ' -f1)"
	done >>sums
done
python3 "$data/verdicts.py" cuts sums >host
cut -d' ' -f1,2 "$data/guest-verdicts.txt" >kernel
expect_eq "host reads = the kernel's reads at every cut" "$(cat host | sed 's/ *$//')" "$(cat kernel)"
expect_nomatch "every sector old or new" "$(cat host)" "X"
done_testing
