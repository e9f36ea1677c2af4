#!/bin/sh
# image create / namespace create|destroy / list on real files: results, bad
# input (one line, non-zero, file untouched), --dry-run, refusing an image that
# another process has mapped (as a running QEMU does).
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
sum() { sha256sum "$1" | cut -d' ' -f1; }

run_vpmem image create a.img --size 256M
expect_eq "create status" "$rc" 0
expect_eq "exact size" "$(stat -c %s a.img)" 268435456
check "sparse" test "$(stat -c %b a.img)" -lt 64
expect_match "create message" "$out" "created 'a.img': 256M, region 255.88 MiB, labels v1.1, slot 0"
run_vpmem image create a.img --size 256M
expect_eq "existing file refused" "$rc" 1
expect_match "existing file message" "$err" "'a.img' exists"
for bad in "--size 0" "--size 12Q" "--size 8M" "--size 256M --label-size 64K" "--size 256M --label-version 2.0" \
	"--size 256M --slot 999" "--size 256M --no-labels --label-size 128K" "--size 1000001"; do
	# shellcheck disable=SC2086
	run_vpmem image create b.img $bad
	expect_match "image create $bad fails" "$rc" '^[12]$'
	expect_eq "image create $bad: one line" "$(printf '%s\n' "$err" | wc -l)" 1
	check "image create $bad: no file" test ! -e b.img
done
check "no temporary files left" test "$(ls -A | grep -c vpmem)" -eq 0
run_vpmem image create d.img --size 256M --dry-run
expect_match "image --dry-run shows the plan" "$out" 'label index 0 \(seq 3\)'
expect_match "image --dry-run plans each index block once" "$out" "plan for 'd.img': 2 write\\(s\\)"
check "image --dry-run creates nothing" test ! -e d.img

run_vpmem namespace create a.img --mode fsdax --size 32M --name data --uuid 6a1b8a5e-0c47-4f61-9d6e-1d2a8c3e4f50 --json
expect_eq "namespace create status" "$rc" 0
expect_match "ndctl-shaped JSON" "$out" '"mode":"fsdax"'
expect_match "usable size" "$out" '"size":31457280'
expect_match "raw_uuid is the label uuid" "$out" '"raw_uuid":"6a1b8a5e-0c47-4f61-9d6e-1d2a8c3e4f50"'
before=$(sum a.img)
for bad in "--mode fsdax --size 100M" "--mode fsdax --size 1G" "--mode sector --sector-size 520" \
	"--mode raw --map mem" "--mode devdax --align 3M" "--mode bogus" "-m fsdax -r region1" \
	"--mode fsdax --uuid 6a1b8a5e-0c47-4f61-9d6e-1d2a8c3e4f50 --size 32M" "--mode fsdax --uuid nope" \
	"--mode fsdax --name 0123456789012345678901234567890123456789012345678901234567890123456789"; do
	# shellcheck disable=SC2086
	run_vpmem namespace create a.img $bad
	expect_match "namespace create $bad fails" "$rc" '^[12]$'
	expect_eq "namespace create $bad: one line" "$(printf '%s\n' "$err" | wc -l)" 1
	expect_eq "namespace create $bad: image unchanged" "$(sum a.img)" "$before"
done
run_vpmem namespace create a.img --mode sector --size 32M --dry-run
expect_match "--dry-run lists the writes in order" "$(echo $out)" 'BTT arena 0 info2 .* BTT arena 0 info block .* namespace label .* label index [01] \(commit\)'
expect_eq "--dry-run changes nothing" "$(sum a.img)" "$before"
run_vpmem namespace create nosuch.img --mode raw
expect_match "missing image" "$err" "cannot open 'nosuch.img'"
truncate -s 1M small.img
run_vpmem namespace create small.img --mode raw
expect_match "too small image" "$err" 'too small to be a vNVDIMM image'

# an image mapped by another process (a running VM) is refused, untouched
python3 -c 'import mmap,os,sys,time; f=open("a.img","r+b"); m=mmap.mmap(f.fileno(), 4096); open("mapped","w").close(); time.sleep(30)' \
	</dev/null >/dev/null 2>&1 &
mapper=$!
for i in $(seq 50); do [ -e mapped ] && break; sleep 0.1; done
run_vpmem namespace create a.img --mode raw --size 16M
expect_eq "mapped image refused" "$rc" 1
expect_match "mapped image message" "$err" "is mapped by process $mapper"
kill $mapper 2>/dev/null
wait $mapper 2>/dev/null
expect_eq "mapped image unchanged" "$(sum a.img)" "$before"

run_vpmem list a.img
expect_match "text listing" "$out" 'namespace0.0 +30.00 MiB +fsdax +dev +512 +2M +/dev/pmem0 +[0-9a-f-]{36} +data$'
run_vpmem namespace destroy a.img --name nosuch
expect_eq "destroy without a match" "$rc" 1
run_vpmem namespace destroy a.img
expect_eq "destroy without a selector" "$rc" 2
run_vpmem namespace destroy a.img --uuid 6a1b8a5e-0c47-4f61-9d6e-1d2a8c3e4f50
expect_eq "destroy by uuid" "$rc" 0
run_vpmem list --json a.img
expect_nomatch "destroyed" "$out" '"mode"'

# corrupt metadata is reported precisely, never a crash
run_vpmem image create c.img --size 64M --label-version 1.2
run_vpmem namespace create c.img --mode devdax
printf '\377' | dd of=c.img bs=1 seek=$((64 * 1048576 - 131072 + 30)) conv=notrunc status=none
printf '\377' | dd of=c.img bs=1 seek=$((64 * 1048576 - 131072 + 256 + 30)) conv=notrunc status=none
run_vpmem list c.img
expect_eq "corrupt index: list still works" "$rc" 0
expect_match "corrupt index reported" "$out" 'problem: label area at 0x3fe0000: no valid index block \(index0: bad checksum; index1: bad checksum\)'

done_testing
