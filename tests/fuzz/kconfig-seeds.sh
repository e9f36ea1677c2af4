#!/bin/sh
# Seeds for fuzz-kconfig (run by fuzz.sh in its work directory, into
# ./corpus): Debian's 6.1 configuration when cached (and a small one else),
# a tar, a cpio (plain and followed by a gzip'ed one), the configuration
# under every codec, an ar header. Byte 0 of each picks the reader.
set -eu
mkdir -p corpus d
printf 'CONFIG_LIBNVDIMM=m\n# CONFIG_BTT is not set\nCONFIG_X="s"\n' >cfg
deb=$(ls "${XDG_CACHE_HOME:-$HOME/.cache}"/vpmem/guest/debs/linux-image-6.1*.deb 2>/dev/null | head -n1 || true)
[ -z "$deb" ] || dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './boot/config-*' >cfg 2>/dev/null || true
{ printf '\000'; cat cfg; } >corpus/config
mkdir -p d/boot d/lib/modules/1/kernel && cp cfg d/boot/config-1 && echo x >d/lib/modules/1/kernel/nd_pmem.ko
(cd d && tar -cf ../t.tar boot lib)
{ printf '\001\007'; cat t.tar; } >corpus/tar
(cd d && find . | cpio -o -H newc --quiet) >i.cpio
{ printf '\002'; cat i.cpio; } >corpus/cpio
{ printf '\002'; cat i.cpio; gzip -c i.cpio; } >corpus/cpio-gz
for c in "gzip -c" "xz -c" "xz -c --format=lzma" "zstd -q -c" "lz4 -q -l -c"; do
	n=$(echo "$c" | tr -c 'a-z0-9\n' _)
	{ printf '\003'; $c <cfg; } >corpus/z-$n 2>/dev/null || rm -f corpus/z-$n
done
{ printf '\004'; printf '!<arch>\ndata.tar.xz/    0           0     0     100644  4         `\nabcd'; } >corpus/ar
