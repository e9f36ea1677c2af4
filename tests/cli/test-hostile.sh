#!/bin/sh
# Hostile and careless input (issue 17): each repro of a defect class D1-D15
# that the command line reaches. Bad input gets one line, a non-zero status,
# no crash, no hang and no change to anything.
. "$(dirname "$0")/../lib.sh"
data=$(cd "$(dirname "$0")/../data" && pwd)
md=$data/map   # not "d": lib.sh's check() sets d
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
	run_vpmem map --vmkfstools-output "$md/vmkfstools.txt" --guest-json bad.json
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
	expect_match "D5: list shows the region" "$(cat list.out)" "^region0 +a.img +63.88 MiB +v1.2"
	expect_eq "D5: create on a full tmpfs" "$(cat ns.rc) $(cat ns.err)" "0 "
else
	echo "skip D5: no user namespaces for a private tmpfs"
fi

# D2: empty NUL-separated arguments (as /proc/PID/cmdline can hold) overflowed
# the argument array; now read like any other command line
python3 -c 'import sys; sys.stdout.buffer.write(b"qemu\0" + b"\0" * 5000)' >c
run_vpmem map --qemu-cmdline c --guest-json q.json
one_line "D2: 5000 empty arguments" "has no -device nvdimm"
python3 -c 'import sys; sys.stdout.buffer.write(b"qemu\0-m\0\0\0-device")' >c2
run_vpmem map --qemu-cmdline c2 --guest-json q.json
one_line "D2: no final NUL" "has no -device nvdimm"

# D15: a key given twice, or an empty number, in a QEMU option is refused
truncate -s 64M q0.img
printf 'qemu -object memory-backend-file,id=m0,mem-path=%s/q0.img,size=64M -device nvdimm,memdev=m0,slot=1,slot=0\n' "$T" >dup
run_vpmem map --qemu-cmdline dup --guest-json q.json
one_line "D15: slot=1,slot=0" "'slot' is given twice"
printf 'qemu -object memory-backend-file,id=m0,mem-path=%s/q0.img,size=64M -device nvdimm,memdev=m0,slot=\n' "$T" >empty
run_vpmem map --qemu-cmdline empty --guest-json q.json
one_line "D15: slot= empty" "bad slot ''"

# GRUB: D3 (byte for byte, or refused), D9 (shell quoting), D10 (links,
# devices, stale backups), D4 (the write error path)
g=$data/grub/debian12.grub
e820=$data/e820/guest-dmesg.txt
apply() { run_vpmem emulate apply --size 1G --e820 "$e820" --grub-file "$@"; }
cp "$g" big.grub
head -c 1100000 /dev/zero | tr '\0' '#' >>big.grub
cp big.grub big.orig
apply big.grub
one_line "D3: a GRUB file over 1 MiB" "'big.grub' is larger than 1.00 MiB"
check "D3: big file untouched" cmp -s big.grub big.orig
check "D3: no backup of a cut file" test ! -e big.grub.vpmem.bak
{ cat "$g"; printf 'X=1\000\n'; } >nul.grub
cp nul.grub nul.orig
apply nul.grub
one_line "D3: a NUL byte" "'nul.grub' contains a NUL byte"
check "D3: NUL file untouched" cmp -s nul.grub nul.orig
for v in 'a"b c"' "a'b c'" 'a\ b' '$X' '"a"#b' '"a"b'; do
	printf 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=%s\n' "$v" >q.grub
	cp q.grub q.orig
	apply q.grub
	one_line "D9: GRUB_CMDLINE_LINUX=$v" "'q.grub' refused \\(left untouched\\): line 2: "
	check "D9: $v untouched" cmp -s q.grub q.orig
done
printf 'GRUB_CMDLINE_LINUX=quiet#x\n' >h.grub
apply h.grub
expect_eq "D9: a # inside an unquoted word is part of it" "$rc" 0
expect_match "D9: the word kept whole" "$(cat h.grub)" '^GRUB_CMDLINE_LINUX="quiet#x memmap='
cp "$g" real.grub
ln -s real.grub link.grub
apply link.grub
expect_eq "D10: apply through a symlink" "$rc" 0
check "D10: the link is still a link" test -L link.grub
expect_match "D10: its target was edited" "$(grep '^GRUB_CMDLINE_LINUX=' real.grub)" 'memmap='
check "D10: the backup is of the target" cmp -s real.grub.vpmem.bak "$g"
run_vpmem emulate remove --grub-file link.grub
check "D10: remove through the link restores the target" cmp -s real.grub "$g"
check "D10: still a link after remove" test -L link.grub
# a device node of our own (a null device): a broken vpmem replacing it by a
# file must not take the system's /dev/null with it
if mknod nulldev c 1 3 2>/dev/null; then
	apply nulldev
	one_line "D10: a device as --grub-file" "'nulldev' is a character device, not a regular file"
	check "D10: the device is still a device" test -c nulldev
