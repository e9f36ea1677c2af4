#!/bin/sh
# Seeds for fuzz-btt-io, made in ./corpus: the golden BTTs (made by the
# guest kernel) and a vpmem-made BTT with data imported twice (the flog has
# rotated; the map has normal and trimmed entries): see seeds-btt.py.
set -eu
: "${VPMEM:?}" "${FUZZ_DIR:?}"
for g in v11 v12 ll-sector; do
	xz -dc "$FUZZ_DIR/../golden/$g.img.xz" | dd of="$g.img" bs=64K conv=sparse status=none
done
"$VPMEM" image create w.img --size 64M --no-labels >/dev/null
"$VPMEM" namespace create w.img --mode sector >/dev/null
head -c 300000 /dev/urandom >data.bin
"$VPMEM" namespace import w.img --dev namespace0.0 --from data.bin >/dev/null
"$VPMEM" namespace import w.img --dev namespace0.0 --from data.bin >/dev/null
python3 "$FUZZ_DIR/seeds-btt.py" corpus ./*.img >/dev/null
rm -f ./*.img data.bin
