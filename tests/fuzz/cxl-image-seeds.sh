#!/bin/sh
# Seeds for fuzz-cxl-image, made in ./corpus: vpmem-made CXL images (every
# mode, data through the BTT) cut as the target reads them: flags, the first
# 64 KiB of the memory file, the label file, the memory file's 64 KiB before
# 32 MiB.
set -eu
: "${VPMEM:?}"
mk() { # NAME FLAGS [TAG]
	{ printf "\\$(printf %o "$2")"
	  head -c 65536 "$1"
	  cat "$1.lsa"
	  dd if="$1" bs=64K skip=511 count=1 status=none; } >"corpus/$1-$2${3:-}"
}
"$VPMEM" image create a.img --size 256M --cxl >/dev/null
mk a.img 0 -fresh
"$VPMEM" namespace create a.img --mode fsdax --size 16M --name f >/dev/null
"$VPMEM" namespace create a.img --mode sector --size 16M --name s >/dev/null
head -c 100000 /dev/urandom >d.bin
"$VPMEM" namespace import a.img --name s --from d.bin >/dev/null
mk a.img 0; mk a.img 1
"$VPMEM" image create b.img --size 256M --cxl --serial 0x5eed >/dev/null
"$VPMEM" namespace create b.img --mode devdax --size 16M >/dev/null
"$VPMEM" namespace create b.img --mode raw --size 16M >/dev/null
mk b.img 0; mk b.img 3
rm -f ./*.img ./*.img.lsa d.bin