else
	echo "skip D10 device: cannot mknod"
fi
cp "$g" s.grub
echo stale >s.grub.vpmem.bak
apply s.grub
check "D10: a stale backup is replaced by the real one" cmp -s s.grub.vpmem.bak "$g"
echo foreign >s.grub.vpmem.bak
run_vpmem emulate remove --grub-file s.grub
check "D10: a backup that is not vpmem's is not deleted" test -e s.grub.vpmem.bak
expect_match "D10: and that is said" "$out" "is not the backup vpmem made: left in place"
if unshare -rm true 2>/dev/null; then
	mkdir ro && cp "$g" ro/r.grub
	unshare -rm sh -c 'mount --bind ro ro && mount -o remount,bind,ro ro &&
		"$0" emulate apply --size 1G --e820 "$1" --grub-file ro/r.grub >ro.out 2>ro.err; echo $? >ro.rc' "$VPMEM" "$e820"
	rc=$(cat ro.rc) err=$(cat ro.err)
	one_line "D4: a read-only directory (the write error path)" "cannot write in 'ro': Read-only file system"
else
	echo "skip D4: no user namespaces for a read-only bind mount"
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
expect_match "D15: ESC and newline escaped" "$out" ' a\\x1b\[2Jb\\x0ac$'
expect_eq "D15: no raw ESC in the listing" "$(printf '%s' "$out" | tr -d -c '\033' | wc -c)" 0
sed 's/ddb.uuid = "\([^"]*\)"/ddb.uuid = "\1 61"/' "$md/pmem-guest-001.vmdk" >long.vmdk
run_vpmem map --vmdk long.vmdk --guest-json "$md/guest-vmware-D.json"
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
run_vpmem map --vmkfstools-output "$md/vmkfstools.txt" --sysroot "$T/sr"
one_line "D15: 257 guest DIMMs" "more than 256 NVDIMMs under"

# D15: every read has a bound, and a file past it is refused in one line
# naming the bound, never cut (a sparse 65 MiB file: over all of them)
truncate -s 65M huge
"$VPMEM" image create h.img --size 64M >/dev/null
run_vpmem apply huge --image h.img
one_line "bound: apply LAYOUT" "error: apply: 'huge' is larger than 4.00 MiB: not read$"
run_vpmem map --vmkfstools-output "$md/vmkfstools.txt" --guest-json huge
one_line "bound: map --guest-json" "error: map: 'huge' is larger than 64.00 MiB: not read$"
run_vpmem map --qemu-cmdline huge --guest-json "$md/guest-vmware-D.json"
one_line "bound: map --qemu-cmdline" "error: map: 'huge' is larger than 64.00 MiB: not read$"
run_vpmem map --libvirt-xml huge --guest-json "$md/guest-vmware-D.json"
one_line "bound: map --libvirt-xml" "error: map: 'huge' is larger than 64.00 MiB: not read$"
run_vpmem emulate plan --e820 huge --size 1G
one_line "bound: emulate --e820" "error: emulate: 'huge' is larger than 16.00 MiB: not read$"
run_vpmem goal plan --mode appdirect --ipmctl huge
one_line "bound: goal --ipmctl" "error: goal: 'huge' is larger than 16.00 MiB: not read$"

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
run_t map --vmkfstools-output "$md/vmkfstools.txt" --guest-json fifo
one_line "D8: map --guest-json FIFO" "'fifo' is a FIFO, not a regular file"
run_t emulate plan --e820 fifo --size 1G
one_line "D8: emulate --e820 FIFO" "'fifo' is a FIFO, not a regular file"
# a FIFO as mem-path in a QEMU command line: map reads labels of backings; it must not block
printf 'qemu -object memory-backend-file,id=m0,mem-path=%s/fifo,size=16M -device nvdimm,memdev=m0,id=nv0,slot=0\n' "$T" >fifo-cmdline
run_t map --qemu-cmdline fifo-cmdline --guest-json q.json
expect_eq "D8: FIFO mem-path: map fails (no hang)" "$rc" 1
expect_match "D8: FIFO mem-path: said plainly" "$out" "^problem: '$T/fifo' is a FIFO, not a regular file or a device: it cannot back guest memory$"
expect_eq "D8: FIFO mem-path: the one problem" "$(printf '%s\n' "$out" | grep -c '^problem: ')" 1
mkdir memdir
sed "s|$T/fifo|$T/memdir|" fifo-cmdline >dir-cmdline
run_t map --qemu-cmdline dir-cmdline --guest-json q.json
expect_eq "D8: a directory as mem-path: map fails" "$rc" 1
expect_match "D8: a directory as mem-path: why" "$out" "^problem: '$T/memdir' is a directory: QEMU backs the memory with a temporary file it deletes at once, so nothing the guest writes persists$"

