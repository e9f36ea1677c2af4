#!/bin/sh
# vpmem check of a 1 TiB sparse image with 5 namespaces (fsdax, devdax,
# sector 4096, sector 512, raw): wall and CPU time of the whole command, best
# of N (the target is 50 ms; CPU time shows what a loaded machine hides).
#   VPMEM=build/src/vpmem sh bench/check.sh [N]
# The anchor the issue names (ndctl check-namespace of the same image in a
# guest) is not measured here: see doc/check.md.
set -eu
: "${VPMEM:?}"
n=${1:-5}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
img=$T/big.img
"$VPMEM" image create "$img" --size 1T --label-version 1.2 >/dev/null
for m in "fsdax" "devdax" "sector --sector-size 4096" "sector --sector-size 512" "raw"; do
	# shellcheck disable=SC2086
	"$VPMEM" namespace create "$img" --mode $m --size 200G >/dev/null
done
"$VPMEM" check -v "$img" | sed 's/^/  /'
best= cpu=
for i in $(seq "$n"); do
	/usr/bin/time -f '%e %U %S' -o "$T/t" "$VPMEM" check "$img" >/dev/null
	read -r wall u sy <"$T/t"
	t=$(awk -v w="$wall" 'BEGIN { printf "%d", w * 1000 }')
	c=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%d", (u + s) * 1000 }')
	if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t cpu=$c; fi
done
echo "vpmem check, 1 TiB image, 5 namespaces (2 BTTs of 200 GiB): best of $n: ${best} ms wall, ${cpu} ms CPU (load $(cut -d' ' -f1 /proc/loadavg))"
du -h "$img" | sed 's/^/  on disk: /'
