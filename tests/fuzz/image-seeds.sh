#!/bin/sh
# Seeds for fuzz-image, made in the current directory's ./corpus from the
# golden images and vpmem-made images (every mode): see seeds.py.
set -eu
: "${VPMEM:?}" "${FUZZ_DIR:?}"
for g in "$FUZZ_DIR"/../golden/*.img.xz; do
	xz -dc "$g" | dd of="$(basename "$g" .xz)" bs=64K conv=sparse status=none
done
"$VPMEM" image create v.img --size $((32 * 1048576 + 131072)) --label-version 1.2 >/dev/null
"$VPMEM" namespace create v.img --mode sector --size 16M --name s >/dev/null
"$VPMEM" namespace create v.img --mode devdax --size 16M >/dev/null
python3 "$FUZZ_DIR/seeds.py" corpus ./*.img
rm -f ./*.img
