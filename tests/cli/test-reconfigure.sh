#!/bin/sh
# vpmem namespace reconfigure on the host: the bytes a guest sees survive
# every mode change (raw, fsdax, sector 512/4096, devdax, back to raw, and
# growing into free space), read back through the data path and judged by
# e2fsck; refusals change nothing (image checksum, no side files); and a
# conversion cut and resumed keeps the data (every cut: test-reconfigure-crash.sh).
. "$(dirname "$0")/lib-reconfigure.sh"

mkdir src
head -c 2000000 /dev/urandom >src/big.bin
seq 1 40000 >src/numbers.txt
mke2fs -q -F -t ext4 -b 4096 -d src fs.ext4 40M >/dev/null 2>&1
fsz=$(stat -c %s fs.ext4)
want=$(sum fs.ext4)

# ---- every mode change keeps the bytes ----
"$VPMEM" image create a.img --size 400M --label-version 1.2 >/dev/null
"$VPMEM" namespace create a.img --mode raw --size 64M --name d >/dev/null
"$VPMEM" namespace import a.img --name d --from fs.ext4 >/dev/null
for step in fsdax "sector --sector-size 4096" "sector --sector-size 512" devdax "fsdax --map mem" raw; do
	# shellcheck disable=SC2086
	run_vpmem namespace reconfigure a.img --name d --mode $step --keep-data
	expect_eq "-> $step: status" "$rc" 0
	expect_match "-> $step: says it kept the data" "$out" "keeping its data"
	expect_eq "-> $step: the mode" "$(mode_of a.img d)" "${step%% *}"
	expect_eq "-> $step: the guest's bytes are the file system" "$(nsum a.img "$fsz" d)" "$want"
	"$VPMEM" namespace export a.img --name d --to e.img >/dev/null 2>&1
	check "-> $step: e2fsck -fn clean" e2fsck -fn e.img >/dev/null 2>&1
	expect_eq "-> $step: no side files left" "$(ls a.img.vpmem-reconfigure* 2>/dev/null)" ""
done
run_vpmem list --raw -N --noheadings --output MODE,NAME a.img
expect_match "the uuid and name survive" "$out" '^raw d$'

# ---- refusals: nothing changes ----
# a namespace its data fills: raw 64M, last byte non-zero
"$VPMEM" namespace create a.img --mode raw --size 64M --name full >/dev/null
head -c $((64 * 1048576)) /dev/urandom >full.bin
"$VPMEM" namespace import a.img --name full --from full.bin >/dev/null
s=$(sum a.img)
run_vpmem namespace reconfigure a.img --name full --mode fsdax --keep-data
expect_eq "full: refused" "$rc" 1
# fsdax on 64M at a 2M-aligned address: the info block and memmap take 2M
expect_match "full: the exact bytes missing, and what to do" "$err" \
	"^vpmem: error: namespace reconfigure: 'a.img': namespace0.1 holds data up to byte 67108864 but as fsdax it holds 65011712 bytes: 2097152 bytes missing; shrink the file system first .* or grow the namespace \(--size 80M\)$"
unchanged "full" a.img "$s"
run_vpmem namespace reconfigure a.img --name full --mode sector --keep-data
expect_match "full -> sector: refused with the bytes missing" "$err" "holds data up to byte 67108864 but as sector it holds [0-9]+ bytes: [0-9]+ bytes missing"
unchanged "full -> sector" a.img "$s"
# only the trailing bytes matter: zeros there fit
head -c $((60 * 1048576)) /dev/urandom >part.bin
"$VPMEM" namespace import a.img --name full --from part.bin >/dev/null
run_vpmem namespace reconfigure a.img --name full --mode fsdax --keep-data
expect_eq "data ending 4M before the end fits fsdax" "$rc" 0
expect_eq "part: bytes kept" "$(nsum a.img $((60 * 1048576)) full)" "$(sum part.bin)"
# the tail that would be cut is not zero: one byte at the end
"$VPMEM" namespace reconfigure a.img --name full --mode raw --keep-data >/dev/null
printf 'x' >>part.bin
head -c $((64 * 1048576 - 60 * 1048576 - 2)) /dev/zero >>part.bin
printf 'y' >>part.bin
"$VPMEM" namespace import a.img --name full --from part.bin >/dev/null
s=$(sum a.img)
run_vpmem namespace reconfigure a.img --name full --mode devdax --keep-data
expect_match "a non-zero last byte is refused" "$err" "holds data up to byte 67108864 but as devdax it holds 65011712 bytes: 2097152 bytes missing"
unchanged "non-zero tail" a.img "$s"
# growing: into the free space after it, keeping the data
run_vpmem namespace reconfigure a.img --name full --mode fsdax --size 80M --keep-data
expect_eq "grow to 80M as fsdax: status" "$rc" 0
expect_eq "grow: every byte kept" "$(nsum a.img $((64 * 1048576)) full)" "$(sum part.bin)"
run_vpmem list --raw -N --noheadings --output MODE,MAP,SIZE,NAME a.img
expect_match "grow: 78 MiB fsdax" "$out" '^fsdax dev 78.00\\x20MiB full$'
s=$(sum a.img)
run_vpmem namespace reconfigure a.img --name full --mode raw --size 400M --keep-data
expect_match "growing over the end of the region is refused" "$err" "no free extent of 400M at 0x4000000"
unchanged "grow too far" a.img "$s"
run_vpmem namespace reconfigure a.img --name full --mode raw --size 48M --keep-data
expect_match "shrinking is refused" "$err" "reconfigure only grows"
run_vpmem namespace reconfigure a.img --name full --mode fsdax
expect_match "the same mode: nothing to change" "$err" "already fsdax at that size: nothing to change"
run_vpmem namespace reconfigure a.img --name nosuch --mode fsdax --keep-data
expect_match "no such namespace" "$err" "^vpmem: error: namespace reconfigure: 'a.img': no namespace has that name$"
unchanged "bad requests" a.img "$s"
run_vpmem namespace reconfigure a.img --name full --keep-data
expect_eq "no --mode: usage error" "$rc" 2
run_vpmem namespace reconfigure a.img --name full --mode sector --map mem
expect_match "--map with sector" "$err" "apply to fsdax and devdax only"
run_vpmem namespace reconfigure a.img --mode raw
expect_match "no selector" "$err" "needs one of --name, --uuid or --dev"
run_vpmem namespace reconfigure a.img --name full --mode raw --resume
expect_match "--resume takes only FILE" "$err" "--resume takes only FILE"
run_vpmem namespace reconfigure a.img --resume
expect_match "--resume with nothing pending" "$err" "no conversion is pending"
unchanged "usage errors" a.img "$s"
# a dry run plans and writes nothing
run_vpmem namespace reconfigure a.img --name full --mode sector --keep-data --dry-run
expect_match "dry run: the plan" "$out" "free the old label"
unchanged "dry run" a.img "$s"
# label-less: --keep-data is refused (the kernel could not be kept away)
"$VPMEM" image create ll.img --size 64M --no-labels >/dev/null
s=$(sum ll.img)
run_vpmem namespace reconfigure ll.img --dev namespace0.0 --mode fsdax --keep-data
expect_match "label-less + --keep-data refused" "$err" "needs a labelled image"
unchanged "label-less" ll.img "$s"
# without --keep-data: as ndctl create-namespace -f -e, and said so
run_vpmem namespace reconfigure ll.img --dev namespace0.0 --mode fsdax
expect_match "without --keep-data: data not kept, said so" "$out" "its data was not kept"
expect_eq "without --keep-data: the mode" "$(mode_of ll.img '')" ""
run_vpmem list --raw -N --noheadings --output DEV,MODE ll.img
expect_match "label-less namespace now fsdax" "$out" '^namespace0.0 fsdax$'

