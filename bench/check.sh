#!/bin/sh
# vpmem check of a 1 TiB sparse image with 5 namespaces (fsdax, devdax,
# sector 4096, sector 512, raw): wall time of the whole command, best of N.
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
best=
for i in $(seq "$n"); do
	s=$(date +%s%N)
	"$VPMEM" check "$img" >/dev/null
	e=$(date +%s%N)
	t=$(((e - s) / 1000))
	[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
done
echo "vpmem check, 1 TiB image, 5 namespaces (2 BTTs of 200 GiB): best of $n: $((best / 1000)).$((best % 1000 / 100)) ms"
du -h "$img" | sed 's/^/  on disk: /'
