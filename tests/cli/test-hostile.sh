#!/bin/sh
# Hostile and careless input (issue 17): each repro of a defect class D1-D15
# that the command line reaches. Bad input gets one line, a non-zero status,
# no crash, no hang and no change to anything.
. "$(dirname "$0")/../lib.sh"
d=$(cd "$(dirname "$0")/../data/map" && pwd)
cd "$T" || exit 1
sum() { sha256sum "$1" | cut -d' ' -f1; }
# one_line DESCRIPTION WANT-PATTERN: the last run failed (1 or 2) with one matching line
one_line() {
	expect_match "$1: status" "$rc" '^[12]$'
	expect_eq "$1: one line" "$(printf '%s\n' "$err" | wc -l)" 1
	expect_match "$1: message" "$err" "$2"
}

# D6: ndctl JSON of the wrong shape is refused, json-c never asserts
for j in '{"dimms":2}' '{"dimms":[{"id":7}]}' '[1,2]' '{"dimms":[],"regions":{"a":1}}' '"x"' \
	'{"dimms":[{"id":"8902-a2ebf260","dev":"nmem0"}],"regions":[{"mappings":3,"namespaces":{}}]}'; do
	printf '%s' "$j" >bad.json
	run_vpmem map --vmkfstools-output "$d/vmkfstools.txt" --guest-json bad.json
	case $j in
	*regions\":\[*) expect_match "D6 $j: not a crash" "$rc" '^[01]$' ;;
	*) one_line "D6 $j" "error: map: 'bad.json': " ;;
	esac
done

# D5: an image on a full tmpfs: reading holes through a mapping was SIGBUS;
# read with pread it lists, and create works (its writes fit pages the
# index blocks already hold) instead of dying
if unshare -rm true 2>/dev/null; then
	mkdir tm
	unshare -rm sh -c '
		mount -t tmpfs -o size=1M none tm || exit 9
		cd tm
		"$0" image create a.img --size 64M --label-version 1.2 >/dev/null || exit 8
		dd if=/dev/zero of=fill bs=4k 2>/dev/null
		"$0" list a.img >../list.out 2>../list.err; echo $? >../list.rc
		"$0" namespace create a.img --mode raw --size 16M >../ns.out 2>../ns.err; echo $? >../ns.rc
	' "$VPMEM"
	expect_eq "D5: tmpfs set-up" "$?" 0
	expect_eq "D5: list on a full tmpfs" "$(cat list.rc)" 0
	expect_match "D5: list shows the region" "$(cat list.out)" "labels v1.2"
	expect_eq "D5: create on a full tmpfs" "$(cat ns.rc) $(cat ns.err)" "0 "
else
	echo "skip D5: no user namespaces for a private tmpfs"
fi

# D13: sizes that would wrap the planner, or be ignored, are refused
run_vpmem run --qemu-pmem 0xffffffffffffffff --print
one_line "D13: --qemu-pmem 2^64-1" "--qemu-pmem 18446744073709551615 is too large"
run_vpmem run --qemu-pmem 1G --label-size 0xffffffffffffffff --print
one_line "D13: --label-size 2^64-1" "--label-size is too large \(at most 2G\)"
run_vpmem run --qemu-pmem 1G --label-size 4G --print
one_line "D13: --label-size 4G" "--label-size 4G is too large \(at most 2G\)"

# D15: names with terminal controls are listed escaped; an over-long VMDK
# UUID is refused; a concurrent list (a reader) never makes create fail
"$VPMEM" image create n.img --size 64M >/dev/null
"$VPMEM" namespace create n.img --mode raw --size 16M --name "$(printf 'a\033[2Jb\nc')" >/dev/null
run_vpmem list n.img
expect_match "D15: ESC and newline escaped" "$out" 'name "a\\x1b\[2Jb\\x0ac"'
expect_eq "D15: no raw ESC in the listing" "$(printf '%s' "$out" | tr -d -c '\033' | wc -c)" 0
sed 's/ddb.uuid = "\([^"]*\)"/ddb.uuid = "\1 61"/' "$d/pmem-guest-001.vmdk" >long.vmdk
run_vpmem map --vmdk long.vmdk --guest-json "$d/guest-vmware-D.json"
one_line "D15: over-long VMDK uuid" "is not a 16-byte disk UUID"
"$VPMEM" image create c.img --size 512M >/dev/null
( i=0; while [ $i -lt 400 ] && [ ! -e stop ]; do "$VPMEM" list c.img >/dev/null 2>&1; i=$((i + 1)); done ) &
lister=$!
bad=0
for i in 1 2 3 4 5 6 7 8; do
	"$VPMEM" namespace create c.img --mode raw --size 16M >/dev/null 2>create.err || { bad=$((bad + 1)); cat create.err >&2; }