# Own side files of namespace reconfigure (the staged copy, the progress
# record) are never followed or written through: a symlink planted there
# is refused in one line and its target keeps its content; resume still
# uses a real leftover staged copy
echo precious >rvictim
"$VPMEM" image create r.img --size 64M --label-version 1.2 >/dev/null
"$VPMEM" namespace create r.img --mode raw --size 32M --name d >/dev/null
rs=$(sum r.img)
ln -s rvictim r.img.vpmem-reconfigure.data
run_vpmem namespace reconfigure r.img --name d --mode fsdax --keep-data
one_line "reconfigure: a symlink as the staged copy" "the staged copy 'r.img.vpmem-reconfigure.data' is a symbolic link: vpmem does not follow links"
expect_eq "reconfigure: the link's target unchanged" "$(cat rvictim)" precious
expect_eq "reconfigure: the image unchanged" "$(sum r.img)" "$rs"
check "reconfigure: no record written" test ! -e r.img.vpmem-reconfigure
rm r.img.vpmem-reconfigure.data
mkdir r.img.vpmem-reconfigure.data
run_vpmem namespace reconfigure r.img --name d --mode fsdax --keep-data
one_line "reconfigure: a directory as the staged copy" "the staged copy 'r.img.vpmem-reconfigure.data' is a directory, not a regular file"
rmdir r.img.vpmem-reconfigure.data
ln -s rvictim r.img.vpmem-reconfigure
run_vpmem namespace reconfigure r.img --name d --mode fsdax --keep-data
one_line "reconfigure: a symlink as the record" "the progress record 'r.img.vpmem-reconfigure' is a symbolic link: vpmem does not follow links"
rm r.img.vpmem-reconfigure
mkfifo r.img.vpmem-reconfigure
run_t namespace reconfigure r.img --name d --mode fsdax --keep-data
one_line "reconfigure: a FIFO as the record (no hang)" "the progress record 'r.img.vpmem-reconfigure' is a FIFO, not a regular file"
rm r.img.vpmem-reconfigure
expect_eq "reconfigure: the image still unchanged" "$(sum r.img)" "$rs"
# cut after the record: resume through a staged copy swapped for a link
VPMEM_TEST_CRASH_AFTER_WRITES=2 "$VPMEM" namespace reconfigure r.img --name d --mode fsdax --keep-data >/dev/null 2>&1
expect_eq "reconfigure: cut after 2 writes" "$?" 99
mv r.img.vpmem-reconfigure.data staged
ln -s staged r.img.vpmem-reconfigure.data
run_vpmem namespace reconfigure r.img --resume
one_line "reconfigure --resume: a symlink as the staged copy" "the staged copy 'r.img.vpmem-reconfigure.data' is a symbolic link: vpmem does not follow links"
rm r.img.vpmem-reconfigure.data
mv staged r.img.vpmem-reconfigure.data
run_vpmem namespace reconfigure r.img --resume
expect_eq "reconfigure --resume with the real staged copy" "$rc $err" "0 "
expect_eq "reconfigure: no side files left" "$(ls r.img.vpmem-reconfigure* 2>/dev/null)" ""
expect_eq "reconfigure: the victim never written" "$(cat rvictim)" precious

# The guest cache's own files (guest/mkguest.sh, run by vpmem guest build)
# are never written through a link planted there. A private cache
# (XDG_CACHE_HOME) and a fake kernel package (a few files, no modules: all
# "built in") make a full build take seconds; the script is the tree's own.
if command -v dpkg-deb >/dev/null && command -v busybox >/dev/null && command -v ndctl >/dev/null &&
	command -v cxl >/dev/null && command -v cpio >/dev/null; then
	K=6.0.0-vpmem-fake P=linux-image-vpmem-fake
	mkdir -p pkg/DEBIAN pkg/boot "pkg/lib/modules/$K" arch gdir
	printf 'Package: %s\nVersion: 1\nArchitecture: amd64\nMaintainer: t <t@t>\nDescription: fake\n' $P >pkg/DEBIAN/control
	echo kernel >"pkg/boot/vmlinuz-$K"
	grep -v '^#' "$(dirname "$0")/../../guest/modules" | sed '/^$/d; s|.*|kernel/x/&.ko|' >"pkg/lib/modules/$K/modules.builtin"
	dpkg-deb -b -Zgzip pkg "arch/${P}_1_amd64.deb" >/dev/null
	G=$T/cache/vpmem/guest
	mkdir -p "$G/$P" "$G/debs"
	echo $P >"$G/$P/kernel-package"   # offline: apt does not know the package
	echo precious >gvictim
	for f in .lock stamp kernel-version vmlinuz; do ln -s "$T/gvictim" "$G/$P/$f"; done
	ln -s "$T/gdir" "$G/$P/initrd.img"
	ln -s "$T/gvictim" "$G/debs/.${P}_1_amd64.deb.tmp"
	XDG_CACHE_HOME=$T/cache VPMEM_APT_ARCHIVES=$T/arch VPMEM_DATADIR=$(cd "$(dirname "$0")/../.." && pwd) \
		run_vpmem guest build --kernel-package $P --quiet
	expect_eq "guest build among planted links" "$rc" 0
	expect_eq "guest build: the links' target unchanged" "$(cat gvictim)" precious
	expect_eq "guest build: nothing moved into a linked directory" "$(ls gdir)" ""
	for f in stamp kernel-version vmlinuz initrd.img; do
		check "guest build: $f is a file of its own" test -f "$G/$P/$f" -a ! -L "$G/$P/$f"
	done
	expect_eq "guest build: the version" "$(cat "$G/$P/kernel-version")" $K
	check "guest build: the package copied" cmp -s "arch/${P}_1_amd64.deb" "$G/debs/${P}_1_amd64.deb"
