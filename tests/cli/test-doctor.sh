#!/bin/sh
# vpmem doctor on real files: tmpfs, ext4 and xfs (loop-mounted images), a
# directory, share=off, a missing path, a too-small file; exit status; JSON.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to mount tmpfs and loop filesystems" >&2; exit 77; }
cleanup() { for m in "$T/tmpfs" "$T/ext4" "$T/xfs"; do umount "$m" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT

verdict() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["backings"][0]["verdict"])' "$1"; }
field() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["backings"][0].get(sys.argv[2]))' "$1" "$2"; }

mkdir -p "$T/tmpfs" "$T/ext4" "$T/xfs" "$T/dir"
mount -t tmpfs -o size=64M tmpfs "$T/tmpfs" || { fail "cannot mount tmpfs"; done_testing; }
truncate -s 32M "$T/tmpfs/pmem.img"
run_vpmem doctor --json "$T/tmpfs/pmem.img"
expect_eq "tmpfs status" "$rc" 1
expect_eq "tmpfs verdict" "$(verdict "$out")" "not guaranteed"
expect_match "tmpfs reason" "$out" 'tmpfs is volatile'
run_vpmem doctor "$T/tmpfs/pmem.img"
expect_match "tmpfs text" "$out" "^$T/tmpfs/pmem.img: not guaranteed \\(file on tmpfs, 32.00 MiB\\), because tmpfs is volatile"
expect_match "tmpfs text fix" "$out" '^  fix: '

truncate -s 128M "$T/ext4.img"
truncate -s 320M "$T/xfs.img" # mkfs.xfs wants at least 300 MB
mkfs.ext4 -q "$T/ext4.img" && mount -o loop "$T/ext4.img" "$T/ext4" || fail "cannot mount ext4"
mkfs.xfs -q "$T/xfs.img" && mount -o loop "$T/xfs.img" "$T/xfs" || fail "cannot mount xfs"
for fs in ext4 xfs; do
	truncate -s 32M "$T/$fs/pmem.img"
	run_vpmem doctor --json "$T/$fs/pmem.img"
	expect_eq "$fs status" "$rc" 1
	expect_eq "$fs verdict" "$(verdict "$out")" "not guaranteed"
	expect_eq "$fs fstype" "$(field "$out" fstype)" "$fs"
	expect_eq "$fs MAP_SYNC probed and failed" "$(field "$out" map_sync)" False
	expect_match "$fs reason" "$out" "$fs without DAX: guest writes stay in the host page cache"
done

# a CXL image (FILE + FILE.lsa): its memory file is judged as a vNVDIMM's
# backing is, with the same words (both sparse, on ext4 and on tmpfs)
for fs in ext4 tmpfs; do
	"$VPMEM" image create "$T/$fs/n.img" --size 256M >/dev/null || fail "$fs: NVDIMM image"
	"$VPMEM" image create "$T/$fs/c.img" --size 256M --cxl >/dev/null || fail "$fs: CXL image"
	run_vpmem doctor "$T/$fs/n.img"
	nv=$(printf '%s\n' "$out" | sed "s|^$T/$fs/n.img: ||")
	run_vpmem doctor "$T/$fs/c.img"
	expect_eq "CXL image on $fs: status" "$rc" 1
	expect_eq "CXL image on $fs: the vNVDIMM verdict and fix" "$(printf '%s\n' "$out" | sed "s|^$T/$fs/c.img: ||")" "$nv"
	run_vpmem doctor --json "$T/$fs/c.img"
	expect_eq "CXL image on $fs: JSON verdict" "$(verdict "$out")" "not guaranteed"
	expect_eq "CXL image on $fs: fstype" "$(field "$out" fstype)" "$fs"
	rm -f "$T/$fs/n.img" "$T/$fs/c.img" "$T/$fs/c.img.lsa"
done
"$VPMEM" image create "$T/ext4/c.img" --size 256M --cxl >/dev/null
run_vpmem doctor "$T/ext4/c.img"
expect_match "CXL image on ext4: the verdict line" "$out" "^$T/ext4/c.img: not guaranteed \\(file on ext4, 256.00 MiB\\), because ext4 without DAX: guest writes stay in the host page cache"
expect_match "CXL image on ext4: the fix" "$out" '^  fix: mount a DAX-capable filesystem with -o dax'
"$VPMEM" image create "$T/tmpfs/c.img" --size 256M --cxl >/dev/null
run_vpmem doctor "$T/tmpfs/c.img"
expect_match "CXL image on tmpfs: the verdict line" "$out" "^$T/tmpfs/c.img: not guaranteed \\(file on tmpfs, 256.00 MiB\\), because tmpfs is volatile"
rm -f "$T/ext4/c.img" "$T/ext4/c.img.lsa" "$T/tmpfs/c.img" "$T/tmpfs/c.img.lsa"

# share=off never reaches the file, whatever the filesystem
run_vpmem doctor --json --share off "$T/ext4/pmem.img"
expect_match "share=off reason" "$out" 'share=off: the guest writes to a private copy'

