#!/bin/sh
# vpmem namespace import/export on real files: an ext4 made by mke2fs -d in
# every mode (raw, fsdax, devdax, sector 512/4096, BTT 1.1 label-less and 2.0
# labelled), round trip byte-exact and e2fsck-clean, old data zeroed,
# holes in the export, stdin/stdout, size errors, --dry-run, locks, a VM's
# mapping refused (export only with --force), the crash hook.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
command -v mke2fs >/dev/null || { echo "SKIP: mke2fs (e2fsprogs) missing"; exit 77; }

sum() { sha256sum "$1" | cut -d' ' -f1; }

mkdir src
head -c 700000 /dev/urandom >src/random.bin
seq 1 20000 >src/numbers.txt
mkdir src/dir && echo hello >src/dir/hello
mke2fs -q -F -t ext4 -b 4096 -d src fs.ext4 40M >/dev/null 2>&1
check "mke2fs -d made fs.ext4" test -s fs.ext4

"$VPMEM" image create l.img --size 320M --label-version 1.2 >/dev/null
for m in "fsdax fs" "sector s4 --sector-size 4096" "sector s512 --sector-size 512" "raw r" "devdax dd"; do
	set -- $m
	mode=$1 name=$2
	shift 2
	"$VPMEM" namespace create l.img --mode "$mode" --size 48M --name "$name" "$@" >/dev/null
done
"$VPMEM" image create ll.img --size 64M --no-labels >/dev/null
"$VPMEM" namespace create ll.img --mode sector >/dev/null

roundtrip() { # IMAGE SELECTOR... : import fs.ext4, export, compare, e2fsck
	img=$1
	shift
	run_vpmem namespace import "$img" "$@" --from fs.ext4
	expect_eq "import $img $* status" "$rc" 0
	expect_match "import $img $* says so" "$out" "^imported fs.ext4 into namespace0\.[0-9]+"
	run_vpmem namespace export "$img" "$@" --to out.img
	expect_eq "export $img $* status" "$rc" 0
	head -c "$(stat -c %s fs.ext4)" out.img >head.img
	expect_eq "export $img $* holds fs.ext4 exactly" "$(sum head.img)" "$(sum fs.ext4)"
	tail -c +"$(($(stat -c %s fs.ext4) + 1))" out.img | tr -d '\0' | wc -c >tailnz
	expect_eq "export $img $*: zeros after fs.ext4" "$(cat tailnz)" 0
	check "export $img $*: e2fsck -fn clean" e2fsck -fn head.img >/dev/null 2>&1
	blocks=$(stat -c %b out.img)
	expect_eq "export $img $* is sparse (zeros are holes)" "$([ "$blocks" -lt $((20 * 2048)) ] && echo yes)" yes
}
for n in fs s4 s512 r dd; do roundtrip l.img --name "$n"; done
roundtrip ll.img --dev namespace0.0

# old data does not survive: fill with 0xff, import a small file, read back
tr '\0' '\377' </dev/zero | head -c $((40 * 1048576)) >ff.bin
"$VPMEM" namespace import l.img --name s4 --from ff.bin >/dev/null
printf 'short' >short.bin
run_vpmem namespace import l.img --name s4 --from short.bin
expect_eq "small import status" "$rc" 0
"$VPMEM" namespace export l.img --name s4 --to - >all.bin
expect_eq "namespace reads SRC then zeros" "$(head -c 5 all.bin)$(tail -c +6 all.bin | tr -d '\0' | wc -c)" "short0"

# stdin and stdout
cat fs.ext4 | "$VPMEM" namespace import l.img --name fs --from - >/dev/null
expect_eq "import from stdin" "$?" 0
"$VPMEM" namespace export l.img --name fs --to - | head -c "$(stat -c %s fs.ext4)" >pipe.img
expect_eq "export to stdout matches" "$(sum pipe.img)" "$(sum fs.ext4)"
head -c $((60 * 1048576)) /dev/zero | tr '\0' 'x' | "$VPMEM" namespace import l.img --name r --from - >/dev/null 2>"$T/e"
expect_match "a stream larger than the namespace fails" "$(cat "$T/e")" "larger than the namespace"

# one-line errors that change nothing
before=$(sum l.img)
head -c $((49 * 1048576)) /dev/zero >big.bin
run_vpmem namespace import l.img --name fs --from big.bin
expect_eq "too large: status" "$rc" 1
expect_eq "too large: one line" "$err" "vpmem: error: namespace import: 'big.bin' (49.00 MiB) is larger than namespace0.0 of 'l.img' (46.00 MiB)"
run_vpmem namespace import l.img --name nope --from fs.ext4
expect_eq "no such namespace" "$err" "vpmem: error: namespace import: 'l.img': no namespace has that name"
run_vpmem namespace import l.img --name fs --from missing.bin
expect_eq "missing source" "$err" "vpmem: error: namespace import: cannot open 'missing.bin': No such file or directory"
run_vpmem namespace import l.img --from fs.ext4
expect_eq "no selector: usage" "$rc" 2
run_vpmem namespace import l.img --name s4 --from ff.bin --dry-run
expect_eq "dry-run status" "$rc" 0
expect_match "dry-run says what" "$out" "would fill namespace0.1 \(sector, 46.*4096-byte blocks\)"
expect_eq "errors and --dry-run change nothing" "$(sum l.img)" "$before"

# locks: another process's lock, a process mapping the image (a VM)
flock -x l.img sleep 3 &
lockpid=$!
sleep 0.5
run_vpmem namespace import l.img --name fs --from fs.ext4
expect_match "locked image refused" "$err" "is locked by another process"
wait $lockpid
python3 -c '
import mmap, sys, time
f = open(sys.argv[1], "r+b"); m = mmap.mmap(f.fileno(), 4096)
print("mapped", flush=True); time.sleep(4)' l.img >mapped.out 2>&1 &
mpid=$!
i=0
while ! grep -q mapped mapped.out 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "a process maps the image" grep -q mapped mapped.out
run_vpmem namespace import l.img --name fs --from fs.ext4
expect_match "import into a mapped image refused" "$err" "is mapped by process $mpid"
run_vpmem namespace export l.img --name fs --to x.img
expect_match "export of a mapped image refused, with the way out" "$err" "mapped by process $mpid.*--force exports it anyway"
run_vpmem namespace export l.img --name fs --to x.img --force
expect_eq "export --force of a mapped image" "$rc" 0
wait $mpid

# the crash hook (for the guest crash test): exit 99 after N BTT writes
"$VPMEM" namespace import l.img --name s4 --from fs.ext4 >/dev/null
VPMEM_TEST_CRASH_AFTER_WRITES=2 "$VPMEM" namespace import l.img --name s4 --from short.bin >/dev/null
expect_eq "cut import exits 99" "$?" 99

# help
run_vpmem help namespace
expect_match "help names import" "$out" "namespace import FILE"
expect_match "help names export" "$out" "namespace export FILE"

done_testing
