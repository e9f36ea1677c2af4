#!/bin/sh
# Run the kernel-reader fuzzer for a bounded time, seeded with real inputs:
# Debian's 6.1 configuration (and a gzip'ed copy), tar, cpio and every codec.
# Fails on any crash, leak or UB report.
set -eu
: "${FUZZER:?}"
secs=${FUZZ_SECONDS:-60}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
mkdir corpus d
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
# the fuzzer's status, not tail's: a crash must fail the test
rc=0
"$FUZZER" -max_total_time="$secs" -max_len=262144 -rss_limit_mb=2048 -print_final_stats=1 corpus >log 2>&1 || rc=$?
tail -n 25 log
exit "$rc"