else
	echo "skip guest cache links: dpkg-deb, busybox, ndctl, cxl or cpio missing"
fi
# the guest cache's small files are read the same way: a FIFO there is
# passed over, never opened (it blocked 'vpmem guest path' and 'run')
mkdir -p "$T/cache2/vpmem/guest/6.1"
touch "$T/cache2/vpmem/guest/6.1/vmlinuz" "$T/cache2/vpmem/guest/6.1/initrd.img"
mkfifo "$T/cache2/vpmem/guest/6.1/kernel-version"
XDG_CACHE_HOME=$T/cache2 run_t guest path --guest-kernel 6.1
expect_eq "guest path: a FIFO as kernel-version (no hang)" "$rc" 0
expect_match "guest path: the guest named" "$out" "/cache2/vpmem/guest/6.1/vmlinuz"

# Paths the user names may be symlinks: followed once, the target checked
# and edited, the link left a link; a link to a FIFO or a directory is
# refused in one line (never opened)
"$VPMEM" image create real.img --size 64M --slot 3 >/dev/null
ln -s real.img link.img
run_vpmem list --raw -R --noheadings --output DEV,FILE link.img
expect_eq "symlink image: list" "$rc $out" "0 region0 link.img"
rsum=$(sum real.img)
run_vpmem namespace create link.img --mode raw --size 16M --name viaLink
expect_eq "symlink image: namespace create" "$rc" 0
check "symlink image: still a link" test -L link.img
check "symlink image: the target changed" test "$(sum real.img)" != "$rsum"
run_vpmem list --raw -N --noheadings --output NAME real.img
expect_match "symlink image: the namespace is in the target" "$out" '^viaLink$'
ln -s fifo fifo.link
mkdir adir
ln -s adir dir.link
run_t list fifo.link
one_line "symlink to a FIFO: list" "image 'fifo.link' is a FIFO, not a regular file"
run_t namespace create fifo.link --mode raw --size 16M
one_line "symlink to a FIFO: namespace create" "image 'fifo.link' is a FIFO, not a regular file"
run_t list dir.link
one_line "symlink to a directory: list" "image 'dir.link' is a directory, not a regular file"
run_t namespace create dir.link --mode raw --size 16M
one_line "symlink to a directory: namespace create" "image 'dir.link' is a directory, not a regular file"
# a mem-path given as a symlink: the image behind it is read (its labels
# were made for slot 3: said), a link to a FIFO is said, never opened
printf 'qemu -object memory-backend-file,id=m0,mem-path=%s/link.img,size=64M -device nvdimm,memdev=m0,id=nv0,slot=0,label-size=128K\n' "$T" >link-cmdline
run_t map --qemu-cmdline link-cmdline --guest-json q.json
expect_match "symlink mem-path: the target's labels read" "$out" "^problem: '$T/link.img' carries labels made for slot 3 but is plugged into slot 0"
sed "s|$T/link.img|$T/fifo.link|" link-cmdline >fifolink-cmdline
run_t map --qemu-cmdline fifolink-cmdline --guest-json q.json
expect_eq "symlink mem-path to a FIFO: map fails (no hang)" "$rc" 1
expect_match "symlink mem-path to a FIFO: said" "$out" "^problem: '$T/fifo.link' is a FIFO, not a regular file or a device"

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
	expect_eq "D7: a symlink as the lock file: status" "$rc" 1
	expect_match "D7: a symlink as the lock file: message" "$(printf '%s\n' "$err" | tail -n 1)" "S2/lock' is a symbolic link: vpmem does not follow links"
	expect_eq "D7: victim intact after the refusal" "$(cat victim)" precious
else
	echo "skip D7: no qemu-system-x86_64"
fi

done_testing
