#!/bin/sh
# vpmem doctor --kernel on real kernels: Debian's 6.1 and 6.12 cloud packages
# (from the guest cache, else `apt-get download` into ~/.cache/vpmem/kernels),
# their images and /boot-style trees, the host's own kernel; a copy of the 6.1
# configuration with each option switched off in turn; synthetic bzImages with
# an embedded configuration under every codec; modules directories and
# initramfs; errors; `vpmem run` refusing --virtio-pmem before QEMU starts; and
# doc/kernel.md equal to what the table generates.
. "$(dirname "$0")/../lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vpmem
PY=$(command -v /usr/bin/python3 || command -v python3) # not a version-manager shim: this test calls it often
jq_() { "$PY" -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
re() { printf '%s' "$1" | sed 's/[].[^$*+?(){}|\\]/\\&/g'; } # a literal in grep -E
feature() { jq_ "$1" "[f for f in j['features'] if f['name']=='$2'][0]$3"; }

# ---- doc/kernel.md is generated from the table ----
"$VPMEM" doctor --kernel-features-doc >"$T/kernel.md"
check "doc/kernel.md equals 'vpmem doctor --kernel-features-doc' (regenerate it)" cmp -s "$T/kernel.md" "$SRC/doc/kernel.md"

# ---- Debian's kernels ----
# kdeb PATTERN META: a cached package matching PATTERN, else the one META depends on, downloaded
kdeb() {
	f=$(ls "$cache"/guest/debs/$1 "$cache"/kernels/$1 2>/dev/null | head -n1)
	if [ -z "$f" ]; then
		pkg=$(apt-cache depends "$2" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1)
		mkdir -p "$cache/kernels"
		[ -n "$pkg" ] && (cd "$cache/kernels" && apt-get download "$pkg" >/dev/null 2>&1)
		f=$(ls "$cache"/kernels/$1 2>/dev/null | head -n1)
	fi
	echo "$f"
}
deb61=$(kdeb 'linux-image-6.1.0-*-cloud-amd64_*.deb' linux-image-cloud-amd64)
deb612=$(kdeb 'linux-image-6.12*-cloud-amd64_*.deb' linux-image-6.12-cloud-amd64)
[ -n "$deb61" ] || fail "no Debian 6.1 cloud kernel package (vpmem guest build, or apt-get update)"
[ -n "$deb612" ] || fail "no Debian 6.12 cloud kernel package (apt-get update; bookworm-backports or security)"

for deb in $deb61 $deb612; do
	v=$(basename "$deb" | sed 's/^linux-image-\([0-9]*\.[0-9]*\).*/\1/')
	run_vpmem doctor --kernel "$deb" --json
	expect_eq "$v: every feature works (with modules)" "$rc" 0
	expect_eq "$v: ten features reported" "$(jq_ "$out" "len(j['features'])")" 10
	expect_eq "$v: config from the package" "$(jq_ "$out" "j['config']['source']")" "boot/config-$(jq_ "$out" "j['release']") in $deb"
	expect_match "$v: release" "$(jq_ "$out" "j['release']")" "^$v"
	expect_eq "$v: module files listed" "$(jq_ "$out" "j['modules']['count'] > 1000")" True
	for f in nvdimm raw sector fsdax devdax dax-mount map-sync virtio-pmem cxl-pmem memmap; do
		expect_eq "$v $f verdict" "$(feature "$out" $f "['verdict']")" "works with modules"
	done
	expect_eq "$v nvdimm modules" "$(feature "$out" nvdimm "['modules']")" "['nfit', 'libnvdimm', 'nd_pmem']"
	expect_eq "$v sector modules" "$(feature "$out" sector "['modules']")" "['libnvdimm', 'nd_pmem', 'nd_btt']"
	expect_eq "$v devdax modules" "$(feature "$out" devdax "['modules']")" "['libnvdimm', 'device_dax', 'dax_pmem']"
	expect_eq "$v memmap modules" "$(feature "$out" memmap "['modules']")" "['nd_e820', 'libnvdimm', 'nd_pmem']"
	expect_eq "$v fsdax options" "$(feature "$out" fsdax "['options']['CONFIG_NVDIMM_PFN']")" y
	expect_eq "$v text" "$(feature "$out" nvdimm "['text']")" "works with modules nfit, libnvdimm and nd_pmem loaded"
	expect_eq "$v virtio-pmem" "$(feature "$out" virtio-pmem "['text']")" \
		"works with modules $([ "$v" = 6.1 ] && echo 'virtio_pci, ')libnvdimm, virtio_pmem and nd_pmem loaded"
	mkdir -p "$T/root$v"
	dpkg-deb -x "$deb" "$T/root$v"
done

# the image as installed: no embedded configuration (Debian leaves IKCONFIG
# off), config-RELEASE beside it in boot/, modules in lib/modules/RELEASE
for v in 6.1 6.12; do
	img=$(ls "$T/root$v"/boot/vmlinuz-* 2>/dev/null | head -n1)
	[ -n "$img" ] || continue
	rel=${img##*/vmlinuz-}
	run_vpmem doctor --kernel "$img" --json
	expect_eq "$v image: config beside it" "$(jq_ "$out" "j['config']['source']")" "$T/root$v/boot/config-$rel"
	expect_eq "$v image: modules beside /boot" "$(jq_ "$out" "j['modules']['source']")" "$T/root$v/lib/modules/$rel"
	expect_eq "$v image: nvdimm" "$(feature "$out" nvdimm "['verdict']")" "works with modules"
	run_vpmem doctor --kernel "$img" --feature nvdimm --feature sector
	expect_match "$v text" "$out" '^  nvdimm       works with modules nfit, libnvdimm and nd_pmem loaded$'
	expect_eq "$v text: two features" "$(printf '%s\n' "$out" | grep -c '^  [a-z]')" 2
	mv "$T/root$v/boot/config-$rel" "$T/config-$rel"
	run_vpmem doctor --kernel "$img" --json
	expect_eq "$v image alone: nothing concluded" "$rc" 1
	expect_match "$v image alone: why" "$(jq_ "$out" "j['config']['why']")" "has no embedded configuration \\(CONFIG_IKCONFIG is not set\\); no config-$(re "$rel") beside it"
	expect_eq "$v image alone: cannot conclude" "$(feature "$out" nvdimm "['verdict']")" "cannot conclude"
	run_vpmem doctor --kernel "$img"
	expect_match "$v image alone: text" "$out" '^config: not found .*give it with --config FILE$'
	run_vpmem doctor --kernel "$img" --config "$T/config-$rel" --feature nvdimm
	expect_eq "$v --config" "$rc" 0
	mv "$T/config-$rel" "$T/root$v/boot/config-$rel"
	# a module file taken away
	rm -f "$T/root$v"/lib/modules/"$rel"/kernel/drivers/nvdimm/nd_pmem.ko*
	run_vpmem doctor --kernel "$img" --feature nvdimm
	expect_eq "$v without nd_pmem.ko: status" "$rc" 1
	expect_match "$v without nd_pmem.ko" "$out" "^  nvdimm       missing, because module nd_pmem is not in $T/root$v/lib/modules/$(re "$rel")\$"
	run_vpmem doctor --kernel "$T/root$v/boot/config-$rel" --modules "$T/root$v" --feature devdax
	expect_match "$v --modules DIR" "$out" "^modules: [0-9]+ in $T/root$v\$"
	expect_eq "$v --modules DIR devdax" "$rc" 0
done

# ---- the host's own kernel ----
hostcfg=
if [ -f "/boot/config-$(uname -r)" ]; then
	hostcfg=/boot/config-$(uname -r)
	if [ -f "/boot/vmlinuz-$(uname -r)" ]; then
		run_vpmem doctor --kernel "/boot/vmlinuz-$(uname -r)" --json
	else
		run_vpmem doctor --kernel "$hostcfg" --json
	fi
elif [ -r /proc/config.gz ]; then
	hostcfg=/proc/config.gz
	run_vpmem doctor --config /proc/config.gz --json
fi
if [ -n "$hostcfg" ]; then
	expect_eq "host: ten features" "$(jq_ "$out" "len(j['features'])")" 10
	expect_eq "host: config found" "$(jq_ "$out" "j['config']['found']")" True
	# every option the doctor read agrees with the configuration text itself
	zcat -f "$hostcfg" >"$T/host.cfg"
	echo "$out" >"$T/host.json"
	bad=$("$PY" - "$T/host.json" "$T/host.cfg" <<'EOF'
import json, re, sys
j = json.load(open(sys.argv[1]))
cfg = {}
for line in open(sys.argv[2]):
    m = re.match(r'^(CONFIG_\w+)=(.*)$', line.rstrip('\n'))
    if m:
        cfg[m.group(1)] = None if m.group(2) == 'n' else m.group(2)
    m = re.match(r'^# (CONFIG_\w+) is not set$', line.rstrip('\n'))
    if m:
        cfg[m.group(1)] = None
bad = []
for f in j['features']:
    for k, v in f['options'].items():
        if cfg.get(k) != v:
            bad.append('%s %s: %r vs %r' % (f['name'], k, v, cfg.get(k)))
    for k in f['unset']:
        if ' or ' not in k and cfg.get(k) is not None:
            bad.append('%s says %s unset' % (f['name'], k))
    if f['verdict'] == 'works' and any(v is None for k, v in f['options'].items()
                                       if k not in ('CONFIG_EXT4_FS', 'CONFIG_XFS_FS')):
        bad.append('%s works with an option unset' % f['name'])
print('; '.join(bad))
EOF
)
	expect_eq "host: options as the configuration says" "$bad" ""
	run_vpmem doctor --config "$hostcfg"
	expect_eq "host: a line per feature" "$(printf '%s\n' "$out" | grep -cE '^  [a-z-]+ +(works|missing|cannot)')" 10
else
	echo "note: the host's configuration is not available (/boot/config-*, /proc/config.gz)" >&2
fi

# ---- one option switched off per feature ----
cfg61=$(ls "$T"/root6.1/boot/config-* 2>/dev/null | head -n1)
if [ -n "$cfg61" ]; then
	run_vpmem doctor --kernel "$cfg61" --json
	# "feature option" pairs, every option of every feature but the ext4/xfs alternatives
	jq_ "$out" "'\\n'.join(f['name'] + ' ' + o for f in j['features'] for o in f['options'] if o not in ('CONFIG_EXT4_FS', 'CONFIG_XFS_FS'))" >"$T/pairs"
	while read -r f o; do
		sed "s/^$o=.*/# $o is not set/" "$cfg61" >"$T/off.cfg"
		run_vpmem doctor --kernel "$T/off.cfg" --feature "$f"
		expect_match "$f without $o" "$out" "^  $f +missing, because $o is not set\$"
		noff=$((${noff:-0} + 1))
	done <"$T/pairs"
	expect_eq "options switched off" "$([ "${noff:-0}" -ge 40 ] && echo enough)" enough
	sed -e 's/^CONFIG_EXT4_FS=.*/# CONFIG_EXT4_FS is not set/' -e 's/^CONFIG_XFS_FS=.*/# CONFIG_XFS_FS is not set/' "$cfg61" >"$T/off.cfg"
	run_vpmem doctor --kernel "$T/off.cfg" --feature dax-mount
	expect_match "no ext4, no xfs" "$out" 'missing, because CONFIG_EXT4_FS or CONFIG_XFS_FS is not set$'
	sed 's/^CONFIG_XFS_FS=.*/# CONFIG_XFS_FS is not set/' "$cfg61" >"$T/off.cfg"
	run_vpmem doctor --kernel "$T/off.cfg" --feature map-sync
	expect_match "ext4 alone is enough" "$out" 'map-sync +works'
	gzip -c "$cfg61" >"$T/config.gz"
	run_vpmem doctor --kernel "$T/config.gz" --feature sector
	expect_match "a gzip'ed configuration" "$out" 'sector +works with modules libnvdimm, nd_pmem and nd_btt loaded$'
fi

# ---- an embedded configuration (CONFIG_IKCONFIG) under every codec ----
printf 'CONFIG_IKCONFIG=y\nCONFIG_LIBNVDIMM=y\nCONFIG_BLK_DEV_PMEM=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_PMEM=m\n# CONFIG_ACPI_NFIT is not set\n' >"$T/ik.cfg"
mkimage() { # CODEC OUT [noikcfg]: a bzImage whose payload holds IKCFG_ST gzip(config) IKCFG_ED
	"$PY" - "$@" "$T/ik.cfg" <<'EOF'
import gzip, os, struct, subprocess, sys
codec, out, cfg = sys.argv[1], sys.argv[2], sys.argv[-1]
ik = len(sys.argv) < 5
body = b'\x7fELF' + os.urandom(70000)
if ik:
    body += b'IKCFG_ST' + gzip.compress(open(cfg, 'rb').read()) + b'IKCFG_ED'
body += os.urandom(1000000)
if codec == 'vmlinux':
    open(out, 'wb').write(body)
    sys.exit(0)
cmd = {'gzip': ['gzip', '-c'], 'xz': ['xz', '-c', '--check=crc32'], 'lzma': ['xz', '-c', '--format=lzma'],
       'zstd': ['zstd', '-q', '-c'], 'lz4': ['lz4', '-q', '-l', '-c']}[codec]
payload = subprocess.run(cmd, input=body, stdout=subprocess.PIPE, check=True).stdout + struct.pack('<I', len(body))
hdr = bytearray(1024)
hdr[0x1f1] = 1                          # setup_sects: protected mode code at 2 * 512
hdr[0x202:0x206] = b'HdrS'
struct.pack_into('<H', hdr, 0x206, 0x020f)
struct.pack_into('<H', hdr, 0x20e, 0x100)   # kernel_version string at 0x300
hdr[0x300:0x320] = b'6.99.0-test (vpmem@test) #1 SMP\0'
struct.pack_into('<I', hdr, 0x248, 0x40)
struct.pack_into('<I', hdr, 0x24c, len(payload))
open(out, 'wb').write(bytes(hdr) + bytes(0x40) + payload)
EOF
}
mkdir -p "$T/ik"
for c in gzip xz lzma zstd lz4 vmlinux; do
	mkimage $c "$T/ik/vmlinuz-$c" || { fail "cannot make a $c image"; continue; }
	run_vpmem doctor --kernel "$T/ik/vmlinuz-$c" --json
	expect_match "$c image: embedded config" "$(jq_ "$out" "j['config'].get('source')")" "^embedded in $T/ik/vmlinuz-$c \\(CONFIG_IKCONFIG"
	expect_eq "$c image: virtio-pmem" "$(feature "$out" virtio-pmem "['text']")" "works with module virtio_pmem loaded"
	expect_eq "$c image: nvdimm" "$(feature "$out" nvdimm "['text']")" "missing, because CONFIG_ACPI_NFIT is not set"
done
run_vpmem doctor --kernel "$T/ik/vmlinuz-xz" --json
expect_eq "release from the bzImage header" "$(jq_ "$out" "j['release']")" "6.99.0-test"
mkimage zstd "$T/ik/bzImage" noikcfg
run_vpmem doctor --kernel "$T/ik/bzImage"
expect_match "no IKCONFIG: said plainly" "$out" "^config: not found \\('$T/ik/bzImage' \\(zstd\\) has no embedded configuration \\(CONFIG_IKCONFIG is not set\\); no config-6.99.0-test beside it\\)"
cp "$T/ik.cfg" "$T/ik/config-6.99.0-test"
run_vpmem doctor --kernel "$T/ik/bzImage"
expect_match "config-RELEASE beside the image" "$out" "^config: $T/ik/config-6.99.0-test\$"

# ---- an initramfs: its modules are what the guest has ----
if [ -n "$deb612" ]; then
	rel=$(ls "$T/root6.12/lib/modules")
	mkdir -p "$T/ird/usr/lib/modules/$rel"
	cp "$T/root6.12/lib/modules/$rel/kernel/drivers/nvdimm/libnvdimm.ko.xz" "$T/root6.12/lib/modules/$rel/kernel/drivers/acpi/nfit/nfit.ko.xz" "$T/ird/usr/lib/modules/$rel/"
	(cd "$T/ird" && find . | cpio -o -H newc --quiet | zstd -q -c) >"$T/initrd.zst"
	run_vpmem doctor --kernel "$deb612" --initrd "$T/initrd.zst" --feature nvdimm
	expect_match "initramfs modules" "$out" "^modules: 2 in $T/initrd.zst\$"
	expect_match "initramfs without nd_pmem" "$out" "^  nvdimm       missing, because module nd_pmem is not in $T/initrd.zst\$"
fi

# ---- bad input: one line, nothing concluded from garbage ----
run_vpmem doctor --kernel "$T/nope"
expect_eq "missing kernel status" "$rc" 1
expect_eq "missing kernel message" "$err" "vpmem: error: cannot open '$T/nope': No such file or directory"
head -c 100000 /dev/urandom >"$T/random.bin"
run_vpmem doctor --kernel "$T/random.bin" --json
expect_eq "random bytes: cannot conclude" "$(feature "$out" fsdax "['verdict']")" "cannot conclude"
expect_match "random bytes: why" "$(jq_ "$out" "j['config']['why']")" "is neither a kernel image, a Debian package nor a configuration"
if [ -n "$deb61" ]; then
	head -c 3000000 "$deb61" >"$T/cut.deb"
	run_vpmem doctor --kernel "$T/cut.deb"
	expect_eq "truncated package status" "$rc" 1
	expect_match "truncated package message" "$err" "^vpmem: error: '$T/cut.deb': damaged ar archive\$"
fi
run_vpmem doctor --kernel "$T/random.bin" --feature nope
expect_eq "unknown feature" "$rc" 2
expect_match "unknown feature message" "$err" "unknown feature 'nope' \\(nvdimm, raw, sector"
run_vpmem doctor --config "$T/random.bin"
expect_eq "--config not a configuration" "$err" "vpmem: error: cannot read the kernel configuration '$T/random.bin': no CONFIG_ lines: not a kernel configuration"

# ---- vpmem run refuses, before QEMU, what the guest kernel cannot use ----
img612=$(ls "$T"/root6.12/boot/vmlinuz-* 2>/dev/null | head -n1)
if [ -n "$img612" ]; then
	sed 's/^CONFIG_VIRTIO_PMEM=.*/# CONFIG_VIRTIO_PMEM is not set/' "$T"/root6.12/boot/config-* >"$T/novirtio.cfg"
	: >"$T/empty.cpio"
	XDG_CACHE_HOME=$T/cache run_vpmem run --kernel "$img612" --initrd "$T/empty.cpio" --kernel-config "$T/novirtio.cfg" \
		--virtio-pmem --qemu-pmem 256M --state-dir "$T/vm" --guest-cmd true
	expect_eq "run refuses: status" "$rc" 1
	expect_eq "run refuses: one line" "$(printf '%s\n' "$err" | wc -l)" 1
	expect_match "run refuses: the reason" "$err" "^vpmem: error: guest kernel 6\\.12[^ ]* cannot use --virtio-pmem: CONFIG_VIRTIO_PMEM is not set \\(config: $T/novirtio.cfg\\)\$"
	check "run refuses before QEMU: no backing, no QEMU log" test ! -e "$T/vm/pmem0.img" -a ! -e "$T/vm/run/qemu.log"
	expect_eq "the check is cached" "$(ls "$T/cache/vpmem/kcheck" | wc -l)" 1
	XDG_CACHE_HOME=$T/cache run_vpmem run --kernel "$img612" --initrd "$T/empty.cpio" --kernel-config "$T/novirtio.cfg" \
		--virtio-pmem --qemu-pmem 256M --state-dir "$T/vm" --guest-cmd true
	expect_match "run refuses again, from the cache" "$err" "cannot use --virtio-pmem: CONFIG_VIRTIO_PMEM is not set"
	# the configuration beside the image (as in /boot) is found without --kernel-config
	cp "$T/novirtio.cfg" "$T/root6.12/boot/config-$(ls "$T/root6.12/lib/modules")"
	XDG_CACHE_HOME=$T/cache run_vpmem run --kernel "$img612" --initrd "$T/empty.cpio" --virtio-pmem --qemu-pmem 256M \
		--state-dir "$T/vm" --guest-cmd true
	expect_match "run finds config-RELEASE beside --kernel" "$err" "^vpmem: error: guest kernel 6\\.12[^ ]* cannot use --virtio-pmem: CONFIG_VIRTIO_PMEM is not set \\(config: $T/root6.12/boot/config-"
	# a module missing from the user's own initramfs: a warning, and the boot goes on
	XDG_CACHE_HOME=$T/cache run_vpmem run --kernel "$img612" --initrd "$T/initrd.zst" --qemu-pmem 256M \
		--state-dir "$T/vm2" --guest-cmd true --timeout 60
	expect_match "own initramfs without nd_pmem: warning" "$err" "^vpmem: warning: vNVDIMMs needs module nd_pmem, which is not in $T/initrd.zst \\(add them to your initramfs\\)\$"
fi

done_testing