# a directory mem-path loses everything
run_vpmem doctor --json "$T/dir"
expect_eq "directory verdict" "$(verdict "$out")" unusable
expect_match "directory reason" "$out" 'unlinked temporary file'

run_vpmem doctor --json "$T/nope.img"
expect_eq "missing status" "$rc" 1
expect_eq "missing verdict" "$(verdict "$out")" unusable
expect_match "missing reason" "$out" 'it does not exist'

truncate -s 1M "$T/small.img"
run_vpmem doctor --json "$T/small.img"
expect_eq "too small verdict" "$(verdict "$out")" unusable
expect_match "too small reason" "$out" 'too small for a vNVDIMM region'
truncate -s 64M "$T/mid.img"
run_vpmem doctor --json --size 128M "$T/mid.img"
expect_match "smaller than asked" "$out" 'it is 64M, smaller than the 128M asked'

run_vpmem doctor /dev/null
expect_match "non-dax char device" "$out" 'unusable.*not device-dax'

# several paths: status is the worst; nothing was modified
before=$(stat -c '%s %Y' "$T/ext4/pmem.img")
run_vpmem doctor "$T/ext4/pmem.img" "$T/dir"
expect_eq "two paths, two lines of verdict" "$(printf '%s\n' "$out" | grep -c "^$T")" 2
expect_eq "doctor changes nothing" "$(stat -c '%s %Y' "$T/ext4/pmem.img")" "$before"

run_vpmem doctor --share maybe "$T/dir"
expect_eq "bad --share" "$rc" 2

# host view: valid JSON with every section
run_vpmem doctor --json
expect_eq "host view status" "$rc" 0
expect_eq "host view sections" "$(python3 -c 'import json,sys; print(sorted(json.loads(sys.argv[1])))' "$out")" \
	"['dax_mounts', 'devdax', 'e820_pmem', 'kvm', 'map_sync', 'qemu', 'regions']"

# host view of a captured tree: an attribute the kernel did not give is "unknown", never "(null)"
S="$T/sysroot"
mkdir -p "$S/sys/bus/nd/devices/region0"
echo 268435456 >"$S/sys/bus/nd/devices/region0/size"
mkdir -p "$S/proc/self"
printf '%s\n' '22 1 259:2 / / rw - ext4 /dev/vda1 rw' \
	'30 22 259:3 / /mnt/pm\040a rw,relatime - ext4 /dev/pmem0 rw,dax=always' \
	'31 22 259:4 / /mnt/b rw - xfs /dev/pmem1 rw,dax=never' >"$S/proc/self/mountinfo"
# a firmware memmap range whose end file is missing
mkdir -p "$S/sys/firmware/memmap/3"
echo 0x200000000 >"$S/sys/firmware/memmap/3/start"
echo 'Persistent Memory (legacy)' >"$S/sys/firmware/memmap/3/type"
run_vpmem doctor --sysroot "$S" --qemu "$T/no-qemu"
expect_eq "sysroot host view status" "$rc" 0
expect_match "DAX mounts: dax=always only" "$out" '^DAX mounts: 1$'
expect_match "mount point unescaped (libmount)" "$out" '^  /mnt/pm a$'
expect_match "region without numa_node" "$out" '^  region0: size 268435456, node unknown, persistence unknown, 0 namespace\(s\)$'
expect_match "memmap range without an end" "$out" '^  0x200000000-\? Persistent Memory \(legacy\)$'
expect_nomatch "no (null) anywhere" "$out" 'null'
expect_match "QEMU missing, its cause kept" "$out" "^QEMU: cannot run QEMU '$T/no-qemu' \\(install qemu-system-x86\\): cannot run '$T/no-qemu': not found$"

# vpmem run says the same per vNVDIMM, and --require-persistence refuses
run_vpmem run --qemu-pmem 256M --pmem-dir "$T/tmpfs" --require-persistence --guest-cmd true
expect_eq "--require-persistence refuses" "$rc" 1
expect_match "--require-persistence message" "$err" "^vpmem: error: --require-persistence: '$T/tmpfs/pmem0.img' is not guaranteed \\(tmpfs is volatile"
check "--require-persistence leaves no backing behind" test ! -e "$T/tmpfs/pmem0.img"
# ... and per CXL memory file. A QEMU stand-in refuses every boot, so a
# regression cannot start a guest here.
printf '#!/bin/sh\ncase " $* " in *" -kernel "*) echo "stub: no boot" >&2; exit 1 ;; esac\nexec qemu-system-x86_64 "$@"\n' >"$T/qemu"
chmod 755 "$T/qemu"
run_vpmem run --qemu "$T/qemu" --cxl-pmem 256M --state-dir "$T/tmpfs/cxl" --require-persistence --guest-cmd true
expect_eq "--require-persistence refuses a CXL backing" "$rc" 1
expect_match "--require-persistence CXL message" "$err" "^vpmem: error: --require-persistence: '$T/tmpfs/cxl/cxl0.img' is not guaranteed \\(tmpfs is volatile"
check "--require-persistence leaves no CXL backing behind" test ! -e "$T/tmpfs/cxl/cxl0.img" -a ! -e "$T/tmpfs/cxl/cxl0.img.lsa"

done_testing