# ---- a pending conversion ----
"$VPMEM" image create p.img --size 200M --label-version 1.2 >/dev/null
"$VPMEM" namespace create p.img --mode raw --size 128M --name d >/dev/null
"$VPMEM" namespace import p.img --name d --from fs.ext4 >/dev/null
VPMEM_TEST_CRASH_AFTER_WRITES=5 "$VPMEM" namespace reconfigure p.img --name d --mode sector --keep-data >/dev/null 2>&1
expect_eq "cut after 5 writes: exit 99" "$?" 99
check "the record is there" test -f p.img.vpmem-reconfigure
run_vpmem list --raw -N --noheadings --output NAME p.img
expect_nomatch "mid-conversion: no namespace d" "$out" '^d$'
run_vpmem list p.img
expect_match "list says a conversion is pending" "$out" "pending: 'p.img' has an unfinished namespace conversion \(raw to sector at dpa 0x0, see 'p.img.vpmem-reconfigure'\): finish it with 'vpmem namespace reconfigure p.img --resume'"
run_vpmem namespace reconfigure p.img --name d --mode fsdax --keep-data
expect_match "another conversion is refused while one is pending" "$err" "a conversion to sector is pending: finish it first \(vpmem namespace reconfigure 'p.img' --resume\)"
run_vpmem check p.img
expect_eq "check fails while a conversion is pending" "$rc" 1
expect_match "check says how to finish it" "$err" "unfinished namespace conversion .*\(or vpmem check --repair\)"
run_vpmem run --pmem-image p.img --print
expect_match "run refuses an image with a pending conversion" "$err" "^vpmem: error: 'p.img' has an unfinished namespace conversion"
run_vpmem namespace reconfigure p.img --resume --dry-run
expect_match "--resume --dry-run says what it would do" "$out" "would finish the conversion .* from raw to sector"
run_vpmem namespace reconfigure p.img --resume
expect_eq "--resume finishes it" "$rc" 0
expect_eq "resumed: sector" "$(mode_of p.img d)" sector
expect_eq "resumed: the bytes" "$(nsum p.img "$fsz" d)" "$want"
expect_eq "resumed: no side files" "$(ls p.img.vpmem-reconfigure* 2>/dev/null)" ""
VPMEM_TEST_CRASH_AFTER_WRITES=3 "$VPMEM" namespace reconfigure p.img --name d --mode raw --keep-data >/dev/null 2>&1
run_vpmem check --repair p.img
expect_match "check --repair finishes a pending conversion" "$out" "repaired: finished the pending namespace conversion"
expect_eq "check --repair: raw again, the bytes" "$(mode_of p.img d) $(nsum p.img "$fsz" d)" "raw $want"
VPMEM_TEST_CRASH_AFTER_WRITES=3 "$VPMEM" namespace reconfigure p.img --name d --mode fsdax --keep-data >/dev/null 2>&1
echo "garbage" >p.img.vpmem-reconfigure
run_vpmem namespace reconfigure p.img --resume
expect_match "a damaged record is refused" "$err" "progress record .* is damaged"

done_testing