done
touch stop
wait $lister
expect_eq "D15: creates beside a concurrent list" "$bad" 0

# D15: more than 256 DIMMs in a guest's sysfs is said, not cut to 256
i=0
while [ $i -lt 257 ]; do
	mkdir -p "sr/sys/bus/nd/devices/nmem$i/nfit"
	printf '8680-%08x\n' $i >"sr/sys/bus/nd/devices/nmem$i/nfit/id"
	i=$((i + 1))
done
run_vpmem map --vmkfstools-output "$d/vmkfstools.txt" --sysroot "$T/sr"
one_line "D15: 257 guest DIMMs" "more than 256 NVDIMMs under"

# D8: a FIFO (or a device) where a file is meant: refused at once in one line,
# nothing opened that would block or have effects (/dev/ptmx makes a terminal)
run_t() { timeout 30 "$VPMEM" "$@" >"$T/.out" 2>"$T/.err"; rc=$?; out=$(cat "$T/.out"); err=$(cat "$T/.err"); }
mkfifo fifo
printf '{"dimms":[{"dev":"nmem0","id":"8680-56341200","handle":1}]}' >q.json
run_t list fifo
one_line "D8: list a FIFO" "image 'fifo' is a FIFO, not a regular file"
run_t namespace create fifo --mode raw
one_line "D8: namespace create on a FIFO" "image 'fifo' is a FIFO, not a regular file"
run_t list /dev/ptmx
one_line "D8: list /dev/ptmx" "'/dev/ptmx' is a character device, not a regular file"
run_t map --qemu-cmdline fifo --guest-json q.json
one_line "D8: map --qemu-cmdline FIFO" "'fifo' is a FIFO, not a regular file"
run_t map --libvirt-xml fifo --guest-json q.json
one_line "D8: map --libvirt-xml FIFO" "'fifo' is a FIFO, not a regular file"
run_t map --vmdk fifo --guest-json q.json
one_line "D8: map --vmdk FIFO" "'fifo' is a FIFO, not a regular file"
run_t map --vmkfstools-output "$d/vmkfstools.txt" --guest-json fifo
one_line "D8: map --guest-json FIFO" "'fifo' is a FIFO, not a regular file"
run_t emulate plan --e820 fifo --size 1G
one_line "D8: emulate --e820 FIFO" "'fifo' is a FIFO, not a regular file"
# a FIFO as mem-path in a QEMU command line: map reads labels of backings; it must not block
printf 'qemu -object memory-backend-file,id=m0,mem-path=%s/fifo,size=16M -device nvdimm,memdev=m0,id=nv0,slot=0\n' "$T" >fifo-cmdline
run_t map --qemu-cmdline fifo-cmdline --guest-json q.json
expect_match "D8: FIFO mem-path does not hang map" "$rc" '^[01]$'

# D7: symlinks planted among vpmem's own files (state directory) are removed,
# never followed: the file they point to keeps its content
if command -v qemu-system-x86_64 >/dev/null; then
	echo precious >victim
	mkdir -p S/run
	ln -s "$T/victim" S/run/cmd
	ln -s "$T/victim" S/run/stdout
	ln -s "$T/victim" S/.spec.json.tmp
	touch k i
	run_t run --state-dir S --kernel k --initrd i --qemu-pmem 16M --pmem-dir . --guest-cmd true --timeout 20 --accel tcg
	expect_eq "D7: victim intact after run" "$(cat victim)" precious
	check "D7: run/cmd is a file of its own" test -f S/run/cmd -a ! -L S/run/cmd
	check "D7: spec.json written" test -f S/spec.json -a ! -L S/spec.json
	mkdir -p S2
	ln -s "$T/victim" S2/lock
	run_t run --state-dir S2 --kernel k --initrd i --qemu-pmem 16M --pmem-dir S2 --guest-cmd true --timeout 20 --accel tcg
	one_line "D7: a symlink as the lock file" "S2/lock' is a symbolic link: vpmem does not follow links"
	expect_eq "D7: victim intact after the refusal" "$(cat victim)" precious
else
	echo "skip D7: no qemu-system-x86_64"
fi

done_testing
